"""EDIFACT writing: a generic syntax layer, and the model → CUSDEC D.96B interchange (spec/cad-edifact.md).

The generic layer (``escape``, ``format_segment``, ``Message``, ``InterchangeHeader``, ``format_interchange``,
``encode_interchange``) knows nothing of CUSDEC, so the CONTRL and CUSRES answers are built with it too:

    text = format_interchange(header, [Message("1", ("CONTRL", "4", "1", "UN"), body)], chars=chars)
    data = encode_interchange(text, header.charset)

``write_interchange`` is the inverse of ``pipeline.parsers.edifact.parse_edifact``: parsing what it writes gives
back the same values (locations are those of the new file).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from pydifact.control import Characters

from pipeline.model import Declaration, Interchange, Line, Party
from pipeline.parsers.edifact_syntax import (
    SYNTAX_CODECS,
    describe_character,
    first_outside_repertoire,
    interface_characters,
)

CUSDEC_IDENTIFIER = ("CUSDEC", "D", "96B", "UN")
# The spec names the recipient of every inbound interchange; used when the model has none (e.g. read from XML).
DEFAULT_RECIPIENT = "CBSACARM"

Element = str | Sequence[str] | None  # a simple data element, a composite (its components), or omitted


class OutsideRepertoire(ValueError):
    """A value holds a character the interchange's syntax level cannot carry."""


class Segment(NamedTuple):
    tag: str
    elements: tuple[Element, ...]


def segment(tag: str, *elements: Element) -> Segment:
    return Segment(tag, elements)


def escape(text: str, chars: Characters) -> str:
    """Put the release character before every service character in ``text`` ('?' itself becomes '??')."""
    return text.translate(
        _release_table(
            chars.escape_character, chars.component_separator, chars.data_separator, chars.segment_terminator,
            chars.reserved_character,
        )
    )


@lru_cache(maxsize=32)
def _release_table(release: str, component: str, data: str, terminator: str, reserved: str) -> dict[int, str]:
    """A ``str.translate`` table escaping the service characters (memoised: writing is a hot path)."""
    specials = {release, component, data, terminator}
    if reserved != " ":
        specials.add(reserved)  # the repetition separator of syntax version 4
    return {ord(char): release + char for char in specials}


def format_segment(tag: str, *elements: Element, chars: Characters) -> str:
    """``TAG+a+b:c'``: components and elements escaped; trailing empty ones dropped (ISO 9735 truncation)."""
    return _SegmentWriter.of(chars).write(tag, elements)


class _SegmentWriter(NamedTuple):
    """``format_segment`` for one set of service characters, looked up once per interchange instead of once
    per element (answers write hundreds of thousands of segments a batch)."""

    release_table: dict[int, str]
    component: str
    data: str
    terminator: str

    @staticmethod
    def of(chars: Characters) -> _SegmentWriter:
        table = _release_table(chars.escape_character, chars.component_separator, chars.data_separator,
                               chars.segment_terminator, chars.reserved_character)
        return _SegmentWriter(table, chars.component_separator, chars.data_separator, chars.segment_terminator)

    def write(self, tag: str, elements: Sequence[Element]) -> str:
        table = self.release_table
        written: list[str] = [tag]
        for element in elements:
            if element is None:
                written.append("")
            elif isinstance(element, str):
                written.append(element.translate(table))
            else:
                components = [(component or "").translate(table) for component in element]
                while components and not components[-1]:
                    components.pop()
                written.append(self.component.join(components))
        while len(written) > 1 and not written[-1]:
            written.pop()
        return self.data.join(written) + self.terminator


@dataclass(frozen=True, slots=True)
class Message:
    """One message: UNH reference, message identifier (S009 components) and the segments between UNH and UNT.

    A segment may also be given as text already written (``format_segment`` with the service characters of the
    interchange it goes into, terminator included): answers write the same amount segments thousands of times a
    batch and format each distinct one once."""

    reference: str
    identifier: tuple[str, ...]
    segments: tuple[Segment | str, ...]


