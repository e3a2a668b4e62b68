"""The CONTRL syntax acknowledgement of an inbound EDIFACT file (ISO 9735-4; spec/cad-edifact.md, "Answers").

One CONTRL per inbound EDIFACT file, whatever happened to it::

    UCI+<inbound ICR>+<inbound sender>+CBSACARM+7'                 no file-level error (S codes, A01, A03)
    UCI+<inbound ICR>+<inbound sender>+CBSACARM+4[+<0085>+<0013>+<S011>]'   rejected
    UCM+<message reference>+CUSDEC:D:96B:UN+4[+<0085>+UNH|UNT+<S011>]'      one per failing message
    UCS+<0096 segment position>[+<0085>]'                                   its first error, in its body
    UCD+<0085>+<0098 data element position>[:<0104 component>]'

Reporting follows the levels of ISO 9735-4: an error in UNA/UNB/UNZ (and UNG/UNE: the model keeps no group
references, so there is no UCF and group errors go on the UCI) or outside any message is carried by the UCI,
which holds one error, the first; an error in a message's UNH or UNT by its UCM; an error in the message body
by a UCS at the segment's position (UNH = 1), with a UCD naming the data element when the finding names one.
Per the spec each failing message reports its FIRST error only (the order of the findings, which is the order
of the file). A missing segment is reported, as ISO 9735-4 prescribes for 0096, at the last segment processed
before the place where it was expected. UCI 0085 is left out when only messages failed.

The CONTRL message is ``CONTRL:D:3:UN`` in a syntax version 3 answer and ``CONTRL:4:1:UN`` in version 4.

A file whose interchange could not be read (S01, S02, S11, no UNB) is still acknowledged: the UCI names the
interchange ``UNKNOWN`` (its reference, UCI 0020, is mandatory) and the sender folder as its sender, and the
answer goes to that folder's provider. A message whose UNH reference is missing cannot have a UCM (0062 is
mandatory): its error goes on the UCI. The UCM of an S07 message names CUSDEC:D:96B:UN, the type the
interface takes, since the model keeps nothing of a message it could not read.

Our codes → ISO 9735 syntax error codes (data element 0085), ``SYNTAX_ERROR_CODES``:

====  ====  ===========================================================================================
ours  0085  why
====  ====  ===========================================================================================
S01   13    missing: the file does not start with an interchange header (reported against UNB)
S02   20    character invalid as service character (the UNA's)
S03   13    missing (most S03 are a missing envelope segment or element); refined: 2 syntax level or
            version not supported (UNB element 1 of a readable UNB), 12 invalid value ("not a number"),
            30 groups and messages mixed, 33 invalid occurrence (a segment after UNZ), 15 not supported
            in this position (a second UNB, a UNE without UNG)
S04   29    control count does not match number of instances received (UNT)
S05   29    idem (UNZ, UNE)
S06   28    references do not match (UNT, UNE, UNZ)
S07   14    value not supported in this position (the message type/version in UNH S009)
S08   21    invalid character(s)
S09   18    unspecified error (XML only; never in a CONTRL)
S10   18    unspecified error (XML only; never in a CONTRL)
S11   18    unspecified error: ISO 9735 has no code for a file over the size limit
S12   12    invalid value (a qualifier or code where the segment table wants another); refined:
            13 missing (a mandatory segment, the UNH reference, the UNT), 15 not supported in this
            position (misplaced or unknown segment), 16 too many constituents, 35 too many segment
            repetitions, 26 duplicate detected (a UNH reference used twice), 33 invalid occurrence
            outside message (a segment between messages); 18 when it names no data element
S13   26    duplicate detected (the interchange control reference, UNB element 5)
A01   23    unknown interchange sender (UNB element 2)
A03   17    no agreement: the sender folder has no agreement to send as that UNB sender (UNB element 2)
====  ====  ===========================================================================================

The refinements read the wording of the reader's finding messages (``Finding`` has no sub-code); the tests
pin them against what ``pipeline.parsers.edifact`` writes, and the per-code default applies if a wording
changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from pipeline.answers.envelope import (
    AGENCY_ID,
    answer_syntax,
    inbound_reference,
    inbound_sender,
    write_answer,
)
from pipeline.answers.outcome import FileOutcome
from pipeline.findings import Finding
from pipeline.writers.edifact import CUSDEC_IDENTIFIER, Message, Segment, segment

ACKNOWLEDGED = "7"  # 0083: this level acknowledged, next lower level acknowledged if not explicitly rejected
REJECTED = "4"  # 0083: this level and all lower levels rejected
CONTRL_IDENTIFIERS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "3": ("CONTRL", "D", "3", "UN"),
    "4": ("CONTRL", "4", "1", "UN"),
})
SERVICE_TAGS = frozenset({"UNA", "UNB", "UNG", "UNE", "UNZ", "UNH", "UNT"})
UNSPECIFIED = "18"

#: Our file-level codes → ISO 9735 syntax error code (0085); see the table in the module docstring.
SYNTAX_ERROR_CODES: Mapping[str, str] = MappingProxyType({
    "S01": "13", "S02": "20", "S03": "13", "S04": "29", "S05": "29", "S06": "28", "S07": "14", "S08": "21",
    "S09": UNSPECIFIED, "S10": UNSPECIFIED, "S11": UNSPECIFIED, "S12": "12", "S13": "26",
    "A01": "23", "A03": "17",
})

# Finer codes by the wording of the reader's messages, first match wins (see the docstring).
_REFINEMENTS: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType({
    "S03": (
        ("not a number", "12"),
        ("groups throughout", "30"),
        ("outside a group", "30"),
        ("after UNZ", "33"),
        ("a second UNB", "15"),
        ("without a UNG", "15"),
    ),
    "S12": (
        ("mandatory segment", "13"),
        ("UNT missing", "13"),
        ("not allowed here", "15"),
        ("not a segment of", "15"),
        ("is repeated", "35"),
        ("used twice", "26"),
        ("at most", "16"),
        ("is missing", "13"),
        ("outside a message", "33"),
        ("UNT without a UNH", "33"),
    ),
})
_MISSING_SEGMENT = "mandatory segment"  # an S12 for a segment that is absent, located where that was noticed
# Where the UCI points when the finding's location names no service segment.
_DEFAULT_POINTERS: Mapping[str, tuple[str, str | None]] = MappingProxyType({
    "S01": ("UNB", None),
    "S02": ("UNA", None),
    "S13": ("UNB", "5"),
    "A01": ("UNB", "2"),
    "A03": ("UNB", "2"),
})
# 0085 codes about a whole segment (ISO 9735-4 Annex A allows them on a UCS, not on a UCD).
_SEGMENT_CODES = frozenset({"35", "36"})


def syntax_error_code(finding: Finding, *, interchange_read: bool = True) -> str:
    """The ISO 9735 syntax error code (0085) that reports ``finding`` in a CONTRL."""
    code = finding.code
    if code == "S03" and interchange_read and finding.segment_tag == "UNB" and finding.element == "1":
        return "2"
    for phrase, iso in _REFINEMENTS.get(code, ()):
        if phrase in finding.message:
            return iso
    if code == "S12" and finding.element is None:
        return UNSPECIFIED
    return SYNTAX_ERROR_CODES.get(code, UNSPECIFIED)


@dataclass(frozen=True, slots=True)
class _Report:
    """Where one error goes in the CONTRL: on the UCI/UCM itself (``in_body`` False) or on a UCS/UCD."""

    code: str
    service_tag: str | None = None  # 0013, for the UCI/UCM
    element: tuple[str, ...] | None = None  # S011
    in_body: bool = False
    position: int = 0  # 0096, for the UCS


def contrl(outcome: FileOutcome, *, control_reference: str, prepared_at: datetime) -> bytes:
    """The CONTRL interchange answering ``outcome`` (an EDIFACT file, or one that could not be read at all).

    ``control_reference`` is the fresh UNB reference of the answer (from the database); ``prepared_at`` the
    issue time written in the UNB."""
    if outcome.syntax == "xml":
        raise ValueError(f"{outcome.file_name} is an XML submission: it gets an XML answer, not a CONTRL")
    syntax = answer_syntax(outcome)
    body = _contrl_body(outcome)
    message = Message("1", CONTRL_IDENTIFIERS[syntax.version], tuple(body))
    return write_answer(outcome, [message], control_reference=control_reference, prepared_at=prepared_at)


def _contrl_body(outcome: FileOutcome) -> list[Segment]:
    errors = outcome.file_errors
    uci: list[str | tuple[str, ...] | None] = [inbound_reference(outcome), inbound_sender(outcome), AGENCY_ID]
    if not outcome.file_rejected:
        return [segment("UCI", *uci, ACKNOWLEDGED)]
    interchange_read = outcome.interchange is not None
    first_by_message: dict[str, Finding] = {}
    interchange_error: Finding | None = None
    for finding in errors:
        if finding.message_reference:
            first_by_message.setdefault(finding.message_reference, finding)
        elif interchange_error is None:
            interchange_error = finding
    uci.append(REJECTED)
    if interchange_error is not None:
        report = _interchange_report(interchange_error, interchange_read)
        uci += [report.code, report.service_tag, report.element]
    elif not first_by_message:  # nothing could be read and nothing says why
        uci.append(UNSPECIFIED)
    body = [segment("UCI", *uci)]
    for reference, finding in first_by_message.items():
        body += _message_segments(reference, _message_report(finding, interchange_read))
    return body


def _message_segments(reference: str, report: _Report) -> list[Segment]:
    ucm: list[str | tuple[str, ...] | None] = [reference, CUSDEC_IDENTIFIER, REJECTED]
    if not report.in_body:
        return [segment("UCM", *ucm, report.code, report.service_tag, report.element)]
    segments = [segment("UCM", *ucm)]
    if report.element is None or report.code in _SEGMENT_CODES:
        segments.append(segment("UCS", str(report.position), report.code))
    else:
        segments += [segment("UCS", str(report.position)), segment("UCD", report.code, report.element)]
    return segments


def _interchange_report(finding: Finding, interchange_read: bool) -> _Report:
    tag = finding.segment_tag
    default_tag, default_element = _DEFAULT_POINTERS.get(finding.code, (None, None))
    element = _element_identification(finding.element or default_element)
    return _Report(syntax_error_code(finding, interchange_read=interchange_read),
                   tag if tag in SERVICE_TAGS else default_tag, element)


def _message_report(finding: Finding, interchange_read: bool) -> _Report:
    code = syntax_error_code(finding, interchange_read=interchange_read)
    tag, position = finding.segment_tag, finding.segment_position
    element = _element_identification(finding.element)
    if finding.code == "S12" and _MISSING_SEGMENT in finding.message:
        return _Report(code, in_body=True, position=max(position - 1, 1))
    if (tag == "UNH" and position == 1) or tag == "UNT":
        return _Report(code, tag, element)
    if tag in SERVICE_TAGS:  # an envelope segment cut the message short: its UNT is missing
        return _Report("13", "UNT")
    if not tag or position == 0:
        return _Report(code)
    return _Report(code, element=element, in_body=True, position=position)


def _element_identification(element: str | None) -> tuple[str, ...] | None:
    """S011 from the finding's element: ``"3"`` → (0098,), ``"3:2"`` → (0098, 0104)."""
    if not element:
        return None
    parts = tuple(element.split(":"))
    return parts if all(part.isdigit() for part in parts) else None
