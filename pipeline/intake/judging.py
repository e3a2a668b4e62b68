"""Judging the files of a batch against the ledger: pure, over data the caller loaded once per batch.

For each file, in inbox order:

1. **Already processed** — the same bytes (sha256) under the same inbound key were already processed (an S3
   re-upload under the same name, another inbox entry or an earlier file of this batch): the file is not
   processed again and gets no second answer; its answers are already under its name. The same bytes under
   another name are a new transmission: judged like any file (every declaration it repeats is DU), answered
   under their own name.
2. **S13** — an interchange with the same sender and control reference was already processed with other
   content: the whole file is rejected with S13. Only interchanges that passed the file-level checks count
   (a file rejected for its syntax may be corrected and sent again under the same reference). With the same
   content it is the same interchange received again (``interchange_known``): not S13.
3. **Validation** (``pipeline.validate``) with the registry of the database and a ledger history that also
   knows what earlier files of the batch accepted, so B23/B04/B05 judge a file as if the files before it were
   already posted.
4. **DU** — a declaration whose transaction number and version are those of a version already accepted (in the
   ledger, earlier in the batch, or earlier in the same file) is answered DU and nothing is posted. The rule is
   the identity (transaction number, version), not the content: an accepted version is never replaced, so a
   re-sent version with other content is answered DU as well (send the next version to change it). DU tells
   that the version was accepted, so it is only said to a sender entitled to the transaction: a declaration
   with one of ``WITHHOLDING_CODES`` (A02, B23, or an importer that is invalid or not registered) is RE.
5. **W02** — an original (function 9) accepted more than 5 business days after release carries warning W02;
   a $100 penalty is posted with it (``postings``).

A file rejected at file level (S codes, A01, A03, S13) answers every declaration RE with its own errors.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field, replace
from datetime import date

from pipeline.answers import ACCEPTED, DUPLICATE, REJECTED
from pipeline.billing import HolidayCalendar
from pipeline.findings import Finding, Scope
from pipeline.model import CANCELLATION, CHANGE, ORIGINAL, Declaration, Interchange
from pipeline.parsers import ParseResult, sniff
from pipeline.reference.types import ReferenceData
from pipeline.registry import Registry
from pipeline.validate import ValidationContext, validate_submission
from pipeline.validate.declaration import WITHHOLDING_CODES
from pipeline.validate.late import late_accounting

TRANSACTION_DIGITS = 14


@dataclass(frozen=True, slots=True)
class FileToJudge:
    inbox_id: int
    key: str  # in the inbound bucket
    sender_folder: str
    file_name: str
    sha256: str
    business_date: date  # the day the file was received: acceptance date of its CADs
    data: bytes
    parsed: ParseResult


@dataclass(frozen=True, slots=True)
class JudgedDeclaration:
    declaration: Declaration
    status: str  # AC, RE, DU
    findings: tuple[Finding, ...]  # RE: its errors; AC: its warnings so far (W02); DU: none
    release: date | None = None  # AC only
    late: bool = False  # AC only: W02, a penalty is posted


@dataclass(frozen=True, slots=True)
class JudgedFile:
    source: FileToJudge
    syntax: str  # what the file is answered in: "edifact" or "xml"
    interchange: Interchange | None
    file_findings: tuple[Finding, ...]
    declarations: tuple[JudgedDeclaration, ...]
    duplicate_of: int | None = None  # inbox id of the same content under the same key, already processed
    interchange_known: bool = False  # the same interchange (sender, reference, content) was already registered

    @property
    def file_rejected(self) -> bool:
        return self.interchange is None or any(f.scope is Scope.FILE for f in self.file_findings)

    @property
    def registers_interchange(self) -> bool:
        """Whether the interchange counts as processed for S13: it passed every file-level check."""
        return self.duplicate_of is None and not self.file_rejected

    @property
    def accepted(self) -> tuple[JudgedDeclaration, ...]:
        return tuple(d for d in self.declarations if d.status == ACCEPTED)


@dataclass(slots=True)
class LedgerView:
    """What the ledger knew when the batch started, plus what the batch has accepted so far (in order).

    ``latest``: transaction number → latest accepted version, for every transaction number of the batch that
    has one; ``owners``: transaction number → importer of its first accepted version (whose transaction it is,
    B23). ``interchanges``: (sender, control reference) → sha256 of the processed interchange. ``contents``:
    (inbound key, sha256) → inbox id of a processed file with that name and content."""

    latest: MutableMapping[str, int] = field(default_factory=dict)
    owners: MutableMapping[str, str] = field(default_factory=dict)
    interchanges: MutableMapping[tuple[str, str], str] = field(default_factory=dict)
    contents: MutableMapping[tuple[str, str], int] = field(default_factory=dict)

    def latest_accepted_version(self, transaction_number: str) -> int | None:
        return self.latest.get(transaction_number)

    def owning_importer(self, transaction_number: str) -> str | None:
        return self.owners.get(transaction_number)


def transaction_numbers(parsed: ParseResult) -> set[str]:
    interchange = parsed.interchange
    if interchange is None:
        return set()
    return {d.transaction_number for d in interchange.declarations if len(d.transaction_number) == TRANSACTION_DIGITS}


def answer_syntax_of(file: FileToJudge) -> str:
    """EDIFACT files get a CONTRL (and CUSRES), XML files a response document. A file neither could read is
    answered in the syntax its first bytes or its name suggest, EDIFACT by default."""
    if file.parsed.interchange is not None:
        return file.parsed.interchange.syntax
    if sniff(file.data) == "xml" or any(f.code in ("S09", "S10") for f in file.parsed.findings):
        return "xml"
    if sniff(file.data) is None and file.file_name.lower().endswith(".xml"):
        return "xml"
    return "edifact"


def s13_finding(interchange: Interchange) -> Finding:
    return Finding(
        "S13",
        f'interchange control reference "{interchange.control_reference}" of sender "{interchange.sender}" was '
        "already processed with different content; send a new interchange control reference",
        interchange.where.get("control_reference") or interchange.location or "file",
        element="5" if interchange.syntax == "edifact" else None,
    )


def _is_duplicate(declaration: Declaration, latest: int | None, errors: tuple[Finding, ...]) -> bool:
    version = declaration.version_number
    return (
        latest is not None
        and not any(finding.code in WITHHOLDING_CODES for finding in errors)
        and 1 <= version <= latest  # version_number is 0 unless the text is 0-9 digits (pipeline.digits)
        and declaration.function in (ORIGINAL, CHANGE, CANCELLATION)
    )


def judge_file(
    file: FileToJudge,
    view: LedgerView,
    *,
    reference: ReferenceData,
    registry: Registry,
    calendar: HolidayCalendar,
) -> JudgedFile:
    """Judge one file and record what it accepts in ``view`` (the next file of the batch sees it)."""
    syntax = answer_syntax_of(file)
    earlier = view.contents.get((file.key, file.sha256))
    if earlier is not None and earlier != file.inbox_id:
        return JudgedFile(file, syntax, file.parsed.interchange, (), (), duplicate_of=earlier)

    parsed = file.parsed
    interchange = parsed.interchange
    known = False
    # Only a sender judging its own interchanges learns whether a reference was used: a file naming another
    # sender gets A03 alone (validation), never S13, which would confirm another sender's control references.
    if interchange is not None and parsed.syntax_ok and interchange.sender == file.sender_folder:
        seen = view.interchanges.get((interchange.sender, interchange.control_reference))
        if seen is not None and seen != file.sha256:
            parsed = replace(parsed, findings=(*parsed.findings, s13_finding(interchange)))
        known = seen == file.sha256

    context = ValidationContext(
        reference, file.business_date, sender_folder=file.sender_folder, registry=registry, history=view
    )
    verdict = validate_submission(parsed, context)
    file_rejected = verdict.file_rejected
    accepted_here: dict[str, int] = {}
    owners_here: dict[str, str] = {}
    judged: list[JudgedDeclaration] = []
    for decision in verdict.declarations:
        declaration, errors = decision.declaration, decision.errors
        number = declaration.transaction_number
        if file_rejected:
            judged.append(JudgedDeclaration(declaration, REJECTED, errors))
            continue
        latest = accepted_here.get(number, view.latest.get(number))
        if _is_duplicate(declaration, latest, errors):
            judged.append(JudgedDeclaration(declaration, DUPLICATE, ()))
        elif errors:
            judged.append(JudgedDeclaration(declaration, REJECTED, errors))
        else:
            release = date.fromisoformat(declaration.release_date)
            late = late_accounting(declaration, file.business_date, calendar)
            warnings = (late,) if late else ()
            judged.append(JudgedDeclaration(declaration, ACCEPTED, (*decision.warnings, *warnings), release, bool(late)))
            accepted_here[number] = declaration.version_number
            if number not in view.owners and declaration.importer.id is not None:
                owners_here.setdefault(number, declaration.importer.id)

    result = JudgedFile(file, syntax, interchange, verdict.file_findings, tuple(judged), interchange_known=known)
    view.latest.update(accepted_here)
    view.owners.update(owners_here)
    view.contents.setdefault((file.key, file.sha256), file.inbox_id)
    if result.registers_interchange and interchange is not None:
        view.interchanges.setdefault((interchange.sender, interchange.control_reference), file.sha256)
    return result
