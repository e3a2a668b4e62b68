"""The CUSRES business answers to an EDIFACT file: one message per CUSDEC message (spec/cad-edifact.md).

::

    UNH+<n>+CUSRES:D:96B:UN'
    BGM+962+<transaction number>:<version>+11'
    DTM+137:<CCYYMMDDHHMM>:203'
    RFF+ACW:<inbound UNH reference>'
    GIS+<AC|RE|DU>:ZZZ'
    ERP+<line or 0>+<segment tag>:<segment position>'  ERC+<code>'  FTX+AAO+++<message>'   per finding
    TAX+3+<type>'  MOA+161:<amount>'                    totals, CUD SUR ADD EXD EXT VFT GST TOT (AC only)
    CST+<line>'  TAX+1+<type>'  MOA+161:<amount>'       per line, the same types (AC only)
    UNT+<count>+<n>'

Decisions where the spec is silent:
- A file rejected at file level (S codes, A01, A03) gets no CUSRES: its CONTRL rejects the interchange and
  every message in it ("this level and all lower levels rejected"). A file without messages gets none either.
- The transaction number and version are echoed as the sender wrote them (``00001``), even when invalid.
- Charge types are written in the spec's order, those the outcome holds (``amounts_from_engine`` gives all
  eight, zeros included); lines in ascending order. Amounts in dollars with '.' and two decimals.
- A finding located by no ``TAG#position`` gets ``ERP+<line>'`` alone. A finding message longer than one
  4440 component (an..512) is split over the five components of C108, at spaces where it can be, and cut with
  ``...`` past 2,560 characters. The answer's UNH references count from 1.
- The DTM date is the wall-clock time of ``prepared_at`` (intake passes Eastern time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from pydifact.control import Characters

from pipeline.answers.envelope import answer_syntax, write_answer
from pipeline.answers.outcome import ACCEPTED, DeclarationOutcome, FileOutcome
from pipeline.findings import Finding
from pipeline.model import ANSWER_CHARGE_TYPES
from pipeline.money import format_cents
from pipeline.parsers.edifact_syntax import interface_characters
from pipeline.writers.edifact import Message, Segment, format_segment, segment

CUSRES_IDENTIFIER = ("CUSRES", "D", "96B", "UN")
TEXT_COMPONENT_LENGTH = 512  # 4440 free text, an..512
TEXT_COMPONENTS = 5  # C108 holds five 4440
ELLIPSIS = "..."


def cusres(outcome: FileOutcome, *, control_reference: str, prepared_at: datetime) -> bytes | None:
    """The CUSRES interchange of ``outcome``, or None when the file gets only its CONTRL (rejected at file
    level, or no message in it)."""
    if outcome.syntax == "xml":
        raise ValueError(f"{outcome.file_name} is an XML submission: it gets an XML answer, not a CUSRES")
    if outcome.file_rejected or not outcome.declarations:
        return None
    issued = prepared_at.strftime("%Y%m%d%H%M")
    syntax = answer_syntax(outcome)
    amount_segments = AmountSegments(syntax.characters)
    messages = [
        Message(str(number), CUSRES_IDENTIFIER,
                tuple(cusres_segments(declaration, issued, syntax.fit, amount_segments)))
        for number, declaration in enumerate(outcome.declarations, 1)
    ]
    return write_answer(outcome, messages, control_reference=control_reference, prepared_at=prepared_at)


def cusres_segments(outcome: DeclarationOutcome, issued: str, fit: Callable[[str], str] = lambda text: text,
                    amount_segments: AmountSegments | None = None) -> list[Segment | str]:
    """The segments of one CUSRES message between UNH and UNT; ``issued`` is CCYYMMDDHHMM, ``fit`` makes a
    finding's message writable in the answer's syntax level before it is split into components;
    ``amount_segments`` writes the TAX/MOA pairs (pass the answer's own, to share its written segments)."""
    declaration = outcome.declaration
    body: list[Segment | str] = [
        segment("BGM", "962", (declaration.transaction_number, declaration.version), "11"),
        segment("DTM", ("137", issued, "203")),
    ]
    if declaration.message_reference:
        body.append(segment("RFF", ("ACW", declaration.message_reference)))
    body.append(segment("GIS", (outcome.status, "ZZZ")))
    for finding in outcome.findings:
        body += _finding_segments(finding, fit)
    if outcome.status == ACCEPTED:
        amounts = amount_segments or AmountSegments(interface_characters())
        body += amounts("3", outcome.totals)
        for line, line_amounts in sorted(outcome.line_amounts.items()):
            body.append(amounts.line(line))
            body += amounts("1", line_amounts)
    return body


class AmountSegments:
    """``TAX+<function>+<type>'  MOA+161:<amount>'`` for each charge type the amounts hold, in the spec's order,
    and the ``CST`` of each line, as text written with one answer's service characters. Each distinct segment
    is written once: an answer of 200 CADs repeats a few dozen of them (the eight TAX segments, 0.00 above all)
    thousands of times. Charge codes and amounts are letters, digits, '.' and '-', which every syntax level
    carries."""

    def __init__(self, chars: Characters) -> None:
        self._chars = chars
        self._tax: dict[tuple[str, str], str] = {}
        self._moa: dict[int, str] = {}
        self._cst: dict[int, str] = {}

    def line(self, number: int) -> str:
        """``CST+<line>'``, which starts a line's amounts."""
        cst = self._cst.get(number)
        if cst is None:
            cst = self._cst[number] = format_segment("CST", str(number), chars=self._chars)
        return cst

    def __call__(self, function: str, amounts: Mapping[str, int]) -> list[str]:
        written: list[str] = []
        for charge in ANSWER_CHARGE_TYPES:
            if charge in amounts:
                cents = amounts[charge]
                tax = self._tax.get((function, charge))
                if tax is None:
                    tax = self._tax[(function, charge)] = format_segment("TAX", function, charge, chars=self._chars)
                moa = self._moa.get(cents)
                if moa is None:
                    moa = self._moa[cents] = format_segment("MOA", ("161", format_cents(cents)), chars=self._chars)
                written += (tax, moa)
        return written


def _finding_segments(finding: Finding, fit: Callable[[str], str]) -> list[Segment]:
    tag, position = finding.segment_tag, finding.segment_position
    point = (tag, str(position) if position else None) if tag else None
    return [
        segment("ERP", str(finding.line), point),
        segment("ERC", finding.code),
        segment("FTX", "AAO", None, None, text_components(fit(finding.message))),
    ]


def text_components(text: str) -> tuple[str, ...]:
    """``text`` as the 4440 components of a C108: ≤ 512 characters each, at most five, split at a space
    where one falls in the last half of a component (the space is dropped: readers join the components with
    one), and cut with an ellipsis when even five are not enough."""
    parts: list[str] = []
    rest = text
    while len(rest) > TEXT_COMPONENT_LENGTH and len(parts) < TEXT_COMPONENTS - 1:
        cut = rest.rfind(" ", TEXT_COMPONENT_LENGTH // 2, TEXT_COMPONENT_LENGTH + 1)
        if cut == -1:
            parts.append(rest[:TEXT_COMPONENT_LENGTH])
            rest = rest[TEXT_COMPONENT_LENGTH:]
        else:
            parts.append(rest[:cut])
            rest = rest[cut + 1 :]
    if len(rest) > TEXT_COMPONENT_LENGTH:
        rest = rest[: TEXT_COMPONENT_LENGTH - len(ELLIPSIS)] + ELLIPSIS
    parts.append(rest)
    return tuple(parts)
