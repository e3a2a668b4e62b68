"""The inbox table: one row per version of an inbound object, and how far intake got with it.

Progress is read from the row's columns, whatever its ``state`` says after a failure: ``archive_key`` set means
the bytes are safe in the archive; ``outcome`` set means the file was judged and posted (its answers may still
be missing); ``state`` ``answered`` means its answers are written. So a retry of a ``failed`` row resumes where
the failure happened. States::

    received → archived → parsed (judged and posted) → answered
    received → quarantined                                (not in a registered sender's folder, or its name)
    any but answered → quarantined         (a fault of its own: our code failed on it, a value the database
                                            cannot hold, an answer that cannot be written; never retried)
    any of the first three → failed (attempts < MAX_ATTEMPTS, or already posted: retried by the next run)

Every state change is a conditional UPDATE (compare-and-set on the state or on ``outcome IS NULL``), so two
workers given the same rows cannot both post a file: the second one's UPDATE matches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from pipeline.ledger import InboxEntry, InboxState

MAX_ATTEMPTS = 5
#: SQLite allows 32,766 bound parameters per statement; PostgreSQL 65,535. IN lists are cut well below.
IN_CHUNK = 900

PENDING_STATES = (InboxState.RECEIVED, InboxState.ARCHIVED, InboxState.PARSED)


@dataclass(frozen=True, slots=True)
class InboxRow:
    id: int
    bucket: str
    key: str
    etag: str
    sha256: str | None
    sender_id: str | None
    state: InboxState
    attempts: int
    archive_key: str | None
    business_date: date
    outcome: dict[str, Any] | None

    @property
    def file_name(self) -> str:
        return self.key.rpartition("/")[2]


_COLUMNS = (
    InboxEntry.id, InboxEntry.bucket, InboxEntry.key, InboxEntry.etag, InboxEntry.sha256, InboxEntry.sender_id,
    InboxEntry.state, InboxEntry.attempts, InboxEntry.archive_key, InboxEntry.business_date, InboxEntry.outcome,
)


def chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _row(record: Any) -> InboxRow:
    return InboxRow(*record)


def eligible() -> Any:
    """Rows still to process: not finished, and not failed too often; a file already posted stays eligible
    until it is answered, whatever its attempts (a run killed mid-way counts an attempt too, and what is left
    to do, answering from the stored outcome, is what a retry can always finish)."""
    return or_(
        InboxEntry.state.in_(PENDING_STATES),
        and_(InboxEntry.state == InboxState.FAILED,
             or_(InboxEntry.attempts < MAX_ATTEMPTS, InboxEntry.outcome.is_not(None))),
    )


def pending_ids(session: Session) -> list[int]:
    return list(session.scalars(select(InboxEntry.id).where(eligible()).order_by(InboxEntry.id)))


def rows_by_id(session: Session, ids: Sequence[int]) -> list[InboxRow]:
    found: list[InboxRow] = []
    for part in chunks(list(ids)):
        found += [_row(r) for r in session.execute(select(*_COLUMNS).where(InboxEntry.id.in_(part)))]
    return sorted(found, key=lambda row: row.id)


def posted_ids(session: Session, ids: Sequence[int]) -> set[int]:
    """Those of ``ids`` whose outcome is recorded (by this worker or another)."""
    found: set[int] = set()
    for part in chunks(list(ids)):
        found |= set(session.scalars(select(InboxEntry.id).where(InboxEntry.id.in_(part), InboxEntry.outcome.is_not(None))))
    return found


def claim(session: Session, ids: Sequence[int], now: datetime) -> list[InboxRow]:
    """Count an attempt on every row of ``ids`` that is still eligible, and return those rows by id.

    The claim is bookkeeping (attempts, for the retry limit), not a lock: what makes posting exactly-once is
    the conditional UPDATE of ``record_outcomes`` and the ledger's unique keys (``lease`` keeps concurrent runs
    off each other's senders)."""
    claimed: list[InboxRow] = []
    for part in chunks(list(ids)):
        statement = (
            update(InboxEntry)
            .where(InboxEntry.id.in_(part), eligible())
            .values(attempts=InboxEntry.attempts + 1, updated_at=now)
            .returning(*_COLUMNS)
            .execution_options(synchronize_session=False)
        )
        claimed += [_row(r) for r in session.execute(statement)]
    return sorted(claimed, key=lambda row: row.id)


