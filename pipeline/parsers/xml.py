"""The XML reader: bytes of a CAD in WCO-data-model XML (spec/cad-xml.md) → the canonical model.

A file goes through gates, each of which rejects it whole, before its values are read:

1. the bytes must be UTF-8, and the XML declaration may name no other encoding (S08);
2. no DOCTYPE: a document type declaration (the only home of entity declarations) is refused before any parsing,
   so that nothing is ever expanded or fetched (S10);
3. well-formed, read by a hardened parser: no DTD loading, no entity substitution, no network, libxml2's size
   limits kept (S09, with the parser's line and column and message);
4. no XInclude element (S10; XInclude is never processed anyway);
5. valid against ``schemas/cad.xsd``: every violation libxml2 reports (S10, "line L, column C").

Gates 3 to 5 first run as one streaming pass that builds no tree; a file that passes is then read declaration by
declaration, each one dropped once read, so memory stays near the size of the model. Only a faulty file is read
as a whole tree, to name the line and column of every fault.

The schema has checked the structure, so values are read by position without XPath queries. Values keep the
sender's text: every code, identifier, date and amount is an ``xs:token`` in the schema, so it is read as XML
Schema defines its value (white space collapsed); names, descriptions and address parts are kept verbatim.
Locations are XPaths with positional predicates on ``Declaration``, ``GovernmentAgencyGoodsItem`` and
``DutyTaxFee``.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

from lxml import etree

import pipeline
from pipeline.findings import Finding
from pipeline.model import Declaration, FilerAmount, Interchange, Line, Party
from pipeline.parsers import ParseResult
from pipeline.writers.xml import NS, tag

SCHEMA_DIR = Path(pipeline.__file__).parent / "schemas"
ROOT_PATH = "/DocumentMetaData"

# Options shared by every parse of a submitted file: nothing outside the bytes is ever read or expanded.
_HARDENED: Mapping[str, bool] = MappingProxyType(
    {
        "resolve_entities": False,
        "load_dtd": False,
        "dtd_validation": False,
        "attribute_defaults": False,
        "no_network": True,
        "huge_tree": False,
        "remove_comments": True,
        "remove_pis": True,
        "remove_blank_text": True,
    }
)
_XINCLUDE_ANY = ("{http://www.w3.org/2001/XInclude}*", "{http://www.w3.org/2003/XInclude}*")
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF8_NAMES = frozenset({"utf-8", "utf8"})
_DECODE_CHUNK = 1 << 20
# What may precede a document type declaration: blanks, the XML declaration, processing instructions, comments.
_PROLOG_MISC = re.compile(rb"(?:[ \t\r\n]+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']""")
_XML_SPACE = re.compile(r"[ \t\n\r]+")


def load_schema(name: str = "cad.xsd") -> etree.XMLSchema:
    """The compiled schema ``schemas/<name>`` (``cad.xsd`` or ``cad-response.xsd``); compiling takes about 1 ms."""
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / name), parser))


def parse_xml(data: bytes) -> ParseResult:
    """Read an XML CAD. S08, S09 and S10 come back as findings (with no interchange), never as exceptions."""
    refusal = _encoding_fault(data) or _doctype_fault(data)
    if refusal:
        return ParseResult(None, (refusal,))
    schema = load_schema()
    if _conforms(data, schema):
        return ParseResult(_read_interchange(_streamed(data)))
    return _read_tree(data, schema)


# ----------------------------------------------------------------------------------------------- the gates


def _line_column(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and character column of a byte offset."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def _encoding_fault(data: bytes) -> Finding | None:
    head = data[:1024].removeprefix(_UTF8_BOM)
    declared = _DECLARED_ENCODING.match(head)
    if declared and declared.group(1).decode("ascii", "replace").lower() not in _UTF8_NAMES:
        name = declared.group(1).decode("ascii", "replace")
        return Finding(
            "S08", f"the XML declaration names encoding {name!r}; only UTF-8 is accepted", "line 1, column 1"
        )
    if data.isascii():
        return None
    # Checked in chunks so that a large file is never held a second time, as text.
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), _DECODE_CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(data[start : start + _DECODE_CHUNK], final=start + _DECODE_CHUNK >= len(data))
        except UnicodeDecodeError as error:
            offset = start - pending + error.start
            bad = data[offset : offset + min(4, error.end - error.start)].hex(" ")
            line, column = _line_column(data, offset)
            return Finding(
                "S08", f"bytes {bad} are not valid UTF-8 ({error.reason})", f"line {line}, column {column}"
            )
    return None