@dataclass(frozen=True, slots=True)
class InterchangeHeader:
    """What the UNB carries. ``prepared_at`` is the S004 date and time, e.g. ``"261126:0930"``."""

    sender: str
    recipient: str
    control_reference: str
    prepared_at: str
    charset: str = "UNOC"
    syntax_version: str | None = None  # None: 4 for UNOY (which needs it), else 3
    sender_qualifier: str | None = "ZZ"
    recipient_qualifier: str | None = "ZZ"

    @property
    def version(self) -> str:
        return self.syntax_version or ("4" if self.charset == "UNOY" else "3")


def format_message(message: Message, chars: Characters) -> list[str]:
    """UNH, the body and UNT with its segment count (UNH and UNT included)."""
    return _format_message(message, _SegmentWriter.of(chars))


def _format_message(message: Message, writer: _SegmentWriter) -> list[str]:
    write = writer.write
    lines = [write("UNH", (message.reference, message.identifier))]
    lines.extend(s if isinstance(s, str) else write(s.tag, s.elements) for s in message.segments)
    lines.append(write("UNT", (str(len(lines) + 1), message.reference)))
    return lines


def format_interchange(header: InterchangeHeader, messages: Iterable[Message], *, chars: Characters | None = None,
                       una: bool = True, line_breaks: bool = True) -> str:
    """The whole interchange as text: optional UNA, UNB, the messages, UNZ with the message count.

    Text the declared syntax level cannot carry (lower case in UNOA, '東' in UNOC, a control character) is the
    caller's fault: OutsideRepertoire (a ValueError), rather than a file the reader would reject with S08."""
    chars = chars or interface_characters()
    if header.charset not in SYNTAX_CODECS:
        raise ValueError(f"unsupported syntax identifier {header.charset!r}")
    if not una and str(chars) != str(interface_characters()):
        raise ValueError(f"service characters {str(chars)!r} differ from the defaults: a UNA is needed")
    lines = [format_segment(
        "UNB",
        (header.charset, header.version),
        (header.sender, header.sender_qualifier or ""),
        (header.recipient, header.recipient_qualifier or ""),
        tuple(header.prepared_at.split(":")),
        header.control_reference,
        chars=chars,
    )]
    count = 0
    writer = _SegmentWriter.of(chars)
    for message in messages:
        lines.extend(_format_message(message, writer))
        count += 1
    lines.append(format_segment("UNZ", str(count), header.control_reference, chars=chars))
    if first_outside_repertoire("".join(lines), header.charset, chars) is not None:  # one search: nearly all fit
        for line in lines:
            outside = first_outside_repertoire(line, header.charset, chars)
            if outside is not None:
                raise OutsideRepertoire(f"character {describe_character(outside)} cannot be written in "
                                        f"{header.charset}: {line}")
    if una:
        lines.insert(0, chars.service_string_advice)
    return ("\n" if line_breaks else "").join(lines) + ("\n" if line_breaks else "")


def encode_interchange(text: str, charset: str) -> bytes:
    """The bytes of ``format_interchange``'s text in the encoding of its syntax identifier."""
    return text.encode(SYNTAX_CODECS[charset])


# -- CUSDEC ----------------------------------------------------------------------------------------------------


def write_interchange(interchange: Interchange, *, charset: str = "UNOC", una: bool = True,
                      line_breaks: bool = True) -> bytes:
    """The model as a CUSDEC interchange: one message per declaration (UNH reference = ``message_reference``,
    else its 1-based index). The UNA carries the interchange's decimal mark, so ``una=False`` needs '.'."""
    if interchange.prepared_at is None:
        raise ValueError("the interchange has no preparation date/time (UNB S004); the writer has no clock")
    if interchange.decimal_mark not in (".", ","):
        raise ValueError(f"decimal mark {interchange.decimal_mark!r} is neither '.' nor ','")
    chars = interface_characters()
    chars.decimal_point = interchange.decimal_mark
    header = InterchangeHeader(
        sender=interchange.sender,
        recipient=interchange.recipient or DEFAULT_RECIPIENT,
        control_reference=interchange.control_reference,
        prepared_at=interchange.prepared_at,
        charset=charset,
    )
    messages = [
        Message(declaration.message_reference or str(index), CUSDEC_IDENTIFIER,
                tuple(cusdec_segments(declaration, interchange.decimal_mark)))
        for index, declaration in enumerate(interchange.declarations, 1)
    ]
    text = format_interchange(header, messages, chars=chars, una=una, line_breaks=line_breaks)
    return encode_interchange(text, charset)


