"""Files that are not inside a registered sender's folder: never processed, kept, and reported (interfaces.md).

Such a file (at the bucket root, nested deeper than ``<sender>/<file>``, or in the folder of a sender the
registry does not know, A01) is copied byte for byte to the archive bucket under ``quarantine/`` (see
``storage.layout``), its inbox row records the reason (state ``quarantined``), and it is removed from the
inbound bucket. No answer is written: nobody is registered to receive it. Operations find it by the row's
``archive_key`` and ``reason``, and in the logs.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

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


def unregistered_reason(row: InboxRow, registry: Registry) -> str | None:
    """Why a row must be quarantined, or None when it is in a registered sender's folder."""
    if row.sender_id is None:
        return f"{row.key!r} is not inside a sender folder (<sender>/<file>): never processed"
    if row.sender_id not in registry.providers:
        return f"A01: folder {row.sender_id!r} is not a registered service provider: {row.key!r} never processed"
    return None


def quarantine_rows(runtime: Runtime, rows: list[InboxRow], registry: Registry) -> int:
    """Quarantine ``rows`` (each must have a reason); returns how many were quarantined."""
    inbound, archive = runtime.buckets.inbound, runtime.buckets.archive

    def move(row: InboxRow) -> tuple[str, str]:
        if row.bucket != inbound.url:
            raise StorageError(f"{row.bucket} is not the inbound bucket")
        data = inbound.read(row.key)
        if len(row.etag) == 32 and hashlib.md5(data, usedforsecurity=False).hexdigest() != row.etag:
            raise StorageError(f"{row.key} changed since it was listed; the new content is a new inbox entry")
        sha256 = hashlib.sha256(data).hexdigest()
        key = layout.quarantine_key(row.business_date, sha256)
        if not archive.exists(key):
            archive.write(key, data)
        return sha256, key

    results = each_file(move, rows, threads=IO_THREADS)
    count = 0
    moved: list[InboxRow] = []
    with Session(runtime.engine) as session, session.begin():
        now = datetime.now(UTC)
        for row, (result, fault) in zip(rows, results, strict=True):
            if fault is not None:
                retryable = isinstance(fault, TransientError | OSError) and not isinstance(fault, ObjectNotFound)
                inbox.record_failure(session, row.id, f"quarantine: {fault}", retryable=retryable, now=now)
                continue
            sha256, key = result  # type: ignore[misc]
            reason = unregistered_reason(row, registry) or "not in a registered sender's folder"
            if not inbox.record_quarantined(session, row.id, sha256=sha256, archive_key=key, reason=reason, now=now):
                continue  # another intake running at once quarantined it and counts it
            log.warning("quarantined %s as %s: %s", row.key, key, reason)
            moved.append(row)
            count += 1
    for row in moved:
        try:
            inbound.delete(row.key)
        except (StorageError, TransientError) as exc:
            log.warning("quarantined file %s not removed from the inbound bucket: %s", row.key, exc)
    return count
