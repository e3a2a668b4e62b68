"""Booking one judged file: the rows it writes to the ledger and the outcome its answers are rendered from. Pure.

``book_file`` decides everything but the numbers the database hands out (interchange and declaration ids,
answer control references); ``Booking.complete`` fills those in once the writer has them. Declarations are
keyed by (inbox id, position in the file), never by object identity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from pipeline import __version__
from pipeline.answers import ACCEPTED, DUPLICATE, REJECTED, inbound_syntax_version
from pipeline.billing import HolidayCalendar
from pipeline.findings import Finding
from pipeline.intake import records
from pipeline.intake.answering import StoredDeclaration, StoredOutcome, finding_json, needs_cusres
from pipeline.intake.judging import JudgedDeclaration, JudgedFile
from pipeline.intake.postings import OriginalTerms, plan_postings, standing_after
from pipeline.ledger.models import DeclarationStatus
from pipeline.model import ORIGINAL, Interchange
from pipeline.money import from_cents

ENGINE_VERSION = f"carm-pipeline {__version__}"
STATUS_OF = MappingProxyType({
    ACCEPTED: DeclarationStatus.ACCEPTED, REJECTED: DeclarationStatus.REJECTED, DUPLICATE: DeclarationStatus.DUPLICATE,
})

#: A declaration of the batch: (inbox id of its file, its position among the file's declarations).
DeclarationKey = tuple[int, int]
#: Answer amounts of a declaration: (line number → amounts, totals).
AnswerAmounts = tuple[dict[int, dict[str, int]], dict[str, int]]


@dataclass(frozen=True, slots=True)
class Assessed:
    """The answer amounts, ledger rows and totals of one accepted declaration."""

    line_amounts: dict[int, dict[str, int]]
    totals: dict[str, int]  # answer charge types
    engine_totals: dict[str, int]  # engine names
    lines: list[dict[str, Any]]  # line_assessments rows, without declaration_id
    warnings: tuple[Finding, ...] = ()  # W01/W03: the answer carries them beside validation's warnings


@dataclass(frozen=True, slots=True)
class Booked:
    """A file once its rows are numbered: what the writer inserts last, and what the file keeps once committed."""

    lines: list[dict[str, Any]]
    postings: list[dict[str, Any]]
    stored: StoredOutcome
    interchange: Interchange | None
    amounts: dict[int, AnswerAmounts]  # declaration id → answer amounts
    posted_cents: int


@dataclass(frozen=True, slots=True)
class Booking:
    """What one file books, before the database numbers its rows."""

    inbox_id: int
    sha256: str  # of the file: the archive key, the source of its rows
    interchange: Interchange | None
    registers_interchange: bool  # its declarations hang off an interchange record (new, or ``interchange_known``)
    interchange_known: bool
    declarations: list[dict[str, Any]]  # declarations rows, without interchange_id
    judgements: tuple[tuple[str, tuple[Finding, ...]], ...]  # status and answered findings, per declaration
    lines: tuple[list[dict[str, Any]], ...]  # per declaration: line_assessments rows, without declaration_id
    postings: tuple[list[dict[str, Any]], ...]  # per declaration: postings rows, without declaration_id
    amounts: tuple[AnswerAmounts | None, ...]  # per declaration
    reference_names: tuple[str, ...]  # answers needing a control reference: "contrl", "cusres"
    standing: dict[str, dict[str, int]]  # cents still posted per transaction, once booked
    originals: dict[str, OriginalTerms]  # originals this file accepts
    posted_cents: int
    syntax: str
    syntax_version: str | None
    moment: datetime
    duplicate_of: int | None  # same name and content already processed: nothing written, no answer
    file_findings: tuple[Finding, ...]

    def complete(self, declaration_ids: list[int], references: list[str]) -> Booked:
        """The file's rows and outcome once the database numbered its declarations and issued its references."""
        if not self.registers_interchange:
            declarations = tuple(StoredDeclaration(status, found, None) for status, found in self.judgements)
            lines: list[dict[str, Any]] = []
            postings: list[dict[str, Any]] = []
            amounts: dict[int, AnswerAmounts] = {}
        else:
            declarations = tuple(StoredDeclaration(status, found, declaration_id) for (status, found), declaration_id
                                 in zip(self.judgements, declaration_ids, strict=True))
            lines = [{**line, "declaration_id": declaration_id}
                     for declaration_id, rows in zip(declaration_ids, self.lines, strict=True) for line in rows]
            postings = [{**posting, "declaration_id": declaration_id}
                        for declaration_id, rows in zip(declaration_ids, self.postings, strict=True) for posting in rows]
            amounts = {declaration_id: found for declaration_id, found in zip(declaration_ids, self.amounts, strict=True)
                       if found is not None}
        stored = StoredOutcome(self.syntax, self.syntax_version, self.moment,
                               dict(zip(self.reference_names, references, strict=True)),
                               () if self.duplicate_of is not None else self.file_findings,
                               () if self.duplicate_of is not None else declarations, duplicate_of=self.duplicate_of)
        return Booked(lines, postings, stored, self.interchange, amounts, self.posted_cents)


