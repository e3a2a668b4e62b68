"""The CONTRL: one per EDIFACT file, action 7 or 4, and UCI/UCM/UCS/UCD pointing where the reader found fault.

Faulty files are the clean fixture with one change, read by the real reader. Positions in its first message:
UNH 1, BGM 2, DTM 3-5, LOC 6-7, RFF 8, NAD 9-10, TDT 11, CUX 12, UNS 13, CST 14, FTX 15, LOC 16, MEA 17-18,
MOA 19, UNS 20, CNT 21, UNT 22.
"""

from __future__ import annotations

import pytest

from pipeline.answers import FileOutcome, contrl, syntax_error_code
from pipeline.findings import Finding
from pipeline.parsers.edifact import parse_edifact
from tests.model_samples import interchange as xml_interchange
from tests.test_answers_support import (
    ANSWER_REFERENCE,
    PREPARED,
    assert_counts_match,
    clean_text,
    fixture_outcome,
    parsed_outcome,
    pydifact_interchange,
    read_segments,
    with_tag,
)


def answer(outcome: FileOutcome) -> bytes:
    return contrl(outcome, control_reference=ANSWER_REFERENCE, prepared_at=PREPARED)


def faulty(old: str, new: str, **changes: object) -> FileOutcome:
    text = clean_text()
    assert old in text
    return parsed_outcome(text.replace(old, new, 1).encode("latin-1"), **changes)  # type: ignore[arg-type]


def response_segments(data: bytes) -> list[tuple[str, list[list[str]]]]:
    return [(tag, elements) for tag, elements in read_segments(data) if tag.startswith("UC")]


# -- envelope ------------------------------------------------------------------------------------------------

def test_a_clean_file_is_acknowledged_with_action_7():
    data = answer(fixture_outcome("clean_two_messages.edi"))
    segments = read_segments(data)
    assert [tag for tag, _ in segments] == ["UNB", "UNH", "UCI", "UNT", "UNZ"]
    unb = segments[0][1]
    assert unb[0] == ["UNOC", "3"]
    assert unb[1][0] == "CBSACARM" and unb[2][0] == "SP00042"
    assert unb[3] == ["261120", "0931"]
    assert unb[4] == [ANSWER_REFERENCE] and segments[-1][1] == [["1"], [ANSWER_REFERENCE]]
    assert segments[1][1] == [["1"], ["CONTRL", "D", "3", "UN"]]
    assert segments[2][1] == [["ICR000017"], ["SP00042"], ["CBSACARM"], ["7"]]
    assert_counts_match(data)


def test_pydifact_reads_the_same_acknowledgement():
    interchange = pydifact_interchange(answer(fixture_outcome("clean_two_messages.edi")))
    assert interchange.sender[0] == "CBSACARM" and interchange.recipient[0] == "SP00042"
    assert interchange.control_reference == ANSWER_REFERENCE
    [message] = list(interchange.get_messages())
    assert message.type == "CONTRL"
    assert [(s.tag, s.elements) for s in message.segments] == [("UCI", ["ICR000017", "SP00042", "CBSACARM", "7"])]


def test_the_answer_mirrors_the_partners_syntax_level_and_version():
    data = answer(fixture_outcome("unoy_utf8.edi"))
    assert data.startswith(b"UNA:+.?*'")  # version 4: '*' is the repetition separator
    unb, unh = with_tag(data, "UNB")[0], with_tag(data, "UNH")[0]
    assert unb[0] == ["UNOY", "4"]
    assert unb[3] == ["20261120", "0931"]  # version 4 dates have the century
    assert unh[1] == ["CONTRL", "4", "1", "UN"]
    assert_counts_match(data)


def test_a_unoa_file_gets_a_unoa_answer_even_when_its_own_text_broke_level_a():
    outcome = fixture_outcome("unoa_lowercase.edi")
    assert any(f.code == "S08" for f in outcome.file_findings)
    data = answer(outcome)
    assert with_tag(data, "UNB")[0][0] == ["UNOA", "3"]
    assert with_tag(data, "UCI")[0][3] == ["4"]
    assert_counts_match(data)


def test_without_a_readable_interchange_the_answer_is_unoc_3_to_the_sender_folder():
    outcome = FileOutcome("junk.edi", "SP00077", "edifact", None,
                          (Finding("S01", "file starts with 'hello': neither an EDIFACT interchange nor XML", "file"),))
    data = answer(outcome)
    unb = with_tag(data, "UNB")[0]
    assert unb[0] == ["UNOC", "3"] and unb[2][0] == "SP00077"
    assert with_tag(data, "UCI") == [[["UNKNOWN"], ["SP00077"], ["CBSACARM"], ["4"], ["13"], ["UNB"]]]
    assert_counts_match(data)


