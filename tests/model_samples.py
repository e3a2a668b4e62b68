"""Builders of valid model objects for tests, with the locations each reader gives them.

``valid_declaration()`` is the worked example of spec/assessment.md: tricycles 9503.00.10.10 from CN under MFN,
US$1,000.00 shipped 2025-05-02, released 2025-05-05 at office 0497, importer 123456782RM0001. Override any
``Declaration`` field by keyword; pass ``lines=`` to replace the lines (build them with ``valid_line``).
``style="xml"`` places every field at the XPath the XML reader gives it; ``style="edifact"`` at
``"TAG#position"`` as the EDIFACT reader does (UNH = 1, the segments in the order of spec/cad-edifact.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from pipeline.model import Declaration, Interchange, Line, Party
from pipeline.parsers import ParseResult

SENDER = "SP00042"
IMPORTER = "123456782RM0001"
TRANSACTION = "10207000002945"
XML_ROOT = "/DocumentMetaData"


def valid_line(number: int | str = 1, **fields: object) -> Line:
    """A valid tricycle line; locations are filled in by ``valid_declaration``."""
    values: dict[str, object] = dict(
        number=str(number), classification="9503001010", treatment="2", description="Tricycles", origin="CN",
        unit="NMB", quantity="10", value="1000.00",
    )
    values.update(fields)
    return Line(**values)  # type: ignore[arg-type]


def valid_declaration(*, style: str = "xml", index: int = 1, lines: Iterable[Line] | None = None,
                      **fields: object) -> Declaration:
    line_tuple = tuple(lines) if lines is not None else (valid_line(),)
    values: dict[str, object] = dict(
        function="9",
        transaction_number=TRANSACTION,
        version="1" if style == "xml" else "00001",
        cad_type="AB",
        document_date="2025-05-05",
        release_date="2025-05-05",
        shipment_date="2025-05-02",
        office="0497",
        export_country="US",
        importer=Party("IM", "Acme Imports Ltd", id=IMPORTER),
        vendor=Party("SE", "US Vendor Co", street="1 Main St", city="Buffalo", postcode="14201", country="US"),
        transport_mode="2",
        currency="USD",
        invoice_number="INV-1",
        message_reference=str(index),
        declared_line_count=None if style == "xml" else str(len(line_tuple)),
    )
    values.update(fields)
    declaration = Declaration(lines=line_tuple, **values)  # type: ignore[arg-type]
    if style == "xml":
        return _place_xml(declaration, index)
    if style == "edifact":
        return _place_edifact(declaration)
    raise ValueError(f"unknown style {style!r}")


def interchange(*declarations: Declaration, style: str = "xml", sender: str = SENDER) -> Interchange:
    where = {"sender": f"{XML_ROOT}/CommunicationMetaData/Sender/ID" if style == "xml" else "UNB#1"}
    return Interchange(style, sender, "ICR000017", tuple(declarations), location=XML_ROOT if style == "xml"
                       else "UNB#1", where=where)


def parse_result(*declarations: Declaration, style: str = "xml", sender: str = SENDER) -> ParseResult:
    """What a reader returns for a syntactically clean file holding these declarations."""
    return ParseResult(interchange(*declarations, style=style, sender=sender))


# -- XML ---------------------------------------------------------------------------------------------------------

def _place_xml(declaration: Declaration, index: int) -> Declaration:
    path = f"{XML_ROOT}/Declaration[{index}]"
    shipment = f"{path}/GoodsShipment"
    where = {
        "function": f"{path}/FunctionCode", "transaction_number": f"{path}/ID", "version": f"{path}/VersionID",
        "cad_type": f"{path}/TypeCode", "document_date": f"{path}/IssueDateTime",
        "office": f"{path}/ReleaseLocation/ID", "release_date": f"{path}/Status/ReleaseDateTime",
        "transport_mode": f"{path}/BorderTransportMeans/ModeCode",
        "export_country": f"{shipment}/ExportCountry/ID", "shipment_date": f"{shipment}/ShipmentDateTime",
        "currency": f"{shipment}/Invoice/CurrencyCode", "lines": shipment,
        "invoice_number": f"{shipment}/Invoice/ID",
    }
    if declaration.change_reason is not None:
        where["change_reason"] = f"{path}/Amendment/ChangeReasonCode"
    if declaration.cargo_control is not None:
        where["cargo_control"] = f"{path}/UCR/TraderAssignedReferenceID"
    importer = replace(declaration.importer, location=f"{path}/Importer",
                       where={"id": f"{path}/Importer/ID", "name": f"{path}/Importer/Name"})
    seller = f"{shipment}/Seller"
    vendor = replace(declaration.vendor, location=seller, where={
        "name": f"{seller}/Name", "street": f"{seller}/Address/Line", "city": f"{seller}/Address/CityName",
        "postcode": f"{seller}/Address/PostcodeID", "country": f"{seller}/Address/CountryCode",
    })
    lines = tuple(
        _place_xml_line(line, f"{shipment}/GovernmentAgencyGoodsItem[{position}]", declaration.currency)
        for position, line in enumerate(declaration.lines, 1)
    )
    return replace(declaration, importer=importer, vendor=vendor, lines=lines, location=path, where=where)


_XML_LINE_PATHS = {
    "number": "/SequenceNumeric", "description": "/Commodity/Description",
    "classification": "/Commodity/Classification/ID", "origin": "/Origin/CountryCode",
    "treatment": "/TariffTreatmentCode", "quantity": "/GoodsMeasure/TariffQuantity",
    "unit": "/GoodsMeasure/TariffQuantity/@unitCode", "value": "/CustomsValuation/ChargeAmount",
    "value_currency": "/CustomsValuation/ChargeAmount/@currencyID",
}
_XML_OPTIONAL_PATHS = {
    "cargo_control": "/UCR/TraderAssignedReferenceID", "special_authority": "/SpecialAuthorityCode",
    "gst_exemption": "/GSTExemptionCode", "excise_code": "/ExciseTaxCode", "sima": "/SIMACode",
}


def _place_xml_line(line: Line, path: str, currency: str) -> Line:
    where = {field: path + suffix for field, suffix in _XML_LINE_PATHS.items()}
    where.update((field, path + suffix) for field, suffix in _XML_OPTIONAL_PATHS.items()
                 if getattr(line, field) is not None)
    amounts = tuple(replace(amount, location=f"{path}/DutyTaxFee[{n}]", currency=amount.currency or "CAD")
                    for n, amount in enumerate(line.filer_amounts, 1))
    value_currency = line.value_currency if line.value_currency is not None else currency
    return replace(line, value_currency=value_currency, filer_amounts=amounts, location=path, where=where)


# -- EDIFACT -----------------------------------------------------------------------------------------------------

def _place_edifact(declaration: Declaration) -> Declaration:
    position = 1  # UNH
    where: dict[str, str] = {}

    def segment(tag: str, *fields: str, into: dict[str, str] | None = None) -> str:
        nonlocal position
        position += 1
        place = f"{tag}#{position}"
        (where if into is None else into).update(dict.fromkeys(fields, place))
        return place

    segment("BGM", "function", "transaction_number", "version", "cad_type")
    segment("DTM", "document_date")
    segment("DTM", "release_date")
    segment("DTM", "shipment_date")
    segment("LOC", "office")
    segment("LOC", "export_country")
    if declaration.cargo_control is not None:
        segment("RFF", "cargo_control")
    if declaration.invoice_number is not None:
        segment("RFF", "invoice_number")
    if declaration.change_reason is not None:
        segment("RFF", "change_reason")
    nad_im = segment("NAD")
    importer = replace(declaration.importer, location=nad_im, where={"id": nad_im, "name": nad_im})
    broker = declaration.broker
    if broker is not None:
        nad_cb = segment("NAD")
        broker = replace(broker, location=nad_cb, where={"id": nad_cb, "name": nad_cb})
    nad_se = segment("NAD")
    vendor = replace(declaration.vendor, location=nad_se, where=dict.fromkeys(
        ("name", "street", "city", "postcode", "country"), nad_se))
    segment("TDT", "transport_mode")
    segment("CUX", "currency")
    where["lines"] = segment("UNS")

    lines = []
    for line in declaration.lines:
        line_where: dict[str, str] = {}
        cst = segment("CST", "number", "classification", "treatment", into=line_where)
        segment("FTX", "description", into=line_where)
        segment("LOC", "origin", into=line_where)
        segment("MEA", "quantity", "unit", into=line_where)
        if line.gross_weight is not None:
            segment("MEA", "gross_weight", "gross_weight_unit", into=line_where)
        segment("MOA", "value", into=line_where)
        if line.cargo_control is not None:
            segment("RFF", "cargo_control", into=line_where)
        for field in ("special_authority", "gst_exemption", "excise_code", "sima"):
            if getattr(line, field) is not None:
                segment("GIS", field, into=line_where)
        amounts = []
        for amount in line.filer_amounts:
            segment("TAX", into=line_where)
            amounts.append(replace(amount, location=segment("MOA", into=line_where)))
        lines.append(replace(line, filer_amounts=tuple(amounts), location=cst, where=line_where))

    segment("UNS")
    segment("CNT", "declared_line_count")
    return replace(declaration, importer=importer, broker=broker, vendor=vendor, lines=tuple(lines),
                   location="UNH#1", where=where)
