"""Files that are not inside a registered sender's folder, or whose name no answer can be written under: never
processed, kept, and reported (interfaces.md). Files that failed for a reason of their own are set aside the
same way (``set_aside``).

Such a file (at the bucket root, nested deeper than ``<sender>/<file>``, in the folder of a sender the
registry does not know, A01, or named against ``layout.file_name_problem``) is copied byte for byte to the archive bucket under ``quarantine/`` (see
``storage.layout``), its inbox row records the reason (state ``quarantined``), and it is removed from the
inbound bucket. No answer is written: nobody is registered to receive it. Operations find it by the row's
``archive_key`` and ``reason``, and in the logs.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from pipeline import clock
from pipeline.errors import TransientError
from pipeline.intake import inbox
from pipeline.intake.file_io import each_file
from pipeline.intake.inbox import InboxRow
from pipeline.registry import Registry
from pipeline.storage import ObjectNotFound, layout
from pipeline.storage.errors import StorageError

if TYPE_CHECKING:
    from pipeline.runtime import Runtime

log = logging.getLogger(__name__)
IO_THREADS = 8


def quarantine_reason(row: InboxRow | Any, registry: Registry) -> str | None:
    """Why a row (anything with ``key`` and ``sender_id``) must be quarantined without being processed, or
    None: not directly inside a sender folder, a folder that is no registered sender (A01), or a file name no
    answer can be written under (``name_reason``)."""
    folder = row.sender_id
    if folder is None:  # the key names no sender folder a registered sender could have
        segments = row.key.split("/")
        if len(segments) != 2 or not all(segments):
            return f"{row.key!r} is not inside a sender folder (<sender>/<file>): never processed"
        folder = segments[0]
    if folder not in registry.providers:
        return f"A01: folder {folder!r} is not a registered service provider: {row.key!r} never processed"
    return name_reason(row)


def name_reason(row: InboxRow | Any) -> str | None:
    """Why a file's name rules it out (``layout.file_name_problem``), or None. A registered sender's file
    quarantined for this gets no answer: the run reports it as a file set aside."""
    problem = layout.file_name_problem(row.key.rpartition("/")[2])
    return None if problem is None else f"{problem}: {row.key!r} never processed"


def quarantine_rows(runtime: Runtime, rows: list[InboxRow], registry: Registry, *,
                    real_keys: Mapping[str, str] = MappingProxyType({})) -> list[tuple[InboxRow, str]]:
    """Quarantine ``rows`` (each must have a reason) and take them out of the inbound bucket; returns the rows
    quarantined, each with its reason. ``real_keys``: the bucket's key of each row whose key the inbox holds otherwise
    (``discover.stored_key``)."""
    reasons = {row.id: quarantine_reason(row, registry) or "not in a registered sender's folder" for row in rows}
    # A file ruled out by its name is reported in the run's summary (INFO here); a stray file only here.
    named = [row for row in rows if reasons[row.id] == name_reason(row)]
    stray = [row for row in rows if reasons[row.id] != name_reason(row)]
    moved = _quarantine(runtime, [(row, None, reasons[row.id], False) for row in stray], real_keys)
    moved += _quarantine(runtime, [(row, None, reasons[row.id], False) for row in named], real_keys,
                         level=logging.INFO)
    inbound = runtime.buckets.inbound
    for row in moved:
        try:
            inbound.delete(real_keys.get(row.key, row.key))
        except (StorageError, TransientError) as exc:
            log.warning("quarantined file %s not removed from the inbound bucket: %s", row.key, exc)
    return [(row, reasons[row.id]) for row in moved]


def set_aside(runtime: Runtime, files: list[tuple[InboxRow, bytes | None, str, bool]]) -> list[InboxRow]:
    """Quarantine files that failed for a reason of their own — our code failed on their content, the
    database could not hold one of their values, their answer cannot be written — with that reason, so that no
    later run tries them again and nothing else waits on them. ``files``: (row, its bytes when at hand, reason,
    whether it is posted: a posted file keeps its outcome and postings). Returns the rows set aside; the caller
    removes them from the inbound bucket."""
    return _quarantine(runtime, files, level=logging.INFO)  # the run's summary reports each one


def _quarantine(runtime: Runtime, items: list[tuple[InboxRow, bytes | None, str, bool]],
                real_keys: Mapping[str, str] = MappingProxyType({}), *, level: int = logging.WARNING) -> list[InboxRow]:
    """Copy each file to ``quarantine/…`` in the archive bucket and mark its row quarantined with the reason;
    the rows that this call quarantined (a fault of the copy is recorded on the row, retryable when it is)."""
    inbound, archive = runtime.buckets.inbound, runtime.buckets.archive

    def move(item: tuple[InboxRow, bytes | None, str, bool]) -> tuple[str, str]:
        row, data, _, _ = item
        if data is None:
            if row.archive_key is not None:
                data = archive.read(row.archive_key)
            elif row.bucket != inbound.url:
                raise StorageError(f"{row.bucket} is not the inbound bucket")
            else:
                data = inbound.read(real_keys.get(row.key, row.key))
                if len(row.etag) == 32 and hashlib.md5(data, usedforsecurity=False).hexdigest() != row.etag:
                    raise StorageError(f"{row.key} changed since it was listed; the new content is a new inbox entry")
        sha256 = hashlib.sha256(data).hexdigest()
        key = layout.quarantine_key(row.business_date, sha256)
        if not archive.exists(key):
            archive.write(key, data)
        return sha256, key

    results = each_file(move, items, threads=IO_THREADS)
    moved: list[InboxRow] = []
    with Session(runtime.engine) as session, session.begin():
        now = clock.real_now()
        for (row, _, reason, posted), (result, fault) in zip(items, results, strict=True):
            if fault is not None:
                retryable = isinstance(fault, TransientError | OSError) and not isinstance(fault, ObjectNotFound)
                inbox.record_failure(session, row.id, f"quarantine: {fault}", retryable=retryable, now=now)
                continue
            sha256, key = result  # type: ignore[misc]
            if not inbox.record_quarantined(session, row.id, sha256=sha256, archive_key=key, reason=reason, now=now,
                                            posted=posted):
                continue  # another intake running at once quarantined it and counts it
            log.log(level, "quarantined %s as %s: %s", row.key, key, reason)
            moved.append(row)
    return moved