def _doctype_fault(data: bytes) -> Finding | None:
    start = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    at = _PROLOG_MISC.match(data, start).end()
    if not data.startswith(b"<!DOCTYPE", at):
        return None
    line, column = _line_column(data, at)
    return Finding(
        "S10",
        "a document type declaration (DOCTYPE) is not allowed: DTDs and entities are refused without being read",
        f"line {line}, column {column}",
    )


class _NoTree:
    """A parser target that builds nothing: the validating pass only needs libxml2's verdict."""

    def close(self) -> None:
        return None


def _conforms(data: bytes, schema: etree.XMLSchema) -> bool:
    """Well-formed and valid, checked in one streaming pass. Errors are not told apart here (see _read_tree)."""
    parser = etree.XMLParser(target=_NoTree(), schema=schema, collect_ids=False, **_HARDENED)
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return False
    return len(parser.error_log) == 0


def _read_tree(data: bytes, schema: etree.XMLSchema) -> ParseResult:
    """Read the whole tree, to report each fault with its line and column (the model if there is none)."""
    parser = etree.XMLParser(collect_ids=False, **_HARDENED)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        # The parser's own log: the exception's log may also hold other documents' errors.
        first = parser.error_log[0] if len(parser.error_log) else None
        line, column, message = (
            (first.line, first.column, first.message) if first else (*error.position, error.msg)
        )
        return ParseResult(
            None, (Finding("S09", f"XML not well-formed: {message}", f"line {line}, column {column}"),)
        )
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        return ParseResult(
            None, (Finding("S10", "a document type declaration (DTD) is not allowed", "line 1, column 1"),)
        )
    xincludes = list(root.iter(*_XINCLUDE_ANY))
    if xincludes:
        locator = _Locator(data, root, xincludes)
        return ParseResult(
            None,
            tuple(
                Finding(
                    "S10",
                    f"XInclude is not allowed: element {locator.xpath(element)}",
                    locator.line_column(element),
                )
                for element in xincludes
            ),
        )
    if not schema.validate(root.getroottree()):
        return ParseResult(None, tuple(_schema_findings(data, root, schema.error_log)))
    return ParseResult(_read_interchange(root.iterchildren(_COMMUNICATION, _DECLARATION)))


def _schema_findings(data: bytes, root: etree._Element, log: etree._ListErrorLog) -> list[Finding]:
    tree = root.getroottree()
    entries = [(entry, _element_at(tree, entry.path)) for entry in log]
    locator = _Locator(data, root, [element for _, element in entries if element is not None])
    findings = []
    for entry, element in entries:
        message = entry.message.replace(f"{{{NS}}}", "").rstrip(".")
        if element is None:
            findings.append(Finding("S10", message, f"line {entry.line}, column {max(entry.column, 1)}"))
        else:
            findings.append(
                Finding("S10", f"{message} (at {locator.xpath(element)})", locator.line_column(element))
            )
    return findings


def _element_at(tree: etree._ElementTree, path: str | None) -> etree._Element | None:
    if not path:
        return None
    try:
        found = tree.xpath(path)
    except etree.XPathError:
        return None
    return found[0] if found and isinstance(found[0], etree._Element) else None


def _step_name(element: etree._Element) -> str:
    """The element's name in an XPath: bare in this interface's namespace, prefixed in any other."""
    name = etree.QName(element)
    return (
        name.localname if name.namespace == NS or not element.prefix else f"{element.prefix}:{name.localname}"
    )


