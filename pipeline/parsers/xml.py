"""The XML reader: bytes of a CAD in WCO-data-model XML (spec/cad-xml.md) → the canonical model.

A file is read only once it has passed the gates of ``xml_faults`` (encoding, no DOCTYPE, well-formed, valid
against ``schemas/cad.xsd``), each of which rejects it whole (S08, S09, S10). A file that passes is read
declaration by declaration, each one dropped once read, so memory stays near the size of the model.

The schema has checked the structure, so values are read by position without XPath queries. Values keep the
sender's text: every code, identifier, date and amount is an ``xs:token`` in the schema, so it is read as XML
Schema defines its value (white space collapsed); names, descriptions and address parts are kept verbatim.
Locations are XPaths with positional predicates on ``Declaration``, ``GovernmentAgencyGoodsItem`` and
``DutyTaxFee``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

from lxml import etree

import pipeline
from pipeline.model import Declaration, FilerAmount, Interchange, Line, Party
from pipeline.parsers import ParseResult
from pipeline.parsers.records import RecordsBuilder
from pipeline.parsers.xml_faults import HARDENED, parse_faults, refusal
from pipeline.writers.xml import tag

SCHEMA_DIR = Path(pipeline.__file__).parent / "schemas"
ROOT_PATH = "/DocumentMetaData"

_XML_SPACE = re.compile(r"[ \t\n\r]+")


def load_schema(name: str = "cad.xsd") -> etree.XMLSchema:
    """The compiled schema ``schemas/<name>`` (``cad.xsd`` or ``cad-response.xsd``); compiling takes about 1 ms."""
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / name), parser))


def parse_xml(data: bytes) -> ParseResult:
    """Read an XML CAD. S08, S09 and S10 come back as findings (with no interchange), never as exceptions."""
    refused = refusal(data)
    if refused:
        return ParseResult(None, (refused,))
    faults = parse_faults(data, load_schema())
    if faults:
        return ParseResult(None, faults)
    records = RecordsBuilder()
    return ParseResult(_read_interchange(_streamed(data), records), records=records.records())


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
        io.BytesIO(data), events=("end",), tag=(_COMMUNICATION, _DECLARATION), **HARDENED
    ):
        yield element
        element.clear(keep_tail=True)
        while element.getprevious() is not None:
            del element.getparent()[0]


def _read_interchange(elements: Iterable[etree._Element], records: RecordsBuilder) -> Interchange:
    """The model of a valid document, from its CommunicationMetaData and Declaration elements, in order; each line
    and declaration recorded in ``records`` as it is built."""
    stream = iter(elements)
    communication = next(stream)
    control_reference, sender = _token(communication[0].text), _token(communication[1][0].text)
    tables = _PathTables()
    declarations = tuple(
        _read_declaration(element, index, tables, records) for index, element in enumerate(stream, 1)
    )
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


def _read_declaration(element: etree._Element, index: int, tables: _PathTables, records: RecordsBuilder) -> Declaration:
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
    for line in lines:
        records.add_line(line)
    declaration = Declaration(
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
    records.add_declaration(declaration)
    return declaration


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