def test_an_xml_submission_gets_no_contrl():
    outcome = FileOutcome("cad.xml", "SP00042", "xml", xml_interchange(), ())
    with pytest.raises(ValueError, match="XML"):
        answer(outcome)


# -- message-level errors --------------------------------------------------------------------------------------

def test_s04_rejects_with_a_ucm_naming_the_unt_count():
    outcome = faulty("UNT+22+1'", "UNT+21+1'")
    assert [(f.code, f.location) for f in outcome.file_findings] == [("S04", "UNT#22")]
    data = answer(outcome)
    assert response_segments(data) == [
        ("UCI", [["ICR000017"], ["SP00042"], ["CBSACARM"], ["4"]]),
        # ISO 9735-4: an error of the UNT is the UCM's own (0085 29 count mismatch, 0013 UNT, S011 element 1)
        ("UCM", [["1"], ["CUSDEC", "D", "96B", "UN"], ["4"], ["29"], ["UNT"], ["1"]]),
    ]
    assert_counts_match(data)


def test_s12_points_ucs_at_the_segment_and_ucd_at_the_data_element():
    outcome = faulty("TDT+20++2'", "TDT+20++5'")  # mode of transport 5 does not exist
    assert [(f.code, f.location, f.element) for f in outcome.file_findings] == [("S12", "TDT#11", "3")]
    data = answer(outcome)
    assert response_segments(data) == [
        ("UCI", [["ICR000017"], ["SP00042"], ["CBSACARM"], ["4"]]),
        ("UCM", [["1"], ["CUSDEC", "D", "96B", "UN"], ["4"]]),
        ("UCS", [["11"]]),
        ("UCD", [["12"], ["3"]]),
    ]
    pydifact_segments = list(pydifact_interchange(data).get_messages())[0].segments
    assert [(s.tag, s.elements) for s in pydifact_segments][2:] == [("UCS", ["11"]), ("UCD", ["12", "3"])]


def test_a_missing_segment_is_reported_after_the_last_segment_read_before_it():
    # Without LOC+30 the reader notices at RFF (position 7) that it is missing: ISO 9735-4 reports the
    # position of the last segment processed before it, LOC+22 at 6.
    outcome = faulty("LOC+30+US'\n", "")
    assert [(f.code, f.location) for f in outcome.file_findings if f.code == "S12"] == [("S12", "RFF#7")]
    assert response_segments(answer(outcome))[2:] == [("UCS", [["6"], ["13"]])]


def test_only_the_failing_message_gets_a_ucm_with_its_first_error():
    text = clean_text().replace("MEA+AAE+AAA+NMB:2'", "MEA+AAE+XXX+NMB:2'").replace("UNT+25+2'", "UNT+24+2'")
    outcome = parsed_outcome(text.encode("ascii"))
    assert [(f.code, f.message_reference) for f in outcome.file_findings] == [("S12", "2"), ("S04", "2")]
    ucm = response_segments(answer(outcome))[1:]
    assert ucm[0] == ("UCM", [["2"], ["CUSDEC", "D", "96B", "UN"], ["4"]])
    assert ucm[1:] == [("UCS", [["17"]]), ("UCD", [["12"], ["2"]])]  # the MEA, not the later UNT count


def test_every_failing_message_gets_its_ucm_in_file_order():
    text = clean_text().replace("TDT+20++2'", "TDT+20++5'").replace("UNT+25+2'", "UNT+26+2'")
    outcome = parsed_outcome(text.encode("ascii"))
    ucm = [elements[0][0] for tag, elements in response_segments(answer(outcome)) if tag == "UCM"]
    assert ucm == ["1", "2"]


def test_an_unsupported_message_type_is_reported_on_its_unh():
    outcome = faulty("UNH+1+CUSDEC:D:96B:UN'", "UNH+1+CUSDEC:D:01B:UN'")
    assert response_segments(answer(outcome))[1] == (
        "UCM", [["1"], ["CUSDEC", "D", "96B", "UN"], ["4"], ["14"], ["UNH"], ["2"]])