class _Locator:
    """Where elements of a parsed document are, for error messages: libxml2 keeps only the line of a node.

    Built in a few linear passes whatever the number of elements asked about, so that a file with thousands of
    faults is still reported quickly. The column is that of the start tag, found in the line's text; elements of
    the same name that start on the same line are told apart by their order in the document.
    """

    _ALWAYS_INDEXED = frozenset({tag("Declaration"), tag("GovernmentAgencyGoodsItem"), tag("DutyTaxFee")})

    def __init__(self, data: bytes, root: etree._Element, elements: list[etree._Element]) -> None:
        self._data = data
        self._rank_on_line = self._ranks(root, set(elements))
        self._step = self._steps(elements)
        self._line_start = self._line_starts(data, {element.sourceline or 1 for element in elements})
        self._tags_on_line: dict[tuple[int, str], list[int]] = {}

    @staticmethod
    def _ranks(root: etree._Element, wanted: set[etree._Element]) -> dict[etree._Element, int]:
        ranks: dict[etree._Element, int] = {}
        line, seen = 0, {}
        for element in root.iter():
            if element.sourceline != line:
                line, seen = element.sourceline, {}
            rank = seen.get(element.tag, 0)
            seen[element.tag] = rank + 1
            if element in wanted:
                ranks[element] = rank
        return ranks

    def _steps(self, elements: list[etree._Element]) -> dict[etree._Element, str]:
        parents = {node.getparent() for element in elements for node in (element, *element.iterancestors())}
        steps: dict[etree._Element, str] = {}
        for parent in parents - {None}:
            total: dict[str, int] = {}
            for child in parent:
                total[child.tag] = total.get(child.tag, 0) + 1
            count: dict[str, int] = {}
            for child in parent:
                count[child.tag] = count.get(child.tag, 0) + 1
                name = _step_name(child)
                indexed = total[child.tag] > 1 or child.tag in self._ALWAYS_INDEXED
                steps[child] = f"{name}[{count[child.tag]}]" if indexed else name
        return steps

    @staticmethod
    def _line_starts(data: bytes, lines: set[int]) -> dict[int, int]:
        starts, line, offset = {}, 1, 0
        for wanted in sorted(lines):
            while line < wanted and offset >= 0:
                found = data.find(b"\n", offset)
                offset = found + 1 if found >= 0 else -1
                line += 1
            starts[wanted] = max(offset, 0)
        return starts

    def xpath(self, element: etree._Element) -> str:
        steps = [self._step.get(node) or _step_name(node) for node in (element, *element.iterancestors())]
        return "/" + "/".join(reversed(steps))

    def line_column(self, element: etree._Element) -> str:
        line = element.sourceline or 1
        name = etree.QName(element).localname
        if element.prefix:
            name = f"{element.prefix}:{name}"
        starts = self._tags_on_line.get((line, name))
        if starts is None:
            begin = self._line_start[line]
            end = self._data.find(b"\n", begin)
            text = self._data[begin : end if end >= 0 else len(self._data)].decode("utf-8", errors="replace")
            starts = [match.start() + 1 for match in re.finditer(rf"<{re.escape(name)}(?=[\s/>])", text)]
            self._tags_on_line[(line, name)] = starts
        rank = self._rank_on_line.get(element, 0)
        return f"line {line}, column {starts[rank] if rank < len(starts) else 1}"


# ----------------------------------------------------------------------------------------------- the model

_COMMUNICATION = tag("CommunicationMetaData")
_DECLARATION = tag("Declaration")
_AMENDMENT = tag("Amendment")
_AGENT = tag("Agent")
_UCR = tag("UCR")
_ID = tag("ID")
_STREET = tag("Line")
_CITY = tag("CityName")
_POSTCODE = tag("PostcodeID")
_DUTY_TAX_FEE = tag("DutyTaxFee")
# The optional codes of an item: element → model field.
_ITEM_CODES = {
    tag("SpecialAuthorityCode"): "special_authority",
    tag("GSTExemptionCode"): "gst_exemption",
    tag("ExciseTaxCode"): "excise_code",
    tag("SIMACode"): "sima",
}

# Model field → path of its value, relative to the record's own location.
_DECLARATION_PATHS = {
    "message_reference": "",
    "function": "/FunctionCode",
    "transaction_number": "/ID",
    "version": "/VersionID",
    "cad_type": "/TypeCode",
    "document_date": "/IssueDateTime",
    "change_reason": "/Amendment/ChangeReasonCode",
    "office": "/ReleaseLocation/ID",
    "release_date": "/Status/ReleaseDateTime",
    "importer": "/Importer",
    "broker": "/Agent",
    "transport_mode": "/BorderTransportMeans/ModeCode",
    "cargo_control": "/UCR/TraderAssignedReferenceID",
    "export_country": "/GoodsShipment/ExportCountry/ID",
    "shipment_date": "/GoodsShipment/ShipmentDateTime",
    "invoice_number": "/GoodsShipment/Invoice/ID",
    "currency": "/GoodsShipment/Invoice/CurrencyCode",
    "vendor": "/GoodsShipment/Seller",
    "lines": "/GoodsShipment",
}
_LINE_PATHS = {
    "number": "/SequenceNumeric",
    "description": "/Commodity/Description",
    "classification": "/Commodity/Classification/ID",
    "origin": "/Origin/CountryCode",
    "treatment": "/TariffTreatmentCode",
    "quantity": "/GoodsMeasure/TariffQuantity",
    "unit": "/GoodsMeasure/TariffQuantity/@unitCode",
    "gross_weight": "/GoodsMeasure/GrossMassMeasure",
    "gross_weight_unit": "/GoodsMeasure/GrossMassMeasure/@unitCode",
    "value": "/CustomsValuation/ChargeAmount",
    "value_currency": "/CustomsValuation/ChargeAmount/@currencyID",
    "cargo_control": "/UCR/TraderAssignedReferenceID",
    "special_authority": "/SpecialAuthorityCode",
    "gst_exemption": "/GSTExemptionCode",
    "excise_code": "/ExciseTaxCode",
    "sima": "/SIMACode",
}
_PARTY_PATHS = {
    "id": "/ID",
    "role": "/RoleCode",
    "name": "/Name",
    "street": "/Address/Line",
    "city": "/Address/CityName",
    "postcode": "/Address/PostcodeID",
    "country": "/Address/CountryCode",
}
_MANDATORY_LINE_FIELDS = (
    "number",
    "description",
    "classification",
    "origin",
    "treatment",
    "quantity",
    "unit",
    "value",
    "value_currency",
)
_MANDATORY_DECLARATION_FIELDS = (
    "message_reference",
    "function",
    "transaction_number",
    "version",
    "cad_type",
    "document_date",
    "office",
    "release_date",
    "importer",
    "transport_mode",
    "export_country",
    "shipment_date",
    "currency",
    "vendor",
    "lines",
)


