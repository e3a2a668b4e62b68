"""Validation findings: errors and warnings as data, with the catalogue of codes of spec/codes.md.

A finding names its code, a plain-English message that quotes the offending value, and the place in the file.
Validators return lists of findings; they never raise for bad input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Enum

MAX_FINDINGS = 1000  # findings listed per file; the rest are counted (decisions.md)
#: A sender's text longer than this is named in a message by its start and its length, not in full.
SHOWN_CHARACTERS = 40


class Scope(Enum):
    """What a code rejects (spec/codes.md)."""

    FILE = "file"  # S codes, A01, A03: the whole file / interchange
    DECLARATION = "declaration"  # A02 and B codes: the one declaration
    WARNING = "warning"  # W codes: the declaration is accepted


CODES: dict[str, str] = {
    "S01": "not an EDIFACT interchange nor an XML document",
    "S02": "invalid service string advice (UNA)",
    "S03": "missing or malformed UNB / UNZ / UNG / UNE",
    "S04": "UNT segment count does not match the message",
    "S05": "UNZ or UNE count does not match the messages or groups",
    "S06": "control reference in the trailer does not match the header",
    "S07": "message type or version not supported (only CUSDEC D.96B is accepted)",
    "S08": "character outside the declared syntax level, or bytes not valid in the declared encoding",
    "S09": "XML not well-formed",
    "S10": "XML does not conform to schemas/cad.xsd, or declares a DTD or entity",
    "S11": "file larger than the configured limit",
    "S12": "segment or element malformed",
    "S13": "interchange already processed (same sender and interchange control reference, different content)",
    "A01": "sender not registered",
    "A02": "sender not authorized to file for this importer",
    "A03": "sender identification in the file differs from the sender folder",
    "B01": "importer business number invalid",
    "B02": "importer not registered",
    "B03": "transaction number invalid",
    "B04": "version not sequential",
    "B05": "change or cancellation of a transaction number with no accepted version",
    "B06": "date invalid, in the future, or release date after document date",
    "B07": "office of release invalid",
    "B08": "country code invalid",
    "B09": "currency code invalid",
    "B10": "classification number not in the tariff in force on the release date",
    "B11": "tariff treatment code unknown",
    "B12": "tariff treatment not available for this classification, or origin not entitled to it",
    "B13": "quantity or unit missing or inconsistent with the tariff's unit of measure",
    "B14": "no exchange rate for the currency on the direct shipment date or in the 7 days before it",
    "B15": "value missing, not a number, negative, or with more decimals than the currency allows",
    "B16": "special authority code unknown, expired on the release date, or not applicable to the goods",
    "B17": "GST exemption code unknown or not applicable",
    "B18": "excise tax code unknown or not applicable",
    "B19": "SIMA code unknown or not applicable to the goods and origin",
    "B20": "line numbering broken, no lines, more than 999 lines, or CNT disagrees",
    "B21": "CLVS line without a cargo control number, or a shipment over the low-value threshold",
    "B22": "change reason code missing on a change or cancellation",
    "B23": "change or cancellation that names another importer than the transaction's accepted version, "
           "or comes from a sender not authorized for that importer",
    "W01": "the filer's own amount differs from the assessed amount (the assessed amount stands)",
    "W02": "CAD filed more than 5 business days after release (late accounting; a penalty is posted)",
    "W03": "a surtax or anti-dumping measure applied that the filer did not declare",
}


def scope_of(code: str) -> Scope:
    if code.startswith("W"):
        return Scope.WARNING
    if code.startswith("S") or code in ("A01", "A03"):
        return Scope.FILE
    return Scope.DECLARATION


@dataclass(frozen=True, slots=True)
class Finding:
    """One error or warning.

    ``location`` is ``"TAG#position"`` (EDIFACT, position of the segment in its message, UNH = 1; for the
    service segments UNA/UNB/UNG/UNE/UNZ, the position in the interchange) or an XPath (XML), or
    ``"line L, column C"`` where an XML file could not be read as a tree. ``line`` is the CAD line the finding
    is about (0 = the header). ``message_reference`` and ``element`` let a CONTRL point at the failing message
    and data element.
    """

    code: str
    message: str
    location: str
    line: int = 0
    message_reference: str | None = None
    element: str | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown validation code {self.code!r}")

    @property
    def scope(self) -> Scope:
        return scope_of(self.code)

    @property
    def is_warning(self) -> bool:
        return self.scope is Scope.WARNING

    @property
    def segment_tag(self) -> str:
        """The EDIFACT segment tag of the location ('' for XML)."""
        tag, sep, _ = self.location.partition("#")
        return tag if sep else ""

    @property
    def segment_position(self) -> int:
        """The EDIFACT segment position of the location (0 for XML)."""
        _, sep, pos = self.location.partition("#")
        return int(pos) if sep and pos.isdigit() else 0

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "location": self.location}


def shortened(text: str) -> tuple[str, str]:
    """A sender's text as a message names it: ``(text, "")``, or when it is long its start and its length,
    ``("99999999999999999999…", " (5,000 characters)")`` (a finding names a value, it does not repeat it)."""
    if len(text) <= SHOWN_CHARACTERS:
        return text, ""
    return f"{text[:20]}…", f" ({len(text):,} characters)"


def shown(text: str) -> str:
    """A sender's text quoted for a message: ``"ABC"``, or ``"99999999999999999999…" (5,000 characters)``."""
    start, length = shortened(text)
    return f'"{start}"{length}'


def errors_only(findings: list[Finding] | tuple[Finding, ...]) -> list[Finding]:
    return [f for f in findings if not f.is_warning]


def summarised(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Findings past the cap, one per code: the finding itself when it is alone, else "N more …" at the place
    of the first one (so a rejected declaration keeps a finding of each of its codes, and its pointers)."""
    first: dict[str, Finding] = {}
    counts: dict[str, int] = {}
    for finding in findings:
        first.setdefault(finding.code, finding)
        counts[finding.code] = counts.get(finding.code, 0) + 1
    return tuple(
        finding if counts[code] == 1 else replace(finding, message=f"{counts[code]:,} more {code} findings not listed")
        for code, finding in first.items()
    )


class FindingBudget:
    """The findings a file may list (``MAX_FINDINGS``), spent in file order: the file's own, then each
    declaration's. Past the budget every list keeps one finding per code (``summarised``), so no declaration
    changes verdict and none loses its codes."""

    def __init__(self, limit: int = MAX_FINDINGS) -> None:
        self.remaining = limit

    def take(self, findings: Sequence[Finding]) -> tuple[Finding, ...]:
        listed = tuple(findings[: self.remaining])
        self.remaining -= len(listed)
        return (*listed, *summarised(findings[len(listed) :])) if len(listed) < len(findings) else listed