def record_archived(session: Session, archived: Sequence[tuple[int, str, str]], now: datetime) -> None:
    """``(inbox id, sha256, archive key)`` of files now in the archive."""
    if archived:
        table = InboxEntry.__table__
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("row_id"), table.c.archive_key.is_(None))
            .values(sha256=bindparam("row_sha256"), archive_key=bindparam("row_archive_key"),
                    state=InboxState.ARCHIVED, updated_at=now),
            [{"row_id": i, "row_sha256": s, "row_archive_key": k} for i, s, k in archived],
        )


def record_outcomes(session: Session, outcomes: Sequence[tuple[int, dict[str, Any]]], now: datetime) -> bool:
    """Mark files judged and posted, each with the outcome its answers are rendered from (inbox id, outcome), in
    one statement. False when another worker did it first for any of them (nothing may then be kept of this
    attempt)."""
    if not outcomes:
        return True
    table = InboxEntry.__table__
    result = session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("inbox_id"), table.c.outcome.is_(None))
        .values(state=InboxState.PARSED, outcome=bindparam("new_outcome"), last_error=None, updated_at=now),
        [{"inbox_id": inbox_id, "new_outcome": outcome} for inbox_id, outcome in outcomes],
    )
    return result.rowcount == len(outcomes)


def record_answered(session: Session, ids: Sequence[int], now: datetime) -> None:
    """Mark files answered: posted ones, including a posted file quarantined because its answers could not be
    produced then, answered now by ``replay --reanswer``."""
    answerable = or_(InboxEntry.state.in_((InboxState.PARSED, InboxState.FAILED)),
                     and_(InboxEntry.state == InboxState.QUARANTINED, InboxEntry.outcome.is_not(None)))
    for part in chunks(list(ids)):
        session.execute(
            update(InboxEntry)
            .where(InboxEntry.id.in_(part), answerable)
            .values(state=InboxState.ANSWERED, last_error=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )


def record_quarantined(session: Session, inbox_id: int, *, sha256: str, archive_key: str, reason: str,
                       now: datetime, posted: bool = False) -> bool:
    """Mark a file quarantined; False when it already was (another intake running at once got there first).
    ``posted``: a file whose outcome is recorded (its answers could not be produced) may be quarantined too."""
    unposted = InboxEntry.outcome.is_not(None) if posted else InboxEntry.outcome.is_(None)
    result = session.execute(
        update(InboxEntry)
        .where(InboxEntry.id == inbox_id, unposted, InboxEntry.state != InboxState.QUARANTINED)
        .values(state=InboxState.QUARANTINED, sha256=sha256, archive_key=archive_key, reason=reason,
                updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def reopen_quarantined(session: Session, inbox_ids: Sequence[int], *, business_date: date, now: datetime) -> None:
    """Quarantined files dropped again once their sender folder is registered: received anew on
    ``business_date`` (their acceptance date), to be archived and processed like any new file. The quarantine
    copy stays in the archive; the reason keeps what happened."""
    for part in chunks(list(inbox_ids)):
        session.execute(
            update(InboxEntry)
            .where(InboxEntry.id.in_(part), InboxEntry.state == InboxState.QUARANTINED)
            .values(state=InboxState.RECEIVED, archive_key=None, attempts=0, last_error=None,
                    business_date=business_date, updated_at=now,
                    reason="dropped again after its sender folder was registered; was quarantined: "
                           + func.coalesce(InboxEntry.reason, ""))
            .execution_options(synchronize_session=False)
        )


def record_failure(session: Session, inbox_id: int, error: str, *, retryable: bool, now: datetime) -> None:
    """A file the run could not finish. A fault that a retry cannot fix uses up the attempts at once."""
    values: dict[str, Any] = {"state": InboxState.FAILED, "last_error": error[:4000], "updated_at": now}
    if not retryable:
        values["attempts"] = MAX_ATTEMPTS
    session.execute(
        update(InboxEntry)
        .where(InboxEntry.id == inbox_id, InboxEntry.state.not_in((InboxState.ANSWERED, InboxState.QUARANTINED)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
