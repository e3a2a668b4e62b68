"""The XML CAD writer: documents valid against cad.xsd that read back to the same values."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from pipeline.model import Declaration, FilerAmount, Interchange, Line, Party
from pipeline.parsers.xml import load_schema, parse_xml
from pipeline.writers.xml import NS, child, new_document, serialize, tag, write_interchange

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "xml"
PLACES = {"location", "where"}


def values(record):
    """A record's values, recursively, without the places the reader adds."""
    if is_dataclass(record):
        return {f.name: values(getattr(record, f.name)) for f in fields(record) if f.name not in PLACES}
    if isinstance(record, tuple):
        return tuple(values(item) for item in record)
    return record


def line(number: str, **changes) -> Line:
    base = Line(
        number=number,
        classification="9503001010",
        treatment="2",
        description="Tricycles",
        origin="CN",
        unit="NMB",
        quantity="10",
        value="1000.00",
        value_currency="USD",
    )
    return replace(base, **changes)


def declaration(**changes) -> Declaration:
    base = Declaration(
        function="9",
        transaction_number="10207000002945",
        version="1",
        cad_type="AB",
        document_date="2025-05-05",
        release_date="2025-05-05",
        shipment_date="2025-05-02",
        office="0497",
        export_country="US",
        importer=Party(role="IM", id="123456782RM0001", name="Acme Imports Ltd"),
        vendor=Party(role="SE", name="US Vendor Co", country="US"),
        transport_mode="2",
        currency="USD",
        lines=(line("1"),),
        message_reference="1",
    )
    return replace(base, **changes)


def interchange(*declarations: Declaration) -> Interchange:
    return Interchange(
        syntax="xml",
        sender="SP00042",
        control_reference="ICR000017",
        declarations=declarations,
        charset="UTF-8",
    )


def read_back(model: Interchange) -> Interchange:
    data = write_interchange(model)
    schema = load_schema()
    assert schema.validate(etree.fromstring(data).getroottree()), schema.error_log
    result = parse_xml(data)
    assert result.findings == ()
    return result.interchange


def test_model_to_xml_to_model_keeps_every_value():
    full = declaration(
        function="4",
        version="2",
        change_reason="C01",
        cargo_control="ABCD1234567",
        invoice_number="INV-1",
        broker=Party(role="CB", id="864015219", name="Border Brokers Inc"),
        vendor=Party(
            role="SE", name="US Vendor Co", street="1 Main St", city="Buffalo", postcode="14201", country="US"
        ),
        lines=(
            line(
                "1",
                gross_weight="82.5",
                gross_weight_unit="KGM",
                cargo_control="ABCD7654321",
                special_authority="24-25-GSTTPS",
                gst_exemption="G01",
                excise_code="AC",
                sima="S01",
                filer_amounts=(
                    FilerAmount("CUD", "110.40", "", "CAD"),
                    FilerAmount("GST", "62.10", "", "CAD"),
                ),
            ),
            line("2", classification="7217100000", unit="KGM", quantity="500", value="2300.10"),
        ),
    )
    minimal = declaration(
        transaction_number="10207000003011",
        cad_type="C",
        vendor=Party(role="SE", name="Little Shop Ltd"),
        message_reference="2",
    )
    model = interchange(full, minimal)
    assert values(read_back(model)) == values(model)


def test_parsed_document_written_and_read_again_is_identical_with_its_places():
    parsed = parse_xml((FIXTURES / "two-declarations.xml").read_bytes()).interchange
    assert read_back(parsed) == parsed


def test_edifact_style_values_take_the_invoice_currency_and_cad():
    # EDIFACT lines carry no currency of their own and filer amounts are always in Canadian dollars.
    model = interchange(
        declaration(
            lines=(line("1", value_currency=None, filer_amounts=(FilerAmount("CUD", "92.00", "TAX#12"),)),)
        )
    )
    (read,) = read_back(model).declarations
    assert read.lines[0].value_currency == "USD"
    assert read.lines[0].filer_amounts[0].currency == "CAD"


def test_business_faults_are_written_as_given():
    model = interchange(
        declaration(document_date="2025-13-45", export_country="XX", lines=(line("7", value="-1"),))
    )
    (read,) = read_back(model).declarations
    assert (read.document_date, read.export_country, read.lines[0].value) == ("2025-13-45", "XX", "-1")


def test_output_is_utf8_with_a_declaration_and_one_element_per_line():
    data = write_interchange(interchange(declaration(vendor=Party(role="SE", name="Société", country="FR"))))
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<DocumentMetaData")
    assert "Société".encode() in data
    assert b"\n    <FunctionCode>9</FunctionCode>\n" in data


def test_builders_make_documents_of_this_namespace():
    root = new_document("CAD-OUT")
    child(root, "Response")
    text = serialize(root).decode()
    assert f'<DocumentMetaData xmlns="{NS}">' in text
    assert "<FunctionalDefinition>CAD-OUT</FunctionalDefinition>" in text
    assert root[-1].tag == tag("Response") == f"{{{NS}}}Response"
    amount = child(root, "TaxAssessedAmount", "1.00", {"currencyID": "CAD"})
    assert (amount.text, amount.get("currencyID")) == ("1.00", "CAD")


# Any text XML 1.0 can carry (its Char production), markup characters and non-ASCII included.
XML_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("<>&\"' \t\r\n]]>éß東€😀"),
        st.characters(min_codepoint=0x20, max_codepoint=0xFFFD, exclude_categories=("Cs",)),
    ),
    max_size=40,
)
NAME_TEXT = XML_TEXT.filter(lambda text: text.strip(" \t\r\n") != "")  # the schema wants a non-blank name


@settings(max_examples=80, deadline=None)
@given(
    importer=NAME_TEXT,
    vendor=NAME_TEXT,
    description=NAME_TEXT,
    street=XML_TEXT,
    city=XML_TEXT,
    postcode=XML_TEXT,
)
def test_any_text_in_names_and_descriptions_survives_write_then_read(
    importer, vendor, description, street, city, postcode
):
    model = interchange(
        declaration(
            importer=Party(role="IM", id="123456782RM0001", name=importer),
            vendor=Party(role="SE", name=vendor, street=street, city=city, postcode=postcode, country="US"),
            lines=(line("1", description=description),),
        )
    )
    (read,) = parse_xml(write_interchange(model)).interchange.declarations
    assert read.importer.name == importer
    assert (read.vendor.name, read.vendor.street, read.vendor.city, read.vendor.postcode) == (
        vendor,
        street,
        city,
        postcode,
    )
    assert read.lines[0].description == description
