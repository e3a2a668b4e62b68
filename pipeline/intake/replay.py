"""``carm replay``: process archived files again — by the day they were received, their sender or their hash —
without posting anything twice.

Semantics (our reading of interfaces.md "re-processes archived files … without double posting"):

- A file whose content (sha256) was already processed is not processed again: nothing is judged or posted.
  With ``reanswer`` its answers are written again from the stored outcome, byte for byte as first written
  (a provider lost them, or the outbound bucket was restored).
- A file that was archived but never finished (failed too often, e.g. during a store outage, or after a bug
  that has since been fixed) has its attempts reset and is processed now, as intake would have, with the
  acceptance date of the day it was received.
- With ``day`` (or ``sha256``), archived objects the ledger has no inbox entry for at all (a database restored
  from an older backup) are entered and processed too: sender = the sender the file names (it must be
  registered; with ``sender`` only that sender's files), answers under ``<sender>/responses/<sha256>.contrl.edi``
  (etc.): the original name is lost.
  Quarantined files are never replayed, except a posted file quarantined because its answers could not be
  produced: ``reanswer`` writes them (once the defect is fixed).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pipeline import clock
from pipeline.errors import TerminalError
from pipeline.intake import inbox
from pipeline.intake.discover import insert_ignoring_duplicates
from pipeline.intake.process import answer_again, process_batch
from pipeline.intake.summary import IntakeSummary, ReplaySummary
from pipeline.ledger import InboxEntry, InboxState, load_registry
from pipeline.ledger.database import database_fault
from pipeline.parsers import read_submission
from pipeline.storage import layout

if TYPE_CHECKING:
    from pipeline.runtime import Runtime


class ReplayError(TerminalError):
    """A replay that cannot select anything as asked."""


def replay(
    runtime: Runtime, *, day: date | None = None, sender: str | None = None, sha256: str | None = None,
    reanswer: bool = False, as_of: str | datetime | None = None,
) -> ReplaySummary:
    moment = runtime.business_moment(as_of)
    try:
        with Session(runtime.engine) as session:
            rows = _selected_rows(session, day, sender, sha256)
            known = {row.sha256 for row in rows}
            skipped: list[str] = []
            if sender is not None and sender not in load_registry(session).providers:
                raise ReplayError(f"--sender {sender!r} is not a registered service provider (carm registry list)")
            orphans = _orphans(runtime, session, day, sha256, known)
        if orphans:
            rows += _enter_orphans(runtime, orphans, skipped, sender)
        by_content: dict[str, list[inbox.InboxRow]] = {}
        for row in rows:
            by_content.setdefault(row.sha256 or "", []).append(row)
        processed = {content for content, group in by_content.items() if any(r.outcome is not None for r in group)}
        to_answer = [r for c in processed for r in by_content[c]
                     if r.outcome is not None and r.outcome.get("duplicate_of") is None]
        to_process = [r for c, group in by_content.items() if c not in processed for r in group]
        reanswered = 0
        intake = IntakeSummary()
        if reanswer and to_answer:
            reanswered, keys, failures = answer_again(runtime, to_answer)
            intake = intake.merge(IntakeSummary(failures=failures, answers=keys))
        if to_process:
            ids = [r.id for r in to_process]
            with Session(runtime.engine) as session, session.begin():
                for part in inbox.chunks(ids):
                    session.execute(
                        update(InboxEntry).where(InboxEntry.id.in_(part), InboxEntry.outcome.is_(None))
                        .values(attempts=0, updated_at=clock.real_now())
                        .execution_options(synchronize_session=False)
                    )
            intake = intake.merge(process_batch(runtime, ids, as_of=moment))
    except SQLAlchemyError as exc:
        raise database_fault(exc, runtime.settings.db_url) from exc
    return ReplaySummary(
        selected=len(by_content) + len(skipped), processed=len({r.sha256 for r in to_process}),
        already_processed=len(processed), reanswered=reanswered, skipped=tuple(skipped), intake=intake,
    )


def _selected_rows(session: Session, day: date | None, sender: str | None, sha256: str | None) -> list[inbox.InboxRow]:
    # A quarantined file is never replayed, unless it was posted and quarantined because its answers could not
    # be produced: --reanswer writes them once the defect is fixed.
    query = select(InboxEntry.id).where(
        InboxEntry.archive_key.is_not(None),
        or_(InboxEntry.state != InboxState.QUARANTINED, InboxEntry.outcome.is_not(None)),
    )
    if day is not None:
        query = query.where(InboxEntry.business_date == day)
    if sender is not None:
        query = query.where(InboxEntry.sender_id == sender)
    if sha256 is not None:
        query = query.where(InboxEntry.sha256 == sha256)
    return inbox.rows_by_id(session, list(session.scalars(query)))


def _orphans(runtime: Runtime, session: Session, day: date | None, sha256: str | None,
             known: set[str | None]) -> list[tuple[str, date, str]]:
    """(archive key, day, sha256) of archived files no inbox entry knows."""
    if day is None and sha256 is None:
        return []
    prefix = layout.archive_day_prefix(day) if day is not None else ""
    found = []
    for info in runtime.buckets.archive.list(prefix):
        archived = layout.parse_archive_key(info.key)
        if archived is None or (sha256 is not None and archived.sha256 != sha256) or archived.sha256 in known:
            continue
        found.append((info.key, archived.received, archived.sha256))
    if not found:
        return []
    entered = set()
    for part in inbox.chunks([sha for _, _, sha in found]):
        entered |= set(session.scalars(select(InboxEntry.sha256).where(InboxEntry.sha256.in_(part))))
    return [item for item in found if item[2] not in entered]


def _enter_orphans(runtime: Runtime, orphans: list[tuple[str, date, str]], skipped: list[str],
                   only_sender: str | None) -> list[inbox.InboxRow]:
    """Inbox entries for archived files the ledger does not know, each under the sender its interchange names
    (only those of ``only_sender`` when given); what cannot be entered is told in ``skipped``."""
    archive = runtime.buckets.archive
    now = clock.real_now()
    with Session(runtime.engine) as session:
        registry = load_registry(session)
    rows = []
    for key, received, sha256 in orphans:
        data = archive.read(key)
        if hashlib.sha256(data).hexdigest() != sha256:
            skipped.append(f"{key}: content does not match its name")
            continue
        interchange = read_submission(data, max_bytes=runtime.settings.max_file_bytes).interchange
        if interchange is None:
            skipped.append(f"{key}: no CAD interchange can be read from it (a payments file, or an unreadable file "
                           "whose sender is unknown): not replayed")
            continue
        sender = interchange.sender
        if only_sender is not None and sender != only_sender:
            continue  # another sender's file: not selected
        if not sender or sender not in registry.providers:
            skipped.append(f"{key}: the file names no registered sender to answer")
            continue
        rows.append({
            "bucket": archive.url, "key": key, "etag": hashlib.md5(data, usedforsecurity=False).hexdigest(),
            "size": len(data), "sha256": sha256, "sender_id": sender, "state": InboxState.ARCHIVED, "attempts": 0,
            "archive_key": key, "business_date": received, "received_at": now, "updated_at": now,
            "reason": "replayed from the archive: the ledger had no entry for it",
        })
    if not rows:
        return []
    with Session(runtime.engine) as session, session.begin():
        insert_ignoring_duplicates(session, rows)
        ids = list(session.scalars(select(InboxEntry.id).where(InboxEntry.key.in_([r["key"] for r in rows]),
                                                               InboxEntry.bucket == archive.url)))
        return inbox.rows_by_id(session, ids)