class XPathMap(Mapping[str, str]):
    """Field name → XPath of its value, joined on demand from the record's location.

    A large file has hundreds of thousands of fields; holding each full path as a string would take more memory
    than the values themselves. The relative paths are shared by every record with the same fields present.
    """

    __slots__ = ("_base", "_relative")

    def __init__(self, base: str, relative: Mapping[str, str]) -> None:
        self._base = base
        self._relative = relative

    def __getitem__(self, field: str) -> str:
        return self._base + self._relative[field]

    def __iter__(self) -> Iterator[str]:
        return iter(self._relative)

    def __len__(self) -> int:
        return len(self._relative)

    def __repr__(self) -> str:
        return repr(dict(self))


class _PathTables:
    """The relative-path tables of one parse, one per combination of fields present, shared between records."""

    def __init__(self) -> None:
        self._tables: dict[tuple[int, tuple[str, ...]], Mapping[str, str]] = {}

    def places(self, base: str, paths: dict[str, str], present: tuple[str, ...]) -> XPathMap:
        key = (id(paths), present)
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = MappingProxyType({field: paths[field] for field in present})
        return XPathMap(base, table)


def _token(text: str | None) -> str:
    """The xs:token value of an element's text: XML white space collapsed, as the schema reads it."""
    if not text:
        return ""
    if text.isprintable() and " " not in text:  # tab, CR and LF are not printable: nothing to collapse
        return text
    return _XML_SPACE.sub(" ", text).strip(" ")


def _streamed(data: bytes) -> Iterator[etree._Element]:
    """CommunicationMetaData, then each Declaration, from a document known to be valid; each is dropped once read."""
    for _, element in etree.iterparse(
        io.BytesIO(data), events=("end",), tag=(_COMMUNICATION, _DECLARATION), **_HARDENED
    ):
        yield element
        element.clear(keep_tail=True)
        while element.getprevious() is not None:
            del element.getparent()[0]


def _read_interchange(elements: Iterable[etree._Element]) -> Interchange:
    """The model of a valid document, from its CommunicationMetaData and Declaration elements, in order."""
    stream = iter(elements)
    communication = next(stream)
    control_reference, sender = _token(communication[0].text), _token(communication[1][0].text)
    tables = _PathTables()
    declarations = tuple(_read_declaration(element, index, tables) for index, element in enumerate(stream, 1))
    return Interchange(
        syntax="xml",
        sender=sender,
        control_reference=control_reference,
        declarations=declarations,
        charset="UTF-8",
        location=ROOT_PATH,
        where=MappingProxyType(
            {
                "sender": f"{ROOT_PATH}/CommunicationMetaData/Sender/ID",
                "control_reference": f"{ROOT_PATH}/CommunicationMetaData/ApplicationReferenceID",
            }
        ),
    )


