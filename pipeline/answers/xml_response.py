"""The answer to an XML submission, ``<file name>.response.xml`` (spec/cad-xml.md, "The XML answer"), valid
against ``schemas/cad-response.xsd``.

``DocumentMetaData`` with the fixed header and ``FunctionalDefinition`` ``CAD-OUT``; the submission's own
``CommunicationMetaData`` echoed (its interchange reference and sender) when it could be read; then the
``Response`` elements:

- a file that was read and not rejected at file level: one ``Response`` per declaration, in order, with
  ``FunctionCode`` AC, RE or DU, the transaction number and version as sent, the issue time, an ``Error`` per
  finding (the errors of a rejected declaration, the warnings of an accepted one) and, when accepted, a
  ``GoodsItem`` per line and the totals, each a ``DutyTaxFee`` per charge type in CAD;
- a file that could not be read (S08, S09, S10, S11): a single ``Response`` RE without ``DeclarationID``,
  carrying the file's errors (for S09/S10 located "line L, column C");
- a file that was read but is rejected at file level (A01, A03, S13). Decision: one RE ``Response`` per
  declaration, listing the file's errors and then the declaration's own errors, so that the provider can
  match every CAD it sent to its rejection and sees every problem at once (as ``carm validate`` reports
  them); warnings are dropped since nothing is accepted. Without declaration outcomes, the single
  ``Response`` above.

Text an XML document cannot carry (control characters) becomes U+FFFD; echoed values longer than the
schema's 256 characters are cut (the Error names the full value anyway).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from lxml import etree

from pipeline.answers.outcome import ACCEPTED, REJECTED, DeclarationOutcome, FileOutcome
from pipeline.findings import Finding
from pipeline.model import ANSWER_CHARGE_TYPES
from pipeline.money import format_cents
from pipeline.writers.xml import CAD_OUT, child, new_document, serialize, tag

ECHO_MAX_LENGTH = 256  # cad-response.xsd EchoedValue
# Characters XML 1.0 does not allow (C0 controls but tab/line feed/carriage return, surrogates, U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_response(outcome: FileOutcome, *, issued_at: datetime) -> bytes:
    """The response document of an XML submission. ``issued_at`` must carry its UTC offset (Eastern time)."""
    if issued_at.utcoffset() is None:
        raise ValueError("issued_at needs a time zone: the answer's IssueDateTime carries its UTC offset")
    issued = issued_at.isoformat(timespec="seconds")
    root = new_document(CAD_OUT)
    interchange = outcome.interchange
    if interchange is not None:
        communication = child(root, "CommunicationMetaData")
        child(communication, "ApplicationReferenceID", _echo(interchange.control_reference))
        child(child(communication, "Sender"), "ID", _echo(interchange.sender))
    file_errors = list(outcome.file_errors)
    amounts = _AmountTexts()
    if not outcome.file_rejected:
        if not outcome.declarations:
            raise ValueError(f"{outcome.file_name}: a readable file needs an outcome per declaration")
        for declaration in outcome.declarations:
            _response(root, declaration, issued, amounts)
    elif outcome.declarations:
        for declaration in outcome.declarations:
            own = [f for f in declaration.findings if not f.is_warning]
            _response(root, declaration, issued, amounts, status=REJECTED, findings=file_errors + own)
    else:
        response = child(root, "Response")
        child(response, "FunctionCode", REJECTED)
        child(response, "IssueDateTime", issued)
        _errors(response, file_errors)
    return amounts.fill(serialize(root))


def _response(root: etree._Element, outcome: DeclarationOutcome, issued: str, amounts: _AmountTexts, *,
              status: str | None = None, findings: Iterable[Finding] | None = None) -> None:
    status = status or outcome.status
    response = child(root, "Response")
    child(response, "FunctionCode", status)
    child(response, "DeclarationID", _echo(outcome.declaration.transaction_number))
    child(response, "VersionID", _echo(outcome.declaration.version))
    child(response, "IssueDateTime", issued)
    _errors(response, outcome.findings if findings is None else findings)
    if status == ACCEPTED:
        amounts.place(response, sorted(outcome.line_amounts.items()), outcome.totals)


class _AmountTexts:
    """The ``GoodsItem`` and total ``DutyTaxFee`` elements of every accepted declaration, written as text.

    They are most of an answer (17 elements a line, 16 more a declaration) and hold only charge codes, line
    numbers and amounts — nothing to escape — so each distinct fee is written once per answer instead of being
    built as elements and serialised again. ``place`` leaves a marker element where they go; ``fill`` puts
    them in the serialised document, indented as ``serialize`` indents the elements around them."""

    MARKER = tag("_amounts")
    WRITTEN_MARKER = b"<_amounts/>"

    def __init__(self) -> None:
        self._blocks: list[bytes] = []
        self._fees: dict[tuple[int, str, int], str] = {}

    def place(self, response: etree._Element, lines: Iterable[tuple[int, Mapping[str, int]]],
              totals: Mapping[str, int]) -> None:
        depth = 2  # DocumentMetaData > Response > here
        indent = "  " * depth
        parts = []
        for line, line_amounts in lines:
            parts.append(f"{indent}<GoodsItem>\n{indent}  <SequenceNumeric>{line}</SequenceNumeric>\n")
            parts += self._fees_at(depth + 1, line_amounts)
            parts.append(f"{indent}</GoodsItem>\n")
        parts += self._fees_at(depth, totals)
        if not parts:
            return
        # the marker's own line is already indented, and followed by its line break
        self._blocks.append("".join(parts)[len(indent):-1].encode())
        etree.SubElement(response, self.MARKER)

    def _fees_at(self, depth: int, amounts: Mapping[str, int]) -> list[str]:
        fees = []
        for charge in ANSWER_CHARGE_TYPES:
            if charge in amounts:
                key = (depth, charge, amounts[charge])
                fee = self._fees.get(key)
                if fee is None:
                    i = "  " * depth
                    fee = self._fees[key] = (
                        f"{i}<DutyTaxFee>\n{i}  <TypeCode>{charge}</TypeCode>\n"
                        f'{i}  <TaxAssessedAmount currencyID="CAD">{format_cents(amounts[charge])}</TaxAssessedAmount>\n'
                        f"{i}</DutyTaxFee>\n"
                    )
                fees.append(fee)
        return fees

    def fill(self, document: bytes) -> bytes:
        if not self._blocks:
            return document
        pieces = document.split(self.WRITTEN_MARKER)
        if len(pieces) != len(self._blocks) + 1:
            raise AssertionError("every amount marker is written once, and nothing else looks like one")
        out = [pieces[0]]
        for block, piece in zip(self._blocks, pieces[1:], strict=True):
            out += (block, piece)
        return b"".join(out)


def _errors(response: etree._Element, findings: Iterable[Finding]) -> None:
    for finding in findings:
        error = child(response, "Error")
        child(error, "ValidationCode", finding.code)
        child(error, "Description", _xml_text(finding.message))
        if finding.location:
            child(child(error, "Pointer"), "Location", _xml_text(finding.location))


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _echo(value: str) -> str:
    return _xml_text(value)[:ECHO_MAX_LENGTH]
