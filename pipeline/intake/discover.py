"""Discovery: list the inbound bucket and enter every object version in the inbox, once.

An object version is identified by (inbound bucket URL, key, ETag): listing the same bucket twice, or two
workers listing it at once, enters it once (``INSERT … ON CONFLICT DO NOTHING`` on both dialects); a file
re-uploaded with other content under the same name is a new version, hence a new entry. Files outside a
registered sender's folder, or named against ``layout.file_name_problem``, are quarantined here (``quarantine``).
Nothing listed is ignored but payments files (the local store does not list writes in progress: see
``storage.local``). A version already answered, dropped again
unchanged, is removed and not processed again (its answers are there); a quarantined one is processed once its
sender folder has been registered. Asset events and sensors are only a wake-up
signal: the inbox, not the event, says what is still to do (notes/airflow3.md A5).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pipeline import clock
from pipeline.errors import TransientError
from pipeline.intake import inbox
from pipeline.intake.quarantine import name_reason, quarantine_reason, quarantine_rows
from pipeline.intake.summary import FileFailure
from pipeline.ledger import InboxEntry, InboxState, load_registry
from pipeline.ledger.database import database_fault
from pipeline.registry import Registry
from pipeline.storage import layout
from pipeline.storage.errors import StorageError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from pipeline.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Discovery:
    pending: list[int]  # inbox ids still to process, in id order
    new: int  # entries made by this listing
    quarantined: int
    repeated: int = 0  # finished object versions dropped again unchanged: removed, not processed again
    set_aside: tuple[FileFailure, ...] = ()  # registered senders' files quarantined for their names


def insert_ignoring_duplicates(session: Session, rows: list[dict]) -> int:
    """Insert inbox rows, skipping any whose (bucket, key, etag) is already there; returns how many were new."""
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(InboxEntry.__table__).on_conflict_do_nothing(index_elements=["bucket", "key", "etag"])
    new = 0
    for part in inbox.chunks(rows, 500):
        result = session.connection().execute(statement.returning(InboxEntry.__table__.c.id), list(part))
        new += len(result.all())
    return new


def _dropped_again(session: Session, bucket: str, listed: list, registry: Registry) -> tuple[list[str], list[int]]:
    """Listed object versions that intake already finished, dropped again unchanged: (keys of those that are
    not processed again and leave the inbound bucket like the first time, inbox ids of quarantined ones whose
    reason no longer holds — their sender has been registered since — to process now)."""
    versions = {(info.key, info.etag) for info in listed}
    finished: list[str] = []
    reopen: list[int] = []
    for part in inbox.chunks(sorted({info.key for info in listed})):
        for row in session.execute(
            select(InboxEntry.id, InboxEntry.key, InboxEntry.etag, InboxEntry.state, InboxEntry.sender_id,
                   InboxEntry.outcome).where(
                InboxEntry.bucket == bucket, InboxEntry.key.in_(part),
                InboxEntry.state.in_((InboxState.ANSWERED, InboxState.QUARANTINED)),
            )
        ):
            if (row.key, row.etag) not in versions:
                continue
            # A posted file (quarantined because its answers could not be produced) is answered by replay.
            if row.state is InboxState.QUARANTINED and row.outcome is None and quarantine_reason(row, registry) is None:
                reopen.append(row.id)
            else:
                finished.append(row.key)
    return finished, reopen


#: The inbox holds keys of up to 1,024 characters (S3's limit, in bytes) and sender ids of up to 35.
MAX_KEY_CHARS = 1024
MAX_SENDER_CHARS = 35


def stored_key(key: str) -> str:
    """``key`` as the inbox can hold it. A local file system may list names that are not UTF-8 (Python reads
    their bytes as surrogates, which no database takes) and paths longer than any S3 key: those are entered
    readably — bytes that are not UTF-8 as U+FFFD, the path cut short — with a digest of the real key, so that
    two such keys stay two entries. ``discover`` maps them back to the real key to quarantine the file."""
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        if len(key) <= MAX_KEY_CHARS:
            return key
    raw = key.encode("utf-8", "surrogateescape")
    readable = raw.decode("utf-8", "replace")
    return f"{readable[:MAX_KEY_CHARS - 40]}…[{hashlib.sha256(raw).hexdigest()[:16]}]"


def _remove_finished(inbound, keys: list[str]) -> None:  # noqa: ANN001 - a Store
    for key in keys:
        try:
            inbound.delete(key)
        except (StorageError, TransientError) as exc:
            log.warning("finished file %s not removed from the inbound bucket: %s", key, exc)


def discover(runtime: Runtime, *, as_of: str | datetime | None = None) -> Discovery:
    moment = runtime.business_moment(as_of)
    inbound = runtime.buckets.inbound
    # Payments files share the inbound bucket but belong to the payments loader: never claimed, never quarantined.
    now = clock.real_now()
    listed = [info for info in inbound.list() if not layout.is_payments_key(info.key)]
    real_keys = {}  # stored key → the key in the bucket, where they differ
    for info in listed:
        if (key := stored_key(info.key)) != info.key:
            real_keys[key] = info.key
    listed = [replace(info, key=stored_key(info.key)) for info in listed]
    rows = []
    for info in listed:
        place = layout.parse_inbound_key(info.key)
        sender = place.sender_id if place and len(place.sender_id) <= MAX_SENDER_CHARS else None
        rows.append({
            "bucket": inbound.url, "key": info.key, "etag": info.etag, "size": info.size, "sha256": None,
            "sender_id": sender, "state": InboxState.RECEIVED, "attempts": 0,
            "business_date": moment.date(), "received_at": now, "updated_at": now,
        })
    try:
        with Session(runtime.engine) as session, session.begin():
            new = insert_ignoring_duplicates(session, rows)
            registry = load_registry(session)
            finished, reopen = _dropped_again(session, inbound.url, listed, registry)
            inbox.reopen_quarantined(session, reopen, business_date=moment.date(), now=now)
            received = inbox.rows_by_id(session, list(session.scalars(
                select(InboxEntry.id).where(InboxEntry.state == InboxState.RECEIVED, InboxEntry.outcome.is_(None))
            )))
        outside = [row for row in received if quarantine_reason(row, registry)]
        moved = quarantine_rows(runtime, outside, registry, real_keys=real_keys) if outside else []
        _remove_finished(inbound, [real_keys.get(key, key) for key in finished])
        with Session(runtime.engine) as session:
            pending = inbox.pending_ids(session)
    except SQLAlchemyError as exc:
        raise database_fault(exc, runtime.settings.db_url) from exc
    if finished:
        log.info("%d file(s) dropped again unchanged after intake finished them: not processed again", len(finished))
    # A registered sender's file ruled out by its name gets no answer: reported like a file set aside.
    named = tuple(FileFailure(row.id, row.key, reason, retryable=False, quarantined=True)
                  for row, reason in moved if reason == name_reason(row))
    return Discovery(pending, new, len(moved), repeated=len(finished), set_aside=named)


def discover_pending(runtime: Runtime, *, as_of: str | datetime | None = None) -> list[int]:
    """List the inbound bucket, enter new object versions in the inbox, quarantine what is outside a registered
    sender's folder, and return the ids of every entry still to process (received, archived, parsed, or failed
    fewer than ``MAX_ATTEMPTS`` times), in id order."""
    return discover(runtime, as_of=as_of).pending