def book_file(
    judged: JudgedFile, *, inbox_id: int, data: bytes, sha256: str, business_date: date, moment: datetime,
    now: datetime, assessed: Mapping[DeclarationKey, Assessed], standing: Mapping[str, dict[str, int]],
    originals: Mapping[str, OriginalTerms], calendar: HolidayCalendar,
) -> Booking:
    """The rows one judged file writes and its outcome, against the transactions' ``standing`` and ``originals``
    as the files before it in the batch left them. ``now``: the real time recorded on its rows; ``moment``: the
    business moment its answers are issued at."""
    new_standing: dict[str, dict[str, int]] = {}
    new_originals: dict[str, OriginalTerms] = {}
    judgements = tuple(
        (j.status, _findings_of(j, assessed.get((inbox_id, index))))
        for index, j in enumerate(judged.declarations)
    ) if judged.duplicate_of is None else ()
    declaration_rows: list[dict[str, Any]] = []
    lines: list[list[dict[str, Any]]] = []
    postings: list[list[dict[str, Any]]] = []
    amounts: list[AnswerAmounts | None] = []
    posted_cents = 0
    if judged.registers_interchange:
        for index, (judgement, (_, found)) in enumerate(zip(judged.declarations, judgements, strict=True)):
            row = declaration_row(judgement, found, business_date, sha256, now)
            declaration_rows.append(row)
            declaration_lines: list[dict[str, Any]] = []
            declaration_postings: list[dict[str, Any]] = []
            result = assessed.get((inbox_id, index)) if judgement.status == ACCEPTED else None
            if judgement.status == ACCEPTED:
                declaration = judgement.declaration
                number = declaration.transaction_number
                current = new_standing.get(number, standing.get(number, {}))
                plan = plan_postings(
                    function=declaration.function, cad_type=declaration.cad_type, release=judgement.release,
                    accepted_on=business_date, totals=result.engine_totals if result else {}, standing=current,
                    original=new_originals.get(number, originals.get(number)), late=judgement.late, calendar=calendar,
                )
                row.update(period=plan.period, due_date=plan.due_date)
                new_standing[number] = standing_after(current, plan.postings)
                if declaration.function == ORIGINAL:
                    new_originals[number] = plan.terms
                if result is not None:
                    declaration_lines = result.lines
                for planned in plan.postings:
                    posted_cents += planned.cents
                    declaration_postings.append({
                        "importer_bn15": declaration.importer.id, "posting_date": business_date, "posted_at": now,
                        "kind": planned.kind, "charge_type": planned.charge_type, "amount": from_cents(planned.cents),
                        "transaction_number": number, "version": declaration.version_number,
                        "period": planned.period, "due_date": planned.due_date, "interest_from": planned.interest_from,
                        "source": sha256, "engine_version": ENGINE_VERSION,
                    })
            lines.append(declaration_lines)
            postings.append(declaration_postings)
            amounts.append((result.line_amounts, result.totals) if result is not None else None)
    names: tuple[str, ...] = ()
    if judged.duplicate_of is None and judged.syntax == "edifact":
        names = ("contrl", "cusres") if needs_cusres(judged.interchange, judged.file_findings) else ("contrl",)
    version = inbound_syntax_version(data) if judged.duplicate_of is None and judged.syntax == "edifact" else None
    return Booking(
        inbox_id, sha256, judged.interchange, judged.registers_interchange, judged.interchange_known, declaration_rows,
        judgements, tuple(lines), tuple(postings), tuple(amounts), names, new_standing, new_originals, posted_cents,
        judged.syntax, version, moment, judged.duplicate_of, judged.file_findings,
    )


def declaration_row(judgement: JudgedDeclaration, findings: tuple[Finding, ...], business_date: date, sha256: str,
                    now: datetime) -> dict[str, Any]:
    """The ``declarations`` row of a judged version, without its interchange id, period and due date."""
    declaration = judgement.declaration
    broker = declaration.broker.id if declaration.broker is not None else None
    accepted = judgement.status == ACCEPTED
    return {
        "message_reference": declaration.message_reference,
        "transaction_number": declaration.transaction_number,
        "version": declaration.version_number,
        "function": declaration.function,
        "cad_type": declaration.cad_type,
        "importer_bn15": declaration.importer.id,
        "broker_bn9": broker[:9] if broker and broker[:9].isdigit() else broker,
        "release_date": records.release_date_or_none(declaration.release_date),
        "status": STATUS_OF[judgement.status],
        "findings": [finding_json(f) for f in findings],
        "received_on": business_date,
        "accepted_on": business_date if accepted else None,
        "posted_at": now if accepted else None,
        "period": None,
        "due_date": None,
        "source_sha256": sha256,
        "created_at": now,
    }


def _findings_of(judgement: JudgedDeclaration, assessed: Assessed | None) -> tuple[Finding, ...]:
    """What the answer says of a declaration: judging's findings, then, once accepted, assessment's warnings."""
    if judgement.status != ACCEPTED or assessed is None:
        return judgement.findings
    return (*judgement.findings, *assessed.warnings)
