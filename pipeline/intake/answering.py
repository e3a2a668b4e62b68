"""The answers of one inbound file, rendered from what the ledger stored about it.

What a file was answered is decided once, when the file is posted, and stored in the same transaction on its
inbox row (``inbox.outcome``, a ``StoredOutcome``): the file's findings, each declaration's status, findings
and ledger id, the answer control references issued by the database, and the issue time. The answers are then
*rendered* from that record, the archived bytes (read again for the model of the interchange; reading is pure)
and the assessed amounts of the accepted declarations (``line_assessments``). The first writing and any later
rewrite (after a crash between commit and answer, or ``carm replay --reanswer``) go through the same function,
so they are byte for byte the same.

A cancellation (function 1) is answered AC with totals of zero and no line groups: after it the transaction
owes nothing (its postings reverse everything still posted, see ``postings``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipeline.answers import (
    ACCEPTED,
    REJECTED,
    DeclarationOutcome,
    FileOutcome,
    contrl,
    cusres,
    xml_response,
)
from pipeline.findings import Finding, Scope
from pipeline.model import ANSWER_CHARGE_TYPES, CANCELLATION, Interchange
from pipeline.storage import layout

EDIFACT, XML = "edifact", "xml"
ZERO_TOTALS: Mapping[str, int] = {charge: 0 for charge in ANSWER_CHARGE_TYPES}

#: Line amounts of a declaration: line number → charge type (CUD … TOT) → cents; and its totals.
LineAmounts = Mapping[int, Mapping[str, int]]


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code, "message": finding.message, "location": finding.location, "line": finding.line,
        "message_reference": finding.message_reference, "element": finding.element,
    }


def finding_from_json(data: Mapping[str, Any]) -> Finding:
    return Finding(
        data["code"], data["message"], data["location"], int(data.get("line") or 0),
        data.get("message_reference"), data.get("element"),
    )


@dataclass(frozen=True, slots=True)
class StoredDeclaration:
    status: str  # AC, RE, DU
    findings: tuple[Finding, ...]
    declaration_id: int | None  # its ``declarations`` row (None when the file was rejected at file level)


@dataclass(frozen=True, slots=True)
class StoredOutcome:
    """``inbox.outcome``: everything the answers of a file are rendered from, besides the file and amounts."""

    syntax: str
    syntax_version: str | None
    issued_at: datetime  # business moment of the answer (DTM, UNB, IssueDateTime)
    references: Mapping[str, str]  # "contrl", "cusres" → interchange control reference issued by the database
    file_findings: tuple[Finding, ...]
    declarations: tuple[StoredDeclaration, ...]
    duplicate_of: int | None = None  # same name and content as this inbox entry, already processed: no answer

    def as_json(self) -> dict[str, Any]:
        return {
            "syntax": self.syntax,
            "syntax_version": self.syntax_version,
            "issued_at": self.issued_at.isoformat(),
            "references": dict(self.references),
            "file_findings": [finding_json(f) for f in self.file_findings],
            "declarations": [
                {"status": d.status, "findings": [finding_json(f) for f in d.findings], "id": d.declaration_id}
                for d in self.declarations
            ],
            "duplicate_of": self.duplicate_of,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoredOutcome:
        return cls(
            syntax=data["syntax"],
            syntax_version=data.get("syntax_version"),
            issued_at=datetime.fromisoformat(data["issued_at"]),
            references=dict(data.get("references") or {}),
            file_findings=tuple(finding_from_json(f) for f in data.get("file_findings") or ()),
            declarations=tuple(
                StoredDeclaration(d["status"], tuple(finding_from_json(f) for f in d.get("findings") or ()), d.get("id"))
                for d in data.get("declarations") or ()
            ),
            duplicate_of=data.get("duplicate_of"),
        )

    @property
    def answered(self) -> bool:
        """False for a file recognised as already processed: it gets no answer of its own."""
        return self.duplicate_of is None


def needs_cusres(interchange: Interchange | None, file_findings: Sequence[Finding]) -> bool:
    """Whether an EDIFACT file gets a CUSRES besides its CONTRL (``answers.cusres`` returns None otherwise)."""
    return (
        interchange is not None
        and bool(interchange.declarations)
        and not any(f.scope is Scope.FILE for f in file_findings)
    )


def file_outcome(
    file_name: str, sender: str, interchange: Interchange | None, stored: StoredOutcome,
    amounts: Mapping[int, tuple[LineAmounts, Mapping[str, int]]],
) -> FileOutcome:
    """The answer writers' view of a stored outcome. ``amounts``: declaration id → (line amounts, totals) of
    every accepted declaration that is not a cancellation."""
    declarations: list[DeclarationOutcome] = []
    if interchange is not None:
        if len(interchange.declarations) != len(stored.declarations):
            raise ValueError(
                f"{file_name}: {len(interchange.declarations)} declarations in the file, "
                f"{len(stored.declarations)} in its stored outcome"
            )
        for declaration, judged in zip(interchange.declarations, stored.declarations, strict=True):
            if judged.status != ACCEPTED:
                declarations.append(DeclarationOutcome(declaration, judged.status, judged.findings))
            elif declaration.function == CANCELLATION:
                # Nothing is owed on a cancelled CAD: zero totals, and each of its lines at zero.
                zero_lines = {line.line_number: ZERO_TOTALS for line in declaration.lines}
                declarations.append(DeclarationOutcome(declaration, ACCEPTED, judged.findings, zero_lines, ZERO_TOTALS))
            else:
                lines, totals = amounts[judged.declaration_id]  # type: ignore[index]
                declarations.append(DeclarationOutcome(declaration, ACCEPTED, judged.findings, lines, totals))
    return FileOutcome(
        file_name=file_name,
        sender=sender,
        syntax=stored.syntax,
        interchange=interchange,
        file_findings=stored.file_findings,
        declarations=tuple(declarations),
        syntax_version=stored.syntax_version,
    )


def render_answers(outcome: FileOutcome, stored: StoredOutcome) -> dict[str, bytes]:
    """Outbound key → bytes of every answer of one file (``storage.layout.response_keys``)."""
    keys = layout.response_keys(outcome.sender, outcome.file_name)
    if stored.syntax == XML:
        return {keys.xml: xml_response(outcome, issued_at=stored.issued_at)}
    answers = {
        keys.contrl: contrl(outcome, control_reference=stored.references["contrl"], prepared_at=stored.issued_at)
    }
    if "cusres" in stored.references:
        data = cusres(outcome, control_reference=stored.references["cusres"], prepared_at=stored.issued_at)
        if data is None:
            raise ValueError(f"{outcome.file_name}: a CUSRES reference was issued but the file gets no CUSRES")
        answers[keys.cusres] = data
    return answers


def rejection_codes(stored: StoredOutcome) -> dict[str, int]:
    """Error codes of an answered file, for the logs: its file-level errors once, and each rejected
    declaration's own errors."""
    counts: dict[str, int] = {}
    findings = [f for f in stored.file_findings if not f.is_warning]
    findings += [f for d in stored.declarations if d.status == REJECTED for f in d.findings if not f.is_warning]
    for finding in findings:
        counts[finding.code] = counts.get(finding.code, 0) + 1
    return counts