def test_a_message_without_unt_is_reported_as_its_missing_unt():
    outcome = faulty("UNT+22+1'\n", "")
    assert response_segments(answer(outcome))[1] == ("UCM", [["1"], ["CUSDEC", "D", "96B", "UN"], ["4"], ["13"],
                                                             ["UNT"]])


# -- interchange-level errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "uci_error"), [
    ("UNZ+2+", "UNZ+3+", [["29"], ["UNZ"], ["1"]]),  # S05
    ("UNZ+2+ICR000017", "UNZ+2+ICR000099", [["28"], ["UNZ"], ["2"]]),  # S06
    ("UNOC:3", "UNOC:5", [["2"], ["UNB"], ["1"]]),  # S03: syntax version not supported
])
def test_interchange_errors_go_on_the_uci(old, new, uci_error):
    data = answer(faulty(old, new))
    assert response_segments(data) == [("UCI", [["ICR000017"], ["SP00042"], ["CBSACARM"], ["4"], *uci_error])]
    assert_counts_match(data)


def test_a_sender_that_differs_from_its_folder_is_rejected_on_the_unb_sender():
    a03 = Finding("A03", 'sender "SP00042" in the file differs from the sender folder "SP00099"', "UNB#2")
    outcome = fixture_outcome("clean_two_messages.edi", sender="SP00099", extra=(a03,))
    data = answer(outcome)
    # The answer is addressed to the provider whose folder it is delivered to; the UCI echoes the sender the
    # interchange named, with its reference.
    assert with_tag(data, "UNB")[0][2][0] == "SP00099"
    assert response_segments(data) == [("UCI", [["ICR000017"], ["SP00042"], ["CBSACARM"], ["4"], ["17"], ["UNB"],
                                                ["2"]])]


def test_the_uci_carries_the_first_interchange_error_and_the_ucm_still_follow():
    text = clean_text().replace("TDT+20++2'", "TDT+20++5'").replace("UNZ+2+", "UNZ+3+")
    segments = response_segments(answer(parsed_outcome(text.encode("ascii"))))
    assert segments[0][1][3:] == [["4"], ["29"], ["UNZ"], ["1"]]
    assert [tag for tag, _ in segments] == ["UCI", "UCM", "UCS", "UCD"]


# -- the code table, against what the reader actually writes -----------------------------------------------------

@pytest.mark.parametrize(("old", "new", "codes"), [
    ("UNT+22+1'", "UNT+21+1'", ["29"]),
    ("TDT+20++2'", "TDT+20++5'", ["12"]),
    ("LOC+30+US'\n", "", ["13", "29"]),
    ("CUX+2:USD:4'", "CUX+2:USD:4'\nCUX+2:USD:4'", ["15", "29"]),
    ("CUX+2:USD:4'", "CUX+2:USD:4'\nXYZ+1'", ["15", "29"]),
    ("MEA+WT+AAB+KGM:82.5'", "MEA+AAE+AAA+NMB:1'", ["35"]),
    ("LOC+27+CN'", "LOC+27+CN+1+2+3+4'", ["16"]),
    ("Tricycles", "Tricycles\x81", ["21"]),
    ("UNZ+2+", "UNZ+X+", ["12"]),
    ("UNH+1+", "UNH++", ["13", "28"]),
    ("UNH+2+", "UNH+1+", ["26", "28"]),
])
def test_reader_findings_map_to_their_iso_9735_codes(old, new, codes):
    text = clean_text()
    assert old in text
    result = parse_edifact(text.replace(old, new, 1).encode("latin-1"))
    assert [syntax_error_code(f) for f in result.findings] == codes, result.findings


def test_every_file_level_code_has_an_iso_9735_code():
    from pipeline.answers import SYNTAX_ERROR_CODES
    from pipeline.findings import CODES, Scope, scope_of

    assert set(SYNTAX_ERROR_CODES) == {code for code in CODES if scope_of(code) is Scope.FILE}


def test_a_message_without_reference_cannot_have_a_ucm_so_its_error_goes_on_the_uci():
    outcome = faulty("UNH+1+", "UNH++")
    assert response_segments(answer(outcome)) == [
        ("UCI", [["ICR000017"], ["SP00042"], ["CBSACARM"], ["4"], ["13"], ["UNH"], ["1"]])]


def test_a_repeated_segment_is_reported_on_the_ucs_alone():
    outcome = faulty("MEA+WT+AAB+KGM:82.5'", "MEA+AAE+AAA+NMB:1'")
    assert response_segments(answer(outcome))[2:] == [("UCS", [["18"], ["35"]])]