def cusdec_segments(declaration: Declaration, decimal_mark: str = ".") -> list[Segment]:
    """The segments of one CUSDEC message between UNH and UNT, in the order of the spec's tables."""
    d = declaration
    body = [
        segment("BGM", ("929", "", "", d.cad_type), (d.transaction_number, d.version), d.function),
        segment("DTM", ("137", _edifact_date(d.document_date), "102")),
        segment("DTM", ("58", _edifact_date(d.release_date), "102")),
        segment("DTM", ("11", _edifact_date(d.shipment_date), "102")),
        segment("LOC", "22", d.office),
        segment("LOC", "30", d.export_country),
    ]
    for qualifier, reference in (("AAM", d.cargo_control), ("IV", d.invoice_number), ("ACD", d.change_reason)):
        if reference is not None:
            body.append(segment("RFF", (qualifier, reference)))
    body.append(_party_segment(d.importer, "IM"))
    if d.broker is not None:
        body.append(_party_segment(d.broker, "CB"))
    body.append(_party_segment(d.vendor, "SE"))
    body += [
        segment("TDT", "20", None, d.transport_mode),
        segment("CUX", ("2", d.currency, "4")),
        segment("UNS", "D"),
    ]
    for line in d.lines:
        body.extend(_line_segments(line, decimal_mark))
    count = d.declared_line_count if d.declared_line_count is not None else str(len(d.lines))
    body += [segment("UNS", "S"), segment("CNT", ("5", count))]
    return body


def _line_segments(line: Line, decimal_mark: str) -> list[Segment]:
    def number(text: str) -> str:
        return text.replace(".", decimal_mark) if decimal_mark != "." else text

    body = [
        segment("CST", line.number, (line.classification, "108", "ZZZ"), (line.treatment, "109", "ZZZ")),
        segment("FTX", "AAA", None, None, line.description),
        segment("LOC", "27", line.origin),
        segment("MEA", "AAE", "AAA", (line.unit, number(line.quantity))),
    ]
    if line.gross_weight is not None:
        body.append(segment("MEA", "WT", "AAB", (line.gross_weight_unit or "KGM", number(line.gross_weight))))
    body.append(segment("MOA", ("123", number(line.value))))
    if line.cargo_control is not None:
        body.append(segment("RFF", ("AAM", line.cargo_control)))
    for qualifier, code in (("SPA", line.special_authority), ("GST", line.gst_exemption),
                            ("EXC", line.excise_code), ("SIM", line.sima)):
        if code is not None:
            body.append(segment("GIS", (code, qualifier)))
    for filer in line.filer_amounts:
        body += [segment("TAX", "1", filer.charge_type), segment("MOA", ("161", number(filer.amount)))]
    return body


def _party_segment(party: Party, role: str) -> Segment:
    identification = (party.id, "", "ZZZ") if party.id else None
    return segment("NAD", role, identification, None, party.name, party.street, party.city, None,
                   party.postcode, party.country)


def _edifact_date(iso: str) -> str:
    """``YYYY-MM-DD`` → CCYYMMDD; anything else is written as it is (it came verbatim from the sender)."""
    if len(iso) == 10 and iso[4] == "-" and iso[7] == "-" and (iso[:4] + iso[5:7] + iso[8:]).isdigit():
        return iso[:4] + iso[5:7] + iso[8:]
    return iso
