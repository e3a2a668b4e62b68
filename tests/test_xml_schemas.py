"""The two XML Schemas: cad.xsd enforces structure and syntax codes only; cad-response.xsd describes the answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from pipeline.parsers.xml import load_schema, parse_xml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "xml"


def example_text() -> str:
    return (FIXTURES / "spec-example.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("original", "replacement", "named"),
    [
        ("<TypeCode>AB</TypeCode>", "<TypeCode>B3</TypeCode>", "TypeCode"),
        ("<ModeCode>2</ModeCode>", "<ModeCode>3</ModeCode>", "ModeCode"),
        ("<RoleCode>CB</RoleCode>", "<RoleCode>IM</RoleCode>", "RoleCode"),
        ("<IdentificationTypeCode>TSP<", "<IdentificationTypeCode>HS<", "IdentificationTypeCode"),
        ("<TypeCode>CUD</TypeCode>", "<TypeCode>VFT</TypeCode>", "TypeCode"),  # VFT and TOT are answer-only
        ("<WCODataModelVersionCode>3.6<", "<WCODataModelVersionCode>3.7<", "WCODataModelVersionCode"),
        ("<ApplicationReferenceID>ICR000017<", "<ApplicationReferenceID> <", "ApplicationReferenceID"),
        ("<Name>US Vendor Co</Name>", "<Name>\n  </Name>", "Name"),
        ("<Description>Tricycles</Description>", "", "Description"),
    ],
)
def test_structure_and_syntax_codes_are_the_schemas_s10(original, replacement, named):
    text = example_text()
    assert original in text
    result = parse_xml(text.replace(original, replacement, 1).encode())
    assert result.interchange is None
    assert [f.code for f in result.findings] == ["S10"]
    assert named in result.findings[0].message


@pytest.mark.parametrize(
    ("original", "replacement"),
    [
        ("<IssueDateTime>2025-05-05<", "<IssueDateTime>yesterday<"),  # B06
        ("<ReleaseLocation><ID>0497<", "<ReleaseLocation><ID>9<"),  # B07
        ("<Origin><CountryCode>CN<", "<Origin><CountryCode>China<"),  # B08
        ("<CurrencyCode>USD<", "<CurrencyCode><"),  # B09
        ("<ID>9503001010<", "<ID>9503<"),  # B10
        ("<TariffTreatmentCode>2<", "<TariffTreatmentCode>MFN<"),  # B11
        ('unitCode="NMB">10<', 'unitCode="">ten<'),  # B13
        ('currencyID="USD">1000.00<', 'currencyID="USD">1 000,00<'),  # B15
        ("<SequenceNumeric>1<", "<SequenceNumeric>0001<"),  # B20
        ("<ID>123456782RM0001<", "<ID>123<"),  # B01
        ("<VersionID>1<", "<VersionID>one<"),  # B04
    ],
)
def test_business_values_are_not_judged_by_the_schema(original, replacement):
    text = example_text()
    assert original in text
    result = parse_xml(text.replace(original, replacement, 1).encode())
    assert result.findings == ()
    assert result.interchange is not None


def test_lines_are_not_bounded_by_the_schema():
    # More than 999 lines is B20, judged per declaration: the schema lets them through.
    text = example_text()
    start = text.index("      <GovernmentAgencyGoodsItem>")
    end = text.index("</GovernmentAgencyGoodsItem>") + len("</GovernmentAgencyGoodsItem>\n")
    many = text[:start] + text[start:end] * 1000 + text[end:]
    result = parse_xml(many.encode())
    assert result.findings == () and len(result.interchange.declarations[0].lines) == 1000


def test_response_schema_accepts_the_sample_answer_with_ac_re_and_du():
    schema = load_schema("cad-response.xsd")
    document = etree.parse(str(FIXTURES / "sample-response.xml"))
    assert schema.validate(document), schema.error_log
    ns = {"w": "urn:wco:datamodel:WCO:Declaration:1"}
    assert document.xpath("//w:Response/w:FunctionCode/text()", namespaces=ns) == ["AC", "RE", "DU"]


FILE_REJECTION = """<?xml version="1.0" encoding="UTF-8"?>
<DocumentMetaData xmlns="urn:wco:datamodel:WCO:Declaration:1">
  <WCODataModelVersionCode>3.6</WCODataModelVersionCode>
  <ResponsibleAgencyName>CBSA</ResponsibleAgencyName>
  <AgencyAssignedCustomizationCode>CAD</AgencyAssignedCustomizationCode>
  <AgencyAssignedCustomizationVersionCode>001</AgencyAssignedCustomizationVersionCode>
  <FunctionalDefinition>CAD-OUT</FunctionalDefinition>
  <CommunicationMetaData><Sender><ID>SP00042</ID></Sender></CommunicationMetaData>
  <Response>
    <FunctionCode>RE</FunctionCode>
    <IssueDateTime>2026-11-20T09:31:02-05:00</IssueDateTime>
    <Error>
      <ValidationCode>S09</ValidationCode>
      <Description>XML not well-formed: Opening and ending tag mismatch: ID line 19 and Id</Description>
      <Pointer><Location>line 19, column 30</Location></Pointer>
    </Error>
  </Response>
</DocumentMetaData>
"""


def test_response_schema_accepts_a_file_rejection_without_declaration():
    schema = load_schema("cad-response.xsd")
    assert schema.validate(etree.fromstring(FILE_REJECTION.encode()).getroottree()), schema.error_log


@pytest.mark.parametrize(
    ("original", "replacement"),
    [
        ("<FunctionCode>RE<", "<FunctionCode>OK<"),
        ("<ValidationCode>S09<", "<ValidationCode>E09<"),
        ("<FunctionalDefinition>CAD-OUT<", "<FunctionalDefinition>CAD-IN<"),
        ("<IssueDateTime>2026-11-20T09:31:02-05:00<", "<IssueDateTime>2026-11-20<"),
        (
            "</Error>",
            '</Error><DutyTaxFee><TypeCode>TOT</TypeCode><TaxAssessedAmount currencyID="USD">1.00</TaxAssessedAmount></DutyTaxFee>',
        ),
        (
            "</Error>",
            '</Error><DutyTaxFee><TypeCode>TOT</TypeCode><TaxAssessedAmount currencyID="CAD">1.5</TaxAssessedAmount></DutyTaxFee>',
        ),
        (
            "</Error>",
            '</Error><DutyTaxFee><TypeCode>DUT</TypeCode><TaxAssessedAmount currencyID="CAD">1.50</TaxAssessedAmount></DutyTaxFee>',
        ),
    ],
)
def test_response_schema_rejects_malformed_answers(original, replacement):
    schema = load_schema("cad-response.xsd")
    assert original in FILE_REJECTION
    document = etree.fromstring(FILE_REJECTION.replace(original, replacement).encode()).getroottree()
    assert not schema.validate(document)


def test_response_schema_accepts_amounts_in_cad_with_two_decimals():
    schema = load_schema("cad-response.xsd")
    text = FILE_REJECTION.replace(
        "</Error>",
        '</Error><DutyTaxFee><TypeCode>TOT</TypeCode><TaxAssessedAmount currencyID="CAD">-12.30</TaxAssessedAmount></DutyTaxFee>',
    )
    assert schema.validate(etree.fromstring(text.encode()).getroottree()), schema.error_log
