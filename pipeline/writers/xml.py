"""The XML writer: the canonical model → a CAD document valid against ``schemas/cad.xsd`` (spec/cad-xml.md).

``parse_xml(write_interchange(x))`` gives back the values of ``x``. The small builders below (``NS``, ``tag``,
``child``, ``new_document``, ``serialize``) are shared with the XML answers, which use the same namespace and
header.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from pipeline.model import Declaration, FilerAmount, Interchange, Line, Party

NS = "urn:wco:datamodel:WCO:Declaration:1"
CAD_IN = "CAD-IN"
CAD_OUT = "CAD-OUT"
# The fixed header of every document of this interface (inbound and answers), in schema order.
HEADER = (
    ("WCODataModelVersionCode", "3.6"),
    ("ResponsibleAgencyName", "CBSA"),
    ("AgencyAssignedCustomizationCode", "CAD"),
    ("AgencyAssignedCustomizationVersionCode", "001"),
)


def tag(local: str) -> str:
    """The qualified (Clark notation) name of an element of this interface."""
    return f"{{{NS}}}{local}"


def child(
    parent: etree._Element, local: str, text: str | None = None, attrib: Mapping[str, str] | None = None
) -> etree._Element:
    """Append the element ``local`` (in ``NS``) to ``parent``, with text and unqualified attributes."""
    element = etree.SubElement(parent, tag(local), attrib=dict(attrib) if attrib else None)
    if text is not None:
        element.text = text
    return element


def new_document(functional_definition: str) -> etree._Element:
    """A ``DocumentMetaData`` root with the fixed header and ``functional_definition`` (CAD-IN or CAD-OUT)."""
    root = etree.Element(tag("DocumentMetaData"), nsmap={None: NS})
    for local, value in HEADER:
        child(root, local, value)
    child(root, "FunctionalDefinition", functional_definition)
    return root


def serialize(root: etree._Element) -> bytes:
    """UTF-8 bytes with an XML declaration, indented for people."""
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_interchange(interchange: Interchange) -> bytes:
    """The CAD document of ``interchange``. Raises ValueError if a value holds a character XML cannot carry."""
    root = new_document(CAD_IN)
    communication = child(root, "CommunicationMetaData")
    child(communication, "ApplicationReferenceID", interchange.control_reference)
    child(child(communication, "Sender"), "ID", interchange.sender)
    for declaration in interchange.declarations:
        _write_declaration(root, declaration)
    return serialize(root)


def _write_declaration(root: etree._Element, declaration: Declaration) -> None:
    element = child(root, "Declaration")
    child(element, "FunctionCode", declaration.function)
    child(element, "ID", declaration.transaction_number)
    child(element, "VersionID", declaration.version)
    child(element, "TypeCode", declaration.cad_type)
    child(element, "IssueDateTime", declaration.document_date)
    if declaration.change_reason is not None:
        child(child(element, "Amendment"), "ChangeReasonCode", declaration.change_reason)
    child(child(element, "ReleaseLocation"), "ID", declaration.office)
    child(child(element, "Status"), "ReleaseDateTime", declaration.release_date)
    importer = child(element, "Importer")
    child(importer, "ID", declaration.importer.id or "")
    child(importer, "Name", declaration.importer.name)
    if declaration.broker is not None:
        agent = child(element, "Agent")
        child(agent, "ID", declaration.broker.id or "")
        child(agent, "RoleCode", "CB")
        child(agent, "Name", declaration.broker.name)
    child(child(element, "BorderTransportMeans"), "ModeCode", declaration.transport_mode)
    if declaration.cargo_control is not None:
        child(child(element, "UCR"), "TraderAssignedReferenceID", declaration.cargo_control)
    shipment = child(element, "GoodsShipment")
    child(child(shipment, "ExportCountry"), "ID", declaration.export_country)
    child(shipment, "ShipmentDateTime", declaration.shipment_date)
    invoice = child(shipment, "Invoice")
    if declaration.invoice_number is not None:
        child(invoice, "ID", declaration.invoice_number)
    child(invoice, "CurrencyCode", declaration.currency)
    _write_seller(shipment, declaration.vendor)
    for line in declaration.lines:
        _write_line(shipment, line, declaration.currency)


def _write_seller(shipment: etree._Element, vendor: Party) -> None:
    seller = child(shipment, "Seller")
    child(seller, "Name", vendor.name)
    parts = (("Line", vendor.street), ("CityName", vendor.city), ("PostcodeID", vendor.postcode))
    if vendor.country is None and all(value is None for _, value in parts):
        return
    address = child(seller, "Address")
    for local, value in parts:
        if value is not None:
            child(address, local, value)
    # The schema requires a country in an address; an empty one is left to validation (B08) to report.
    child(address, "CountryCode", vendor.country or "")


def _write_line(shipment: etree._Element, line: Line, invoice_currency: str) -> None:
    item = child(shipment, "GovernmentAgencyGoodsItem")
    child(item, "SequenceNumeric", line.number)
    commodity = child(item, "Commodity")
    child(commodity, "Description", line.description)
    classification = child(commodity, "Classification")
    child(classification, "ID", line.classification)
    child(classification, "IdentificationTypeCode", "TSP")
    child(child(item, "Origin"), "CountryCode", line.origin)
    child(item, "TariffTreatmentCode", line.treatment)
    measure = child(item, "GoodsMeasure")
    child(measure, "TariffQuantity", line.quantity, {"unitCode": line.unit})
    if line.gross_weight is not None:
        child(measure, "GrossMassMeasure", line.gross_weight, {"unitCode": line.gross_weight_unit or "KGM"})
    # EDIFACT lines carry no currency of their own: the invoice currency (CUX) applies.
    currency = line.value_currency if line.value_currency is not None else invoice_currency
    child(child(item, "CustomsValuation"), "ChargeAmount", line.value, {"currencyID": currency})
    if line.cargo_control is not None:
        child(child(item, "UCR"), "TraderAssignedReferenceID", line.cargo_control)
    for local, value in (
        ("SpecialAuthorityCode", line.special_authority),
        ("GSTExemptionCode", line.gst_exemption),
        ("ExciseTaxCode", line.excise_code),
        ("SIMACode", line.sima),
    ):
        if value is not None:
            child(item, local, value)
    for amount in line.filer_amounts:
        _write_filer_amount(item, amount)


def _write_filer_amount(item: etree._Element, amount: FilerAmount) -> None:
    fee = child(item, "DutyTaxFee")
    child(fee, "TypeCode", amount.charge_type)
    # EDIFACT filer amounts (MOA+161) are always in Canadian dollars.
    child(child(fee, "Payment"), "TaxAssessedAmount", amount.amount, {"currencyID": amount.currency or "CAD"})
