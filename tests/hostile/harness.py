"""What the hostile-corpus and fuzzing tests share (no tests here): the expected outcomes of the manifest, what a
``carm validate`` document or a stored intake outcome says about a file, the answers of a checked file rendered
without a ledger, and a guard that turns a hang into a failure.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.report import own_errors

ACCEPTED, REJECTED_FILE, REJECTED_DECLARATION = "accepted", "rejected-file", "rejected-declaration"
#: 1,000 findings per file, then one "N more" finding per code (decisions.md; issue 12 says "one 'and N more'").
MAX_FINDINGS = 1_000


def within_cap(codes: list[str]) -> bool:
    """Whether a file's findings (their codes, in any order) respect the cap."""
    return len(codes) <= MAX_FINDINGS + len(set(codes))
ISSUED = datetime(2025, 5, 6, 10, 0, tzinfo=ZoneInfo("America/Toronto"))


@dataclass(frozen=True)
class Expected:
    """A manifest ``validate`` cell: ``accepted|rejected-file:S03|S12|rejected-declaration:B15``."""

    accepted: bool
    file_codes: frozenset[str]
    declaration_codes: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> Expected:
        accepted, groups, current = False, {REJECTED_FILE: set(), REJECTED_DECLARATION: set()}, None
        for token in text.split("|"):
            if token == ACCEPTED:
                accepted, current = True, None
                continue
            if ":" in token:
                kind, token = token.split(":")
                current = groups[kind]
            if current is None:
                raise ValueError(f"{text!r}: code {token!r} follows no rejection kind")
            current.add(token)
        return cls(accepted, frozenset(groups[REJECTED_FILE]), frozenset(groups[REJECTED_DECLARATION]))

    def met_by(self, kind: str, codes: set[str]) -> bool:
        if kind == ACCEPTED:
            return self.accepted
        wanted = self.file_codes if kind == REJECTED_FILE else self.declaration_codes
        return bool(codes & wanted)


def validate_verdict(document: Mapping[str, Any]) -> tuple[str, set[str], list[str]]:
    """(kind, codes, codes of every finding) of the one file of a ``carm validate --json`` document. A declaration
    repeats its file's errors (one per code, decisions.md): they are counted once, from the file's entry."""
    (entry,) = document["files"]
    file_codes = {e["code"] for e in entry["errors"]}
    own = [e for d in document["declarations"] for e in own_errors(d)]
    findings = [e["code"] for e in entry["errors"]] + [e["code"] for e in own]
    findings += [w["code"] for d in document["declarations"] for w in d.get("warnings", ())]
    if file_codes:
        return REJECTED_FILE, file_codes, findings
    if any(d["status"] == "rejected" for d in document["declarations"]):
        return REJECTED_DECLARATION, {e["code"] for e in own}, findings
    return ACCEPTED, set(), findings


def stored_verdict(outcome: Mapping[str, Any]) -> tuple[str, set[str]]:
    """(kind, codes) of an intake outcome as stored on its inbox row (``inbox.outcome``)."""
    file_codes = {f["code"] for f in outcome["file_findings"] if not f["code"].startswith("W")}
    if file_codes:
        return REJECTED_FILE, file_codes
    rejected = [d for d in outcome["declarations"] if d["status"] == "RE"]
    if rejected:
        return REJECTED_DECLARATION, {f["code"] for d in rejected for f in d["findings"]}
    return ACCEPTED, set()


def finding_codes(checked: Any) -> list[str]:
    """The code of every finding a checked file carries: its file's and each declaration's."""
    verdict = checked.verdict
    return [f.code for f in verdict.file_findings] + [f.code for d in verdict.declarations for f in d.findings]


def offline_answers(checked: Any, data: bytes, reference: Any, sender: str) -> dict[str, bytes]:
    """The answers intake would write for a checked file, every accepted declaration assessed, without a ledger
    (no DU, no posting): CONTRL and CUSRES for EDIFACT, the response document for XML."""
    from pipeline import answers as answer
    from pipeline.assess import assess_declarations
    from pipeline.parsers import sniff

    verdict = checked.verdict
    accepted = [v for v in verdict.declarations if verdict.accepted(v)]
    assessment = assess_declarations([v.declaration for v in accepted], reference) if accepted else None
    index = {id(v): i for i, v in enumerate(accepted)}
    outcomes = []
    for judged in verdict.declarations:
        if id(judged) not in index:
            errors = tuple(f for f in judged.findings if not f.is_warning)
            outcomes.append(answer.DeclarationOutcome(judged.declaration, answer.REJECTED, errors))
            continue
        i = index[id(judged)]
        lines = {int(row["line"]): answer.amounts_from_engine(row) for row in assessment.line_rows(i).to_dict("records")}
        warnings = tuple(judged.findings) + tuple(assessment.warnings[i])
        outcomes.append(answer.DeclarationOutcome(judged.declaration, answer.ACCEPTED, warnings, lines,
                                                  answer.amounts_from_engine(assessment.declaration_totals(i))))
    syntax = checked.syntax or ("xml" if sniff(data) == "xml" or any(
        f.code in ("S09", "S10") for f in checked.parsed.findings) else "edifact")
    outcome = answer.FileOutcome("hostile", sender, syntax, checked.parsed.interchange, verdict.file_findings,
                                 tuple(outcomes), answer.inbound_syntax_version(data) if syntax == "edifact" else None)
    if syntax == "xml":
        return {"response.xml": answer.xml_response(outcome, issued_at=ISSUED)}
    answers = {"contrl.edi": answer.contrl(outcome, control_reference="00000000000001", prepared_at=ISSUED)}
    business = answer.cusres(outcome, control_reference="00000000000002", prepared_at=ISSUED)
    if business is not None:
        answers["cusres.edi"] = business
    return answers


class Hang(BaseException):
    """Raised by ``guard`` when the work outlives its allowance. A BaseException, so that the command line's
    last line of defence (which turns any Exception into "internal error") lets it through."""


@contextmanager
def guard(seconds: float, what: str) -> Iterator[None]:
    """Interrupt the work after ``seconds`` (SIGALRM: regular expressions and lxml both give way to it), so a
    super-linear input fails its test instead of stalling the suite for minutes."""

    def expire(signum: int, frame: object) -> None:
        raise Hang(f"{what}: still running after {seconds:.1f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
