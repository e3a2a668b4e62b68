"""validate_submission: file-level codes (S kept, A01, A03), and declarations judged each on its own."""

from __future__ import annotations

from pipeline.findings import Finding
from pipeline.parsers import ParseResult
from pipeline.validate import SubmissionVerdict, validate_submission
from tests.model_samples import SENDER, interchange, parse_result, valid_declaration, valid_line
from tests.validate_refdata import History, context, registry

SENDER_XPATH = "/DocumentMetaData/CommunicationMetaData/Sender/ID"
D1 = "/DocumentMetaData/Declaration[1]"
D2 = "/DocumentMetaData/Declaration[2]"


def codes(findings: tuple[Finding, ...] | list[Finding]) -> list[str]:
    return [f.code for f in findings]


def test_clean_xml_declaration_has_no_findings_and_is_accepted() -> None:
    verdict = validate_submission(parse_result(valid_declaration()), context(registry=registry(),
                                                                             sender_folder=SENDER))
    assert verdict.file_findings == ()
    assert [d.findings for d in verdict.declarations] == [()]
    assert verdict.accepted(verdict.declarations[0])


def test_clean_edifact_declaration_has_no_findings() -> None:
    declaration = valid_declaration(style="edifact")
    verdict = validate_submission(parse_result(declaration, style="edifact"), context(registry=registry()))
    assert verdict.file_findings == ()
    assert verdict.declarations[0].findings == ()
    assert verdict.declarations[0].declaration is declaration


def test_unreadable_file_keeps_the_reader_findings_and_has_no_declarations() -> None:
    s01 = Finding("S01", "file starts with 'hello': neither an EDIFACT interchange nor XML", "file")
    verdict = validate_submission(ParseResult(None, (s01,)), context())
    assert verdict == SubmissionVerdict(None, (s01,), ())
    assert verdict.file_rejected


def test_syntax_findings_are_kept_and_declarations_are_still_judged() -> None:
    s12 = Finding("S12", "segment FOO is unknown", "FOO#9", message_reference="1")
    result = ParseResult(interchange(valid_declaration(style="edifact", office="97"), style="edifact"), (s12,))
    verdict = validate_submission(result, context())
    assert verdict.file_findings == (s12,)
    assert verdict.file_rejected
    [b07] = verdict.declarations[0].findings
    assert (b07.code, b07.location) == ("B07", "LOC#6")
    assert not verdict.accepted(verdict.declarations[0])


def test_a01_sender_not_registered_rejects_the_file() -> None:
    result = parse_result(valid_declaration(), sender="SP99999")
    verdict = validate_submission(result, context(registry=registry()))
    [a01] = verdict.file_findings
    assert (a01.code, a01.location, a01.line) == ("A01", SENDER_XPATH, 0)
    assert '"SP99999"' in a01.message
    assert verdict.file_rejected
    # The unregistered sender is not, in addition, "not authorized" on every declaration.
    assert verdict.declarations[0].findings == ()


def test_a01_edifact_location_is_the_unb() -> None:
    result = parse_result(valid_declaration(style="edifact"), style="edifact", sender="SP99999")
    [a01] = validate_submission(result, context(registry=registry())).file_findings
    assert (a01.code, a01.location) == ("A01", "UNB#1")


def test_a01_and_a02_not_checked_without_a_registry() -> None:
    verdict = validate_submission(parse_result(valid_declaration(), sender="SP99999"), context())
    assert verdict.file_findings == ()
    assert verdict.declarations[0].findings == ()


def test_a03_sender_differs_from_the_folder() -> None:
    verdict = validate_submission(parse_result(valid_declaration()), context(sender_folder="SP00043"))
    [a03] = verdict.file_findings
    assert (a03.code, a03.location) == ("A03", SENDER_XPATH)
    assert '"SP00042"' in a03.message and '"SP00043"' in a03.message
    assert verdict.file_rejected
    assert not verdict.accepted(verdict.declarations[0])


def test_a03_not_checked_without_a_folder() -> None:
    verdict = validate_submission(parse_result(valid_declaration(), sender="ANYONE"), context())
    assert verdict.file_findings == ()


def test_every_error_of_a_declaration_is_reported() -> None:
    declaration = valid_declaration(
        office="97", export_country="ZZ", currency="USD", document_date="2025-05-04",
        lines=[valid_line(1, classification="95030010", treatment="99"), valid_line(2, quantity="0", value="-1")],
    )
    [verdict] = validate_submission(parse_result(declaration), context()).declarations
    assert sorted(codes(verdict.findings)) == ["B06", "B07", "B08", "B10", "B11", "B13", "B15"]
    by_code = {f.code: f for f in verdict.findings}
    assert by_code["B10"].line == 1 and by_code["B13"].line == 2 and by_code["B07"].line == 0
    assert all(f.message_reference == "1" for f in verdict.findings)


def test_two_declarations_are_judged_independently() -> None:
    good = valid_declaration(index=1)
    bad = valid_declaration(index=2, transaction_number="10207000220870", lines=[
        valid_line(1, classification="9503001099")])
    verdict = validate_submission(parse_result(good, bad), context())
    first, second = verdict.declarations
    assert first.findings == ()
    assert verdict.accepted(first)
    [b10] = second.findings
    assert b10.code == "B10"
    assert b10.location == f"{D2}/GoodsShipment/GovernmentAgencyGoodsItem[1]/Commodity/Classification/ID"
    assert b10.message_reference == "2"
    assert not verdict.accepted(second)


def test_declarations_are_judged_even_when_the_file_is_rejected() -> None:
    bad = valid_declaration(lines=[valid_line(1, origin="XX")])
    verdict = validate_submission(parse_result(bad), context(sender_folder="OTHER"))
    assert codes(verdict.file_findings) == ["A03"]
    assert codes(verdict.declarations[0].findings) == ["B08"]


def test_original_and_its_change_in_one_file_are_sequenced_in_file_order() -> None:
    original = valid_declaration(index=1)
    change = valid_declaration(index=2, function="4", version="2", change_reason="C01")
    verdict = validate_submission(parse_result(original, change), context(history=History()))
    assert [d.findings for d in verdict.declarations] == [(), ()]


def test_change_of_a_rejected_original_in_the_same_file_has_no_accepted_version() -> None:
    original = valid_declaration(index=1, office="97")
    change = valid_declaration(index=2, function="4", version="2", change_reason="C01")
    first, second = validate_submission(parse_result(original, change), context(history=History())).declarations
    assert codes(first.findings) == ["B07"]
    assert codes(second.findings) == ["B05"]


def test_nothing_counts_as_accepted_in_a_rejected_file() -> None:
    original = valid_declaration(index=1)
    change = valid_declaration(index=2, function="4", version="2", change_reason="C01")
    verdict = validate_submission(parse_result(original, change), context(history=History(), sender_folder="X"))
    assert codes(verdict.declarations[1].findings) == ["B05"]


def test_the_same_original_twice_in_one_file() -> None:
    verdict = validate_submission(parse_result(valid_declaration(index=1), valid_declaration(index=2)),
                                  context(history=History()))
    [b04] = verdict.declarations[1].findings
    assert (b04.code, b04.location) == ("B04", f"{D2}/VersionID")
    assert '"10207000002945"' in b04.message
