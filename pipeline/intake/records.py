"""Reading and writing the ledger for intake, a batch at a time: few statements, no per-line query.

Loads take every transaction number, sender reference and content hash of a batch at once (IN lists cut in
chunks); writes are one statement per table through ``ledger.bulk`` (COPY on PostgreSQL, the generated ids of
interchanges and declarations drawn from their sequences first; one ``executemany`` on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, tuple_
from sqlalchemy.orm import Session

from pipeline.answers import ENGINE_CHARGE_TYPES, amounts_from_engine
from pipeline.intake.inbox import chunks
from pipeline.intake.judging import LedgerView
from pipeline.intake.postings import DECLARATION_KINDS, OriginalTerms
from pipeline.ledger import (
    ControlNumber,
    DeclarationRecord,
    DeclarationStatus,
    InboxEntry,
    InterchangeRecord,
    LineAssessment,
    Posting,
    money_cents,
)
from pipeline.ledger.bulk import insert_many, insert_returning_ids
from pipeline.ledger.control_numbers import CONTROL_REFERENCE_WIDTH
from pipeline.model import ORIGINAL

#: The engine amounts an answer carries (not the VFD), as stored per line.
ENGINE_AMOUNTS = tuple(ENGINE_CHARGE_TYPES)


def load_view(
    session: Session, numbers: Iterable[str], references: Iterable[tuple[str, str]],
    contents: Iterable[tuple[str, str]],
) -> LedgerView:
    """The ledger as a batch needs it: latest accepted version and owning importer (that of the first accepted
    version) of each transaction number, the sha256 of each (sender, control reference) already processed, and
    the inbox entry of each (inbound key, sha256) already processed."""
    view = LedgerView()
    for part in chunks(sorted(set(numbers))):
        # Every accepted version (a transaction has a handful), lowest first: the first names the owner.
        for number, version, importer in session.execute(
            select(DeclarationRecord.transaction_number, DeclarationRecord.version, DeclarationRecord.importer_bn15)
            .where(DeclarationRecord.transaction_number.in_(part),
                   DeclarationRecord.status == DeclarationStatus.ACCEPTED)
            .order_by(DeclarationRecord.transaction_number, DeclarationRecord.version)
        ):
            if number not in view.latest and importer is not None:
                view.owners[number] = importer
            view.latest[number] = version
    for part in chunks(sorted(set(references)), 400):
        for sender, reference, sha256 in session.execute(
            select(InterchangeRecord.sender_id, InterchangeRecord.control_reference, InterchangeRecord.sha256)
            .where(tuple_(InterchangeRecord.sender_id, InterchangeRecord.control_reference).in_(part))
        ):
            view.interchanges[(sender, reference)] = sha256
    wanted = set(contents)
    for part in chunks(sorted({sha256 for _, sha256 in wanted})):
        for key, sha256, inbox_id in session.execute(
            select(InboxEntry.key, InboxEntry.sha256, func.min(InboxEntry.id))
            .where(InboxEntry.sha256.in_(part), InboxEntry.outcome.is_not(None))
            .group_by(InboxEntry.key, InboxEntry.sha256)
        ):
            if (key, sha256) in wanted:
                view.contents[(key, sha256)] = inbox_id
    return view


def load_standing(session: Session, numbers: Iterable[str]) -> dict[str, dict[str, int]]:
    """Cents still posted per transaction number and charge type (assessments, corrections, adjustments and
    cancellations; not penalties, interest or payments)."""
    standing: dict[str, dict[str, int]] = {}
    for part in chunks(sorted(set(numbers))):
        for number, charge, amount in session.execute(
            select(Posting.transaction_number, Posting.charge_type, func.sum(Posting.amount))
            .where(Posting.transaction_number.in_(part), Posting.kind.in_(DECLARATION_KINDS))
            .group_by(Posting.transaction_number, Posting.charge_type)
        ):
            standing.setdefault(number, {})[str(charge)] = money_cents(amount)
    return standing


def load_originals(session: Session, numbers: Iterable[str]) -> dict[str, OriginalTerms]:
    """The billing period and due date of each transaction's accepted original."""
    originals: dict[str, OriginalTerms] = {}
    for part in chunks(sorted(set(numbers))):
        for number, period, due in session.execute(
            select(DeclarationRecord.transaction_number, DeclarationRecord.period, DeclarationRecord.due_date)
            .where(DeclarationRecord.transaction_number.in_(part),
                   DeclarationRecord.status == DeclarationStatus.ACCEPTED,
                   DeclarationRecord.function == ORIGINAL)
        ):
            if period is not None and due is not None:
                originals[number] = OriginalTerms(period, due)
    return originals


LineAmounts = dict[int, dict[str, int]]


def load_amounts(session: Session, declaration_ids: Iterable[int]) -> dict[int, tuple[LineAmounts, dict[str, int]]]:
    """Declaration id → (line number → answer amounts, totals) of stored assessments, as they were answered."""
    columns = [getattr(LineAssessment, name) for name in ENGINE_AMOUNTS]
    lines: dict[int, LineAmounts] = {}
    for part in chunks(sorted(set(declaration_ids))):
        for record in session.execute(
            select(LineAssessment.declaration_id, LineAssessment.line, *columns)
            .where(LineAssessment.declaration_id.in_(part))
        ):
            amounts = {name: money_cents(value) for name, value in zip(ENGINE_AMOUNTS, record[2:], strict=True)}
            lines.setdefault(record[0], {})[record[1]] = amounts_from_engine(amounts)
    result: dict[int, tuple[LineAmounts, dict[str, int]]] = {}
    for declaration_id, by_line in lines.items():
        ordered = dict(sorted(by_line.items()))
        totals: dict[str, int] = {}
        for amounts in ordered.values():
            for charge, cents in amounts.items():
                totals[charge] = totals.get(charge, 0) + cents
        result[declaration_id] = (ordered, totals)
    return result


# --- writes ----------------------------------------------------------------------------------------------------

def known_interchanges(session: Session, references: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Id of each interchange already registered under one of ``references`` (sender, control reference)."""
    known: dict[tuple[str, str], int] = {}
    for part in chunks(sorted(set(references)), 400):
        for sender, reference, interchange_id in session.execute(
            select(InterchangeRecord.sender_id, InterchangeRecord.control_reference, InterchangeRecord.id)
            .where(tuple_(InterchangeRecord.sender_id, InterchangeRecord.control_reference).in_(part))
        ):
            known[(sender, reference)] = interchange_id
    return known


def insert_interchanges(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Register interchanges (sender_id, control_reference, sha256, inbox_id, syntax, accepted_at); their ids,
    in the order of ``rows``."""
    return insert_returning_ids(session.connection(), InterchangeRecord.__table__, rows)


def insert_declarations(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert declaration records; their ids, in the order of ``rows``."""
    return insert_returning_ids(session.connection(), DeclarationRecord.__table__, rows)


def insert_rows(session: Session, model: type, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows of one table in one statement (``ledger.bulk``: COPY on PostgreSQL); never read back here."""
    insert_many(session.connection(), model.__table__, rows)


def issue_references(session: Session, senders: Sequence[str], now: datetime) -> list[str]:
    """A fresh interchange control reference for an answer to each of ``senders``, from the database's counter
    (the same table and format as ``pipeline.ledger.next_control_reference``, in one statement)."""
    if not senders:
        return []
    table = ControlNumber.__table__
    result = session.connection().execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [{"sender_id": sender, "issued_at": now} for sender in senders],
    )
    return [f"{number:0{CONTROL_REFERENCE_WIDTH}d}" for number in result.scalars()]


def release_date_or_none(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        return None