def _read_declaration(element: etree._Element, index: int, tables: _PathTables) -> Declaration:
    path = f"{ROOT_PATH}/Declaration[{index}]"
    present = list(_MANDATORY_DECLARATION_FIELDS)
    children = iter(element)
    function, number, version, cad_type, issued = (next(children) for _ in range(5))
    change_reason = broker = cargo_control = invoice_number = None
    child = next(children)
    if child.tag == _AMENDMENT:
        change_reason = _token(child[0].text)
        present.append("change_reason")
        child = next(children)
    office = _token(child[0].text)
    release_date = _token(next(children)[0].text)
    importer = _read_party(next(children), "IM", f"{path}/Importer", tables)
    child = next(children)
    if child.tag == _AGENT:
        broker = _read_party(child, "CB", f"{path}/Agent", tables)
        present.append("broker")
        child = next(children)
    transport_mode = _token(child[0].text)
    child = next(children)
    if child.tag == _UCR:
        cargo_control = _token(child[0].text)
        present.append("cargo_control")
        child = next(children)
    shipment, shipment_path = child, f"{path}/GoodsShipment"
    export_country, shipment_date, invoice, seller = shipment[:4]
    if invoice[0].tag == _ID:
        invoice_number = _token(invoice[0].text)
        present.append("invoice_number")
    lines = tuple(
        _read_line(item, f"{shipment_path}/GovernmentAgencyGoodsItem[{position}]", tables)
        for position, item in enumerate(shipment[4:], 1)
    )
    return Declaration(
        function=_token(function.text),
        transaction_number=_token(number.text),
        version=_token(version.text),
        cad_type=_token(cad_type.text),
        document_date=_token(issued.text),
        release_date=release_date,
        shipment_date=_token(shipment_date.text),
        office=office,
        export_country=_token(export_country[0].text),
        importer=importer,
        vendor=_read_party(seller, "SE", f"{shipment_path}/Seller", tables),
        transport_mode=transport_mode,
        currency=_token(invoice[-1].text),
        lines=lines,
        broker=broker,
        cargo_control=cargo_control,
        invoice_number=invoice_number,
        change_reason=change_reason,
        message_reference=str(index),
        location=path,
        where=tables.places(path, _DECLARATION_PATHS, tuple(present)),
    )


def _read_party(element: etree._Element, role: str, path: str, tables: _PathTables) -> Party:
    """Importer (ID, Name), Agent (ID, RoleCode, Name) or Seller (Name, Address?)."""
    if role != "SE":
        fields = ("id", "role", "name") if role == "CB" else ("id", "name")
        return Party(
            role=role,
            id=_token(element[0].text),
            name=element[-1].text or "",
            location=path,
            where=tables.places(path, _PARTY_PATHS, fields),
        )
    present = ["name"]
    street = city = postcode = country = None
    if len(element) > 1:
        for part in element[1]:
            if part.tag == _STREET:
                street = part.text or ""
                present.append("street")
            elif part.tag == _CITY:
                city = part.text or ""
                present.append("city")
            elif part.tag == _POSTCODE:
                postcode = part.text or ""
                present.append("postcode")
            else:
                country = _token(part.text)
                present.append("country")
    return Party(
        role=role,
        name=element[0].text or "",
        street=street,
        city=city,
        postcode=postcode,
        country=country,
        location=path,
        where=tables.places(path, _PARTY_PATHS, tuple(present)),
    )


def _read_line(item: etree._Element, path: str, tables: _PathTables) -> Line:
    sequence, commodity, origin, treatment, measure, valuation = item[:6]
    quantity, value = measure[0], valuation[0]
    present = list(_MANDATORY_LINE_FIELDS)
    optional: dict[str, str] = {}
    if len(measure) > 1:
        gross = measure[1]
        optional["gross_weight"], optional["gross_weight_unit"] = (
            _token(gross.text),
            _token(gross.get("unitCode")),
        )
    fees: list[FilerAmount] = []
    for child in item[6:]:
        if child.tag == _DUTY_TAX_FEE:
            amount = child[1][0]
            fees.append(
                FilerAmount(
                    charge_type=_token(child[0].text),
                    amount=_token(amount.text),
                    currency=_token(amount.get("currencyID")),
                    location=f"{path}/DutyTaxFee[{len(fees) + 1}]",
                )
            )
        elif child.tag == _UCR:
            optional["cargo_control"] = _token(child[0].text)
        else:
            optional[_ITEM_CODES[child.tag]] = _token(child.text)
    present.extend(optional)
    return Line(
        number=_token(sequence.text),
        classification=_token(commodity[1][0].text),
        treatment=_token(treatment.text),
        description=commodity[0].text or "",
        origin=_token(origin[0].text),
        unit=_token(quantity.get("unitCode")),
        quantity=_token(quantity.text),
        value=_token(value.text),
        value_currency=_token(value.get("currencyID")),
        filer_amounts=tuple(fees),
        location=path,
        where=tables.places(path, _LINE_PATHS, tuple(present)),
        **optional,
    )
