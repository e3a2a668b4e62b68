"""The XML answer: valid against schemas/cad-response.xsd for every outcome, and saying what spec/cad-xml.md says."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from pipeline.answers import DeclarationOutcome, FileOutcome, amounts_from_engine, xml_response
from pipeline.findings import Finding
from pipeline.parsers.xml import load_schema, parse_xml
from pipeline.writers.xml import NS
from tests.model_samples import interchange, valid_declaration, valid_line

EASTERN_STANDARD = timezone(timedelta(hours=-5))
ISSUED = datetime(2026, 11, 20, 9, 31, 2, 345000, tzinfo=EASTERN_STANDARD)
LINE_1 = {"customs_duty": 9200, "surtax": 0, "sima": 0, "excise_duty": 0, "excise_tax": 0, "vft": 124200,
          "gst": 6210, "total": 15410}
LINE_2 = {"customs_duty": 0, "surtax": 0, "sima": 0, "excise_duty": 0, "excise_tax": 0, "vft": 8000,
          "gst": 400, "total": 400}
SCHEMA = load_schema("cad-response.xsd")
N = {"c": NS}


def answer(outcome: FileOutcome) -> etree._Element:
    data = xml_response(outcome, issued_at=ISSUED)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(data)
    SCHEMA.assertValid(root)
    return root


def texts(root: etree._Element, path: str) -> list[str]:
    return [element.text for element in root.xpath(path, namespaces=N)]


def xml_file(*outcomes: DeclarationOutcome, findings: tuple[Finding, ...] = ()) -> FileOutcome:
    return FileOutcome("cad.xml", "SP00042", "xml", interchange(*(o.declaration for o in outcomes)), findings,
                       outcomes)


def accepted_outcome(index: int = 1, warnings: tuple[Finding, ...] = ()) -> DeclarationOutcome:
    declaration = valid_declaration(index=index, lines=(valid_line(1), valid_line(2, value="80.00")))
    totals = {name: LINE_1[name] + LINE_2[name] for name in LINE_1}
    return DeclarationOutcome(declaration, "AC", warnings,
                              line_amounts={1: amounts_from_engine(LINE_1), 2: amounts_from_engine(LINE_2)},
                              totals=amounts_from_engine(totals))


def test_an_accepted_declaration_gets_its_amounts_per_line_and_in_total():
    w01 = Finding("W01", "line 1: declared customs duty 110.40 differs from the assessed 92.00",
                  "/DocumentMetaData/Declaration[1]/GoodsShipment/GovernmentAgencyGoodsItem[1]/DutyTaxFee[1]", line=1)
    root = answer(xml_file(accepted_outcome(warnings=(w01,))))
    assert texts(root, "c:FunctionalDefinition") == ["CAD-OUT"]
    assert texts(root, "c:CommunicationMetaData/c:ApplicationReferenceID") == ["ICR000017"]
    assert texts(root, "c:CommunicationMetaData/c:Sender/c:ID") == ["SP00042"]
    [response] = root.xpath("c:Response", namespaces=N)
    assert texts(response, "c:FunctionCode | c:DeclarationID | c:VersionID | c:IssueDateTime") == [
        "AC", "10207000002945", "1", "2026-11-20T09:31:02-05:00"]
    assert texts(response, "c:Error/c:ValidationCode") == ["W01"]
    assert texts(response, "c:Error/c:Pointer/c:Location") == [w01.location]
    assert texts(response, "c:GoodsItem/c:SequenceNumeric") == ["1", "2"]
    first = response.xpath("c:GoodsItem[1]/c:DutyTaxFee", namespaces=N)
    assert [(texts(f, "c:TypeCode")[0], texts(f, "c:TaxAssessedAmount")[0]) for f in first] == [
        ("CUD", "92.00"), ("SUR", "0.00"), ("ADD", "0.00"), ("EXD", "0.00"), ("EXT", "0.00"), ("VFT", "1242.00"),
        ("GST", "62.10"), ("TOT", "154.10")]
    totals = response.xpath("c:DutyTaxFee", namespaces=N)
    assert {texts(f, "c:TypeCode")[0]: texts(f, "c:TaxAssessedAmount")[0] for f in totals}["TOT"] == "158.10"
    assert set(root.xpath("//c:TaxAssessedAmount/@currencyID", namespaces=N)) == {"CAD"}


def test_a_rejected_declaration_lists_every_error_with_its_xpath_and_no_amounts():
    errors = (
        Finding("B10", "classification number '9999999999' is not in the tariff in force on 2025-05-05",
                "/DocumentMetaData/Declaration[2]/GoodsShipment/GovernmentAgencyGoodsItem[3]/Commodity/Classification/ID",
                line=3),
        Finding("B08", "country code 'XX' is not an ISO 3166-1 alpha-2 code",
                "/DocumentMetaData/Declaration[2]/GoodsShipment/GovernmentAgencyGoodsItem[1]/Origin/CountryCode",
                line=1),
    )
    rejected = DeclarationOutcome(valid_declaration(index=2, transaction_number="10207000002956"), "RE", errors)
    root = answer(xml_file(accepted_outcome(), rejected))
    second = root.xpath("c:Response[2]", namespaces=N)[0]
    assert texts(second, "c:FunctionCode | c:DeclarationID") == ["RE", "10207000002956"]
    assert texts(second, "c:Error/c:ValidationCode") == ["B10", "B08"]
    assert texts(second, "c:Error/c:Description") == [e.message for e in errors]
    assert texts(second, "c:Error/c:Pointer/c:Location") == [e.location for e in errors]
    assert second.xpath("c:GoodsItem | c:DutyTaxFee", namespaces=N) == []


def test_a_duplicate_says_du():
    root = answer(xml_file(DeclarationOutcome(valid_declaration(), "DU")))
    [response] = root.xpath("c:Response", namespaces=N)
    assert [etree.QName(e).localname for e in response] == ["FunctionCode", "DeclarationID", "VersionID",
                                                             "IssueDateTime"]
    assert texts(response, "c:FunctionCode") == ["DU"]


def test_a_file_that_is_not_well_formed_gets_one_rejection_with_line_and_column():
    result = parse_xml(b'<?xml version="1.0"?>\n<DocumentMetaData xmlns="urn:wco:datamodel:WCO:Declaration:1">\n'
                       b"  <oops>\n</DocumentMetaData>\n")
    assert result.interchange is None and [f.code for f in result.findings] == ["S09"]
    root = answer(FileOutcome("broken.xml", "SP00042", "xml", None, result.findings, ()))
    assert root.xpath("c:CommunicationMetaData", namespaces=N) == []
    [response] = root.xpath("c:Response", namespaces=N)
    assert texts(response, "c:FunctionCode") == ["RE"]
    assert response.xpath("c:DeclarationID", namespaces=N) == []
    assert texts(response, "c:Error/c:ValidationCode") == ["S09"]
    assert texts(response, "c:Error/c:Pointer/c:Location") == [result.findings[0].location]
    assert result.findings[0].location.startswith("line 4, column ")


def test_a_file_that_fails_the_schema_gets_its_s10_errors():
    result = parse_xml(b'<DocumentMetaData xmlns="urn:wco:datamodel:WCO:Declaration:1"><Nonsense/>'
                       b"</DocumentMetaData>")
    assert {f.code for f in result.findings} == {"S10"}
    root = answer(FileOutcome("bad.xml", "SP00042", "xml", result.interchange, result.findings, ()))
    assert set(texts(root, "c:Response/c:Error/c:ValidationCode")) == {"S10"}


def test_a_readable_file_rejected_at_file_level_rejects_each_declaration_with_the_file_errors_first():
    a03 = Finding("A03", 'sender "SP00042" in the file differs from the sender folder "SP00099"',
                  "/DocumentMetaData/CommunicationMetaData/Sender/ID")
    b07 = Finding("B07", "office of release '9999' is not a CBSA office",
                  "/DocumentMetaData/Declaration[2]/ReleaseLocation/ID")
    outcomes = (DeclarationOutcome(valid_declaration(index=1), "RE"),
                DeclarationOutcome(valid_declaration(index=2, transaction_number="10207000002956"), "RE", (b07,)))
    root = answer(xml_file(*outcomes, findings=(a03,)))
    responses = root.xpath("c:Response", namespaces=N)
    assert [texts(r, "c:FunctionCode")[0] for r in responses] == ["RE", "RE"]
    assert [texts(r, "c:DeclarationID")[0] for r in responses] == ["10207000002945", "10207000002956"]
    assert [texts(r, "c:Error/c:ValidationCode") for r in responses] == [["A03"], ["A03", "B07"]]


def test_characters_xml_cannot_carry_are_replaced():
    finding = Finding("B15", "value '1\x0b00' is not a number", "/DocumentMetaData/Declaration[1]", line=1)
    root = answer(xml_file(DeclarationOutcome(valid_declaration(), "RE", (finding,))))
    assert texts(root, "c:Response/c:Error/c:Description") == ["value '1\ufffd00' is not a number"]


def test_a_real_two_declaration_file_is_answered_in_order():
    result = parse_xml((Path(__file__).resolve().parent.parent / "fixtures/xml/two-declarations.xml").read_bytes())
    assert result.syntax_ok
    declarations = result.interchange.declarations
    outcomes = (DeclarationOutcome(declarations[0], "DU"),
                DeclarationOutcome(declarations[1], "RE", (Finding("B04", "version 2 is not the next version",
                                                                   declarations[1].where["version"]),)))
    root = answer(FileOutcome("two.xml", "SP00042", "xml", result.interchange, (), outcomes))
    assert texts(root, "c:Response/c:DeclarationID") == [d.transaction_number for d in declarations]
    assert texts(root, "c:Response/c:FunctionCode") == ["DU", "RE"]
    assert texts(root, "c:CommunicationMetaData/c:ApplicationReferenceID") == [result.interchange.control_reference]


def test_the_issue_time_must_carry_its_offset():
    with pytest.raises(ValueError, match="time zone"):
        xml_response(xml_file(DeclarationOutcome(valid_declaration(), "DU")), issued_at=datetime(2026, 11, 20))


def tree_built_answer(outcome: FileOutcome) -> bytes:
    """The obvious way to write the answer of accepted declarations: every element built with lxml and
    serialised (``xml_response`` writes the amounts as text; it must write the same bytes)."""
    from pipeline.model import ANSWER_CHARGE_TYPES
    from pipeline.money import format_cents
    from pipeline.writers.xml import CAD_OUT, child, new_document, serialize

    def fees(parent: etree._Element, amounts: dict[str, int]) -> None:
        for charge in ANSWER_CHARGE_TYPES:
            if charge in amounts:
                fee = child(parent, "DutyTaxFee")
                child(fee, "TypeCode", charge)
                child(fee, "TaxAssessedAmount", format_cents(amounts[charge]), {"currencyID": "CAD"})

    root = new_document(CAD_OUT)
    communication = child(root, "CommunicationMetaData")
    child(communication, "ApplicationReferenceID", outcome.interchange.control_reference)
    child(child(communication, "Sender"), "ID", outcome.interchange.sender)
    for declaration in outcome.declarations:
        response = child(root, "Response")
        child(response, "FunctionCode", declaration.status)
        child(response, "DeclarationID", declaration.declaration.transaction_number)
        child(response, "VersionID", declaration.declaration.version)
        child(response, "IssueDateTime", ISSUED.isoformat(timespec="seconds"))
        for finding in declaration.findings:
            error = child(response, "Error")
            child(error, "ValidationCode", finding.code)
            child(error, "Description", finding.message)
            if finding.location:
                child(child(error, "Pointer"), "Location", finding.location)
        if declaration.status == "AC":
            for line, amounts in sorted(declaration.line_amounts.items()):
                item = child(response, "GoodsItem")
                child(item, "SequenceNumeric", str(line))
                fees(item, amounts)
            fees(response, declaration.totals)
    return serialize(root)


cents = st.integers(min_value=-(10**15), max_value=10**15)
charge_amounts = st.fixed_dictionaries({name: cents for name in LINE_1})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.lists(charge_amounts, max_size=4), st.booleans()), min_size=1, max_size=4))
def test_amounts_written_as_text_are_the_bytes_lxml_would_write(declarations: list) -> None:
    outcomes = []
    for index, (accepted, lines, warned) in enumerate(declarations, 1):
        declaration = valid_declaration(index=index, lines=tuple(valid_line(n) for n in range(1, len(lines) + 1)))
        findings = (Finding("W01", "a <warning> & more", "/a/b[1]", line=1),) if warned else ()
        totals = {name: sum(line[name] for line in lines) for name in LINE_1}
        if accepted:
            outcomes.append(DeclarationOutcome(
                declaration, "AC", findings, line_amounts={n: amounts_from_engine(line) for n, line in enumerate(lines, 1)},
                totals=amounts_from_engine(totals)))
        else:
            outcomes.append(DeclarationOutcome(declaration, "RE", findings))
    outcome = xml_file(*outcomes)
    assert xml_response(outcome, issued_at=ISSUED) == tree_built_answer(outcome)
