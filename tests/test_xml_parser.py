"""The XML CAD reader: values and XPaths of the model, and every way a file is refused (S08, S09, S10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.parsers import read_submission
from pipeline.parsers.xml import load_schema, parse_xml
from pipeline.parsers.xml_faults import parse_faults

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "xml"
D1 = "/DocumentMetaData/Declaration[1]"
D2 = "/DocumentMetaData/Declaration[2]"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def example_text() -> str:
    return fixture("spec-example.xml").decode("utf-8")


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def column_of(text: str, needle: str, occurrence: int = 0) -> int:
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    return at - text.rfind("\n", 0, at)


def only_finding(data: bytes):
    result = parse_xml(data)
    assert result.interchange is None
    assert len(result.findings) == 1, result.findings
    return result.findings[0]


# ------------------------------------------------------------------------------------------- reading values


def test_spec_example_is_read_with_every_value_and_its_xpath():
    result = read_submission(fixture("spec-example.xml"))
    assert result.findings == () and result.syntax_ok
    interchange = result.interchange
    assert (interchange.syntax, interchange.sender, interchange.control_reference, interchange.charset) == (
        "xml",
        "SP00042",
        "ICR000017",
        "UTF-8",
    )
    assert interchange.where["sender"] == "/DocumentMetaData/CommunicationMetaData/Sender/ID"
    (declaration,) = interchange.declarations
    assert (
        declaration.function,
        declaration.transaction_number,
        declaration.version,
        declaration.cad_type,
    ) == (
        "9",
        "10207000002945",
        "1",
        "AB",
    )
    assert (declaration.document_date, declaration.release_date, declaration.shipment_date) == (
        "2025-05-05",
        "2025-05-05",
        "2025-05-02",
    )
    assert (
        declaration.office,
        declaration.export_country,
        declaration.transport_mode,
        declaration.currency,
    ) == (
        "0497",
        "US",
        "2",
        "USD",
    )
    assert (declaration.cargo_control, declaration.invoice_number, declaration.change_reason) == (
        "ABCD1234567",
        "INV-1",
        "C01",
    )
    assert declaration.message_reference == "1" and declaration.declared_line_count is None
    assert declaration.location == D1
    assert declaration.where["office"] == f"{D1}/ReleaseLocation/ID"
    assert declaration.where["change_reason"] == f"{D1}/Amendment/ChangeReasonCode"
    assert declaration.where["currency"] == f"{D1}/GoodsShipment/Invoice/CurrencyCode"
    assert declaration.where["message_reference"] == D1
    assert (declaration.where["importer"], declaration.where["broker"], declaration.where["vendor"]) == (
        f"{D1}/Importer",
        f"{D1}/Agent",
        f"{D1}/GoodsShipment/Seller",
    )

    importer, broker, vendor = declaration.importer, declaration.broker, declaration.vendor
    assert (importer.role, importer.id, importer.name) == ("IM", "123456782RM0001", "Acme Imports Ltd")
    assert importer.where["id"] == f"{D1}/Importer/ID"
    assert (broker.role, broker.id, broker.name, broker.location) == (
        "CB",
        "864015219",
        "Border Brokers Inc",
        f"{D1}/Agent",
    )
    assert (vendor.role, vendor.name, vendor.street, vendor.city, vendor.postcode, vendor.country) == (
        "SE",
        "US Vendor Co",
        "1 Main St",
        "Buffalo",
        "14201",
        "US",
    )
    assert vendor.where["country"] == f"{D1}/GoodsShipment/Seller/Address/CountryCode"

    (line,) = declaration.lines
    item = f"{D1}/GoodsShipment/GovernmentAgencyGoodsItem[1]"
    assert (line.number, line.description, line.classification, line.origin, line.treatment) == (
        "1",
        "Tricycles",
        "9503001010",
        "CN",
        "2",
    )
    assert (line.quantity, line.unit, line.gross_weight, line.gross_weight_unit) == (
        "10",
        "NMB",
        "82.5",
        "KGM",
    )
    assert (line.value, line.value_currency, line.cargo_control) == ("1000.00", "USD", "ABCD7654321")
    assert (line.special_authority, line.gst_exemption, line.excise_code, line.sima) == (
        "24-25-GSTTPS",
        "G01",
        "AC",
        "S01",
    )
    (amount,) = line.filer_amounts
    assert (amount.charge_type, amount.amount, amount.currency, amount.location) == (
        "CUD",
        "110.40",
        "CAD",
        f"{item}/DutyTaxFee[1]",
    )
    assert line.location == item
    assert line.where["classification"] == f"{item}/Commodity/Classification/ID"
    assert line.where["unit"] == f"{item}/GoodsMeasure/TariffQuantity/@unitCode"
    assert line.where["value_currency"] == f"{item}/CustomsValuation/ChargeAmount/@currencyID"
    assert line.where["excise_code"] == f"{item}/ExciseTaxCode"


def test_positions_count_declarations_and_items_and_absent_options_stay_none():
    first, second = parse_xml(fixture("two-declarations.xml")).interchange.declarations
    assert (first.message_reference, second.message_reference) == ("1", "2")
    assert (first.broker, first.cargo_control, first.invoice_number, first.change_reason) == (
        None,
        None,
        None,
        None,
    )
    assert (first.vendor.street, first.vendor.country) == (None, None)
    assert set(first.vendor.where) == {"name"}
    assert "cargo_control" not in first.where and "invoice_number" not in first.where
    assert "broker" not in first.where and second.where["broker"] == f"{D2}/Agent"
    (clvs_line,) = first.lines
    assert clvs_line.cargo_control == "8000123456789" and clvs_line.gross_weight is None
    assert clvs_line.sima is None and clvs_line.filer_amounts == ()

    assert second.function == "4" and second.change_reason == "C01"
    assert (second.vendor.city, second.vendor.country, second.vendor.street) == ("Buffalo", "US", None)
    assert [line.number for line in second.lines] == ["1", "2", "3"]
    third = second.lines[2]
    assert third.where["classification"] == (
        f"{D2}/GoodsShipment/GovernmentAgencyGoodsItem[3]/Commodity/Classification/ID"
    )
    assert (third.excise_code, third.unit, third.quantity) == ("W1", "LTR", "90")
    wire = second.lines[1]
    assert [(a.charge_type, a.amount) for a in wire.filer_amounts] == [("CUD", "0.00"), ("ADD", "812.33")]
    assert wire.filer_amounts[1].location == f"{D2}/GoodsShipment/GovernmentAgencyGoodsItem[2]/DutyTaxFee[2]"
    assert (
        wire.where["gross_weight"]
        == f"{D2}/GoodsShipment/GovernmentAgencyGoodsItem[2]/GoodsMeasure/GrossMassMeasure"
    )
    assert "gross_weight" not in third.where


def test_business_faults_pass_the_schema_and_keep_the_senders_text():
    result = parse_xml(fixture("business-faults.xml"))
    assert result.findings == ()
    (declaration,) = result.interchange.declarations
    assert declaration.transaction_number == "1020700000294"  # 13 digits: B03 is validation's call
    assert (declaration.version, declaration.function) == ("0", "1")
    assert (declaration.document_date, declaration.release_date, declaration.shipment_date) == (
        "2025-13-45",
        "05/05/2025",
        "",
    )
    assert (declaration.office, declaration.export_country, declaration.currency) == ("ABCD", "XX", "US$")
    assert declaration.change_reason == "" and declaration.importer.id == "123456789RT0001"
    assert declaration.vendor.country == "USA"
    (line,) = declaration.lines
    assert (line.number, line.classification, line.origin, line.treatment) == ("7", "9503.00.10", "XX", "999")
    assert (line.quantity, line.unit, line.value, line.value_currency) == ("-3", "", "12,345", "usd")
    assert (line.special_authority, line.gst_exemption, line.excise_code, line.sima) == (
        "NOPE",
        "Z99",
        "??",
        "S999",
    )
    assert line.filer_amounts[0].amount == "ten"


def test_a_declaration_without_lines_is_left_to_validation():
    text = fixture("two-declarations.xml").decode()
    start = text.index("      <GovernmentAgencyGoodsItem>")
    end = text.index("</GovernmentAgencyGoodsItem>") + len("</GovernmentAgencyGoodsItem>\n")
    result = parse_xml((text[:start] + text[end:]).encode())
    assert result.findings == ()
    assert result.interchange.declarations[0].lines == ()
    assert result.interchange.declarations[0].where["lines"] == f"{D1}/GoodsShipment"


def test_codes_are_whitespace_collapsed_but_names_are_verbatim():
    text = example_text()
    text = text.replace("<ID>10207000002945</ID>", "<ID>\n      10207000002945\n    </ID>")
    text = text.replace('unitCode="NMB"', 'unitCode=" NMB "')
    text = text.replace("<Name>Acme Imports Ltd</Name>", "<Name>  Acme   Imports\tLtd </Name>")
    declaration = parse_xml(text.encode()).interchange.declarations[0]
    assert declaration.transaction_number == "10207000002945"
    assert declaration.lines[0].unit == "NMB"
    assert declaration.importer.name == "  Acme   Imports\tLtd "


def test_comments_and_processing_instructions_are_ignored():
    text = example_text().replace("<ID>0497</ID>", "<!-- office --><?note x?><ID>0497</ID>")
    assert parse_xml(text.encode()).interchange.declarations[0].office == "0497"


def test_a_warning_from_the_parser_does_not_refuse_a_valid_file():
    text = example_text().replace("<WCODataModelVersionCode>", '<WCODataModelVersionCode xmlns:p="relative">', 1)
    result = parse_xml(text.encode())
    assert result.findings == () and result.interchange.declarations[0].office == "0497"


# ------------------------------------------------------------------------------------------- refusals


def test_not_well_formed_is_s09_with_the_parsers_line_and_column():
    text = example_text().replace("<ID>0497</ID>", "<ID>0497</Id>")
    finding = only_finding(text.encode())
    assert finding.code == "S09"
    assert "mismatch" in finding.message and "ID" in finding.message
    line, column = finding.location.removeprefix("line ").split(", column ")
    assert int(line) == line_of(text, "</Id>") and int(column) > 0


def test_truncated_file_is_s09():
    finding = only_finding(fixture("spec-example.xml")[:-40])
    assert finding.code == "S09" and finding.location.startswith("line ")


def test_billion_laughs_is_refused_unexpanded():
    finding = only_finding(fixture("billion-laughs.xml"))
    assert finding.code == "S10"
    assert "DOCTYPE" in finding.message
    assert finding.location == "line 2, column 1"


def test_external_entities_are_refused_unread():
    finding = only_finding(fixture("external-entity.xml"))
    assert finding.code == "S10" and "DOCTYPE" in finding.message
    assert finding.location == "line 3, column 1"
    assert "root:" not in finding.message


def test_doctype_after_a_byte_order_mark_and_xml_declaration_is_refused():
    data = b'\xef\xbb\xbf<?xml version="1.0"?>\n<!DOCTYPE a SYSTEM "http://127.0.0.1:9/a.dtd">\n<a/>'
    finding = only_finding(data)
    assert (finding.code, finding.location) == ("S10", "line 2, column 1")


@pytest.mark.parametrize("name", ["billion-laughs.xml", "external-entity.xml"])
def test_past_the_doctype_gate_the_parser_still_refuses_a_dtd_without_expanding_it(name):
    findings = parse_faults(fixture(name), load_schema())
    assert findings and {f.code for f in findings} <= {"S09", "S10"}
    assert all("root:" not in f.message and "lol" * 10 not in f.message for f in findings)


def test_xinclude_is_s10_and_never_processed():
    finding = only_finding(fixture("xinclude.xml"))
    assert finding.code == "S10"
    assert finding.message == "XInclude is not allowed: element /DocumentMetaData/xi:include"
    assert finding.location == "line 12, column 3"


def test_wrong_function_code_is_s10_with_line_column_and_value():
    text = example_text().replace("<FunctionCode>9</FunctionCode>", "<FunctionCode>5</FunctionCode>")
    finding = only_finding(text.encode())
    assert finding.code == "S10"
    assert "FunctionCode" in finding.message and "'5'" in finding.message
    assert f"(at {D1}/FunctionCode)" in finding.message
    assert finding.location == f"line {line_of(text, '<FunctionCode>')}, column 5"


def test_missing_mandatory_element_is_s10():
    text = example_text().replace("    <ReleaseLocation><ID>0497</ID></ReleaseLocation>\n", "")
    finding = only_finding(text.encode())
    assert finding.code == "S10"
    assert "Status" in finding.message and "ReleaseLocation" in finding.message
    assert finding.location == f"line {line_of(text, '<Status>')}, column 5"


def test_element_out_of_order_is_s10():
    text = example_text().replace(
        "<ID>10207000002945</ID>\n    <VersionID>1</VersionID>",
        "<VersionID>1</VersionID>\n    <ID>10207000002945</ID>",
    )
    finding = only_finding(text.encode())
    assert finding.code == "S10" and "VersionID" in finding.message and "not expected" in finding.message
    assert finding.location == f"line {line_of(text, '<VersionID>')}, column 5"


def test_every_schema_error_is_reported_with_its_own_place():
    text = example_text()
    text = text.replace("<FunctionCode>9</FunctionCode>", "<FunctionCode>5</FunctionCode>")
    text = text.replace("\n    <Agent>", "<Agent>")  # Importer and Agent on one line: two <Name> tags there
    text = text.replace("<Name>Border Brokers Inc</Name>", "<Name> </Name>")
    text = text.replace('<GrossMassMeasure unitCode="KGM">', "<GrossMassMeasure>")
    text = text.replace("<TypeCode>CUD</TypeCode>", "<TypeCode>VAT</TypeCode>")
    result = parse_xml(text.encode())
    assert result.interchange is None and [f.code for f in result.findings] == ["S10"] * 4
    function, name, gross, fee = result.findings
    assert "'5'" in function.message
    assert f"{D1}/Agent/Name" in name.message
    assert name.location == f"line {line_of(text, '<Agent>')}, column {column_of(text, '<Name>', 1)}"
    assert "unitCode" in gross.message
    assert gross.location == f"line {line_of(text, '<GrossMassMeasure>')}, column 11"
    assert "'VAT'" in fee.message
    assert f"{D1}/GoodsShipment/GovernmentAgencyGoodsItem[1]/DutyTaxFee[1]/TypeCode" in fee.message


def test_faults_reported_at_an_end_tag_or_on_an_attribute_name_their_own_element():
    text = example_text().replace("<Name>Acme Imports Ltd</Name>", "")
    text = text.replace("<TariffTreatmentCode>2</TariffTreatmentCode>", "")
    text = text.replace("<ID>US</ID>", '<ID a="1">US</ID>')
    importer, country, measure = parse_xml(text.encode()).findings
    assert "Missing child" in importer.message and f"(at {D1}/Importer)" in importer.message
    assert importer.location == f"line {line_of(text, '<Importer>')}, column 5"
    assert "attribute 'a'" in country.message and f"(at {D1}/GoodsShipment/ExportCountry/ID)" in country.message
    assert country.location == f"line {line_of(text, '<ID a=')}, column {column_of(text, '<ID a=')}"
    item = f"{D1}/GoodsShipment/GovernmentAgencyGoodsItem[1]"
    assert "TariffTreatmentCode" in measure.message and f"(at {item}/GoodsMeasure)" in measure.message
    assert measure.location == f"line {line_of(text, '<GoodsMeasure>')}, column 9"


def test_fixed_header_values_are_enforced():
    text = example_text().replace("<FunctionalDefinition>CAD-IN<", "<FunctionalDefinition>CAD-OUT<")
    finding = only_finding(text.encode())
    assert finding.code == "S10" and "CAD-IN" in finding.message


def test_other_namespace_is_s10():
    text = example_text().replace("urn:wco:datamodel:WCO:Declaration:1", "urn:wco:datamodel:WCO:DEC-DMS:2")
    assert only_finding(text.encode()).code == "S10"


def test_invalid_utf8_is_s08_at_the_bad_byte():
    text = example_text()
    data = text.encode().replace(b"Tricycles", b"Tricycl\xe9s")
    finding = only_finding(data)
    assert finding.code == "S08" and "e9" in finding.message
    assert finding.location == f"line {line_of(text, 'Tricycles')}, column {column_of(text, 'Tricycles') + 7}"


def test_valid_utf8_text_is_read():
    text = example_text().replace("US Vendor Co", "Société Générale — 東京")
    assert parse_xml(text.encode()).interchange.declarations[0].vendor.name == "Société Générale — 東京"


def test_an_encoding_other_than_utf8_is_s08():
    text = example_text().replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    finding = only_finding(text.encode())
    assert finding.code == "S08" and "ISO-8859-1" in finding.message


def test_utf16_is_s08():
    assert only_finding(example_text().encode("utf-16")).code == "S08"
