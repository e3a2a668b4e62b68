"""The CUSRES: one message per CUSDEC message of a file that passed syntax, in the layout of cad-edifact.md."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.answers import DeclarationOutcome, FileOutcome, amounts_from_engine, cusres
from pipeline.answers.cusres import TEXT_COMPONENT_LENGTH, text_components
from pipeline.findings import Finding
from pipeline.model import ANSWER_CHARGE_TYPES
from tests.edifact_samples import fixture, rich_declaration, sample_interchange
from tests.model_samples import valid_declaration, valid_line
from tests.test_answers_support import (
    ANSWER_REFERENCE,
    PREPARED,
    assert_counts_match,
    fixture_outcome,
    parsed_outcome,
    pydifact_interchange,
    read_segments,
    with_tag,
)

# The worked example of spec/assessment.md for one line, and a second line of spare wheels.
LINE_1 = {"customs_duty": 9200, "surtax": 0, "sima": 0, "excise_duty": 0, "excise_tax": 0, "vft": 124200,
          "gst": 6210, "total": 15410, "vfd": 115000}
LINE_2 = {"customs_duty": 736, "surtax": 1250, "sima": 0, "excise_duty": 0, "excise_tax": 0, "vft": 11186,
          "gst": 559, "total": 2545, "vfd": 9200}
TOTALS = {name: LINE_1[name] + LINE_2[name] for name in LINE_1}


def answer(outcome: FileOutcome) -> bytes:
    data = cusres(outcome, control_reference=ANSWER_REFERENCE, prepared_at=PREPARED)
    assert data is not None
    return data


def file_of(*declarations: DeclarationOutcome, charset: str = "UNOC") -> FileOutcome:
    interchange = sample_interchange(*(d.declaration for d in declarations), charset=charset)
    return FileOutcome("cad.edi", "SP00042", "edifact", interchange, (), declarations)


def accepted(findings: tuple[Finding, ...] = ()) -> DeclarationOutcome:
    return DeclarationOutcome(
        rich_declaration(), "AC", findings,
        line_amounts={1: amounts_from_engine(LINE_1), 2: amounts_from_engine(LINE_2)},
        totals=amounts_from_engine(TOTALS),
    )


def messages(data: bytes) -> list[list[tuple[str, list[list[str]]]]]:
    """The segments of each message, UNH to UNT."""
    found: list[list[tuple[str, list[list[str]]]]] = []
    for tag, elements in read_segments(data):
        if tag == "UNH":
            found.append([])
        if found and (tag != "UNZ"):
            found[-1].append((tag, elements))
    return found


def amounts_of(segments: list[tuple[str, list[list[str]]]], function: str) -> list[tuple[str, str]]:
    pairs = []
    for (tag, elements), (next_tag, next_elements) in zip(segments, segments[1:], strict=False):
        if tag == "TAX" and elements[0] == [function]:
            assert next_tag == "MOA" and next_elements[0][0] == "161"
            pairs.append((elements[1][0], next_elements[0][1]))
    return pairs


def test_an_accepted_declaration_carries_its_totals_and_per_line_amounts():
    data = answer(file_of(accepted()))
    [message] = messages(data)
    head = [(tag, elements) for tag, elements in message[:6]]
    assert head == [
        ("UNH", [["1"], ["CUSRES", "D", "96B", "UN"]]),
        ("BGM", [["962"], ["10207000002945", "00002"], ["11"]]),
        ("DTM", [["137", "202611200931", "203"]]),
        ("RFF", [["ACW", "1"]]),
        ("GIS", [["AC", "ZZZ"]]),
        ("TAX", [["3"], ["CUD"]]),
    ]
    assert amounts_of(message, "3") == [("CUD", "99.36"), ("SUR", "12.50"), ("ADD", "0.00"), ("EXD", "0.00"),
                                        ("EXT", "0.00"), ("VFT", "1353.86"), ("GST", "67.69"), ("TOT", "179.55")]
    lines = [i for i, (tag, _) in enumerate(message) if tag == "CST"]
    assert [message[i][1] for i in lines] == [[["1"]], [["2"]]]
    first_line, second_line = message[lines[0]: lines[1]], message[lines[1]:]
    assert amounts_of(first_line, "1") == [("CUD", "92.00"), ("SUR", "0.00"), ("ADD", "0.00"), ("EXD", "0.00"),
                                           ("EXT", "0.00"), ("VFT", "1242.00"), ("GST", "62.10"), ("TOT", "154.10")]
    assert dict(amounts_of(second_line, "1"))["SUR"] == "12.50"
    assert message[-1] == ("UNT", [[str(len(message))], ["1"]])
    assert "ERP" not in [tag for tag, _ in message]
    assert_counts_match(data)


def test_the_envelope_goes_from_the_agency_to_the_provider_with_the_fresh_reference():
    data = answer(file_of(accepted()))
    interchange = pydifact_interchange(data)
    assert interchange.sender[0] == "CBSACARM" and interchange.recipient[0] == "SP00042"
    assert interchange.control_reference == ANSWER_REFERENCE
    assert [m.type for m in interchange.get_messages()] == ["CUSRES"]


def test_warnings_of_an_accepted_declaration_are_listed():
    w01 = Finding("W01", "line 1: declared customs duty 110.40 differs from the assessed 92.00", "MOA#24", line=1,
                  message_reference="1")
    [message] = messages(answer(file_of(accepted((w01,)))))
    at = [tag for tag, _ in message].index("ERP")
    assert message[at: at + 3] == [("ERP", [["1"], ["MOA", "24"]]), ("ERC", [["W01"]]),
                                   ("FTX", [["AAO"], [""], [""], [w01.message]])]
    assert message[at + 3][0] == "TAX"  # the amounts follow the findings


def test_a_rejected_declaration_carries_every_error_and_no_amounts():
    errors = (
        Finding("B03", "transaction number '10207000002946' has a wrong check digit", "BGM#2",
                message_reference="1"),
        Finding("B10", "line 1: classification number '9999999999' is not in the tariff in force on 2025-05-05",
                "CST#14", line=1, message_reference="1"),
        Finding("B08", "line 2: country code 'XX' is not an ISO 3166-1 alpha-2 code", "LOC#22", line=2,
                message_reference="1"),
    )
    data = answer(file_of(DeclarationOutcome(rich_declaration(), "RE", errors)))
    [message] = messages(data)
    assert ("GIS", [["RE", "ZZZ"]]) in message
    groups = [(message[i][1], message[i + 1][1], message[i + 2][1])
              for i, (tag, _) in enumerate(message) if tag == "ERP"]
    assert groups == [
        ([["0"], ["BGM", "2"]], [["B03"]], [["AAO"], [""], [""], [errors[0].message]]),
        ([["1"], ["CST", "14"]], [["B10"]], [["AAO"], [""], [""], [errors[1].message]]),
        ([["2"], ["LOC", "22"]], [["B08"]], [["AAO"], [""], [""], [errors[2].message]]),
    ]
    assert not {"TAX", "MOA", "CST"} & {tag for tag, _ in message}
    assert_counts_match(data)


def test_a_duplicate_says_du_and_nothing_else():
    data = answer(file_of(DeclarationOutcome(rich_declaration(), "DU")))
    [message] = messages(data)
    assert [tag for tag, _ in message] == ["UNH", "BGM", "DTM", "RFF", "GIS", "UNT"]
    assert message[4] == ("GIS", [["DU", "ZZZ"]])


def test_service_characters_in_a_message_are_released_and_read_back_intact():
    text = "value 'A+B:C?D' is not a number"
    finding = Finding("B15", text, "MOA#19", line=1, message_reference="1")
    data = answer(file_of(DeclarationOutcome(valid_declaration(style="edifact"), "RE", (finding,))))
    assert b"FTX+AAO+++value ?'A?+B?:C??D?' is not a number'" in data
    assert with_tag(data, "FTX") == [[["AAO"], [""], [""], [text]]]
    [message] = list(pydifact_interchange(data).get_messages())
    assert [s.elements for s in message.segments if s.tag == "FTX"] == [["AAO", "", "", text]]
    assert_counts_match(data)


def test_a_version_4_answer_also_releases_the_repetition_separator():
    outcome = replace(file_of(DeclarationOutcome(valid_declaration(style="edifact"), "RE", (
        Finding("B15", "value '1*2' is not a number", "MOA#19", line=1, message_reference="1"),))),
        syntax_version="4")
    data = answer(outcome)
    assert b"value ?'1?*2?'" in data
    assert with_tag(data, "FTX")[0][3] == ["value '1*2' is not a number"]
    assert_counts_match(data)


def test_a_unoa_answer_upper_cases_and_drops_accents_to_stay_in_level_a():
    finding = Finding("B08", "country code 'xx' of Société Générale is invalid", "LOC#7", message_reference="1")
    data = answer(file_of(DeclarationOutcome(valid_declaration(style="edifact"), "RE", (finding,)), charset="UNOA"))
    assert with_tag(data, "UNB")[0][0] == ["UNOA", "3"]
    assert with_tag(data, "FTX")[0][3] == ["COUNTRY CODE 'XX' OF SOCIETE GENERALE IS INVALID"]
    assert_counts_match(data)


def test_a_long_message_is_split_into_components_of_at_most_512_characters():
    words = " ".join(f"word{n:04d}" for n in range(150))  # 1,349 characters
    finding = Finding("B13", words, "MEA#17", line=1, message_reference="1")
    data = answer(file_of(DeclarationOutcome(valid_declaration(style="edifact"), "RE", (finding,))))
    components = with_tag(data, "FTX")[0][3]
    assert len(components) == 3
    assert all(len(component) <= TEXT_COMPONENT_LENGTH for component in components)
    assert " ".join(components) == words  # split at spaces, so a reader joining with one gets it back


def test_text_past_five_components_is_cut_with_an_ellipsis():
    parts = text_components("x" * 3000)
    assert len(parts) == 5 and all(len(part) <= TEXT_COMPONENT_LENGTH for part in parts)
    assert parts[-1].endswith("...") and "".join(parts)[:-3] == "x" * (5 * TEXT_COMPONENT_LENGTH - 3)


def test_one_message_per_cusdec_message_referring_to_each():
    outcome = fixture_outcome("clean_two_messages.edi")
    data = answer(outcome)
    found = messages(data)
    assert [m[0][1][0] for m in found] == [["1"], ["2"]]
    assert [dict(m)["RFF"] for m in found] == [[["ACW", "1"]], [["ACW", "2"]]]
    assert [dict(m)["BGM"][1] for m in found] == [["10207000002945", "00001"], ["10207000220870", "00001"]]
    assert_counts_match(data)


def test_a_file_rejected_at_file_level_gets_no_cusres():
    text = fixture("clean_two_messages.edi").replace(b"UNZ+2+", b"UNZ+3+")
    assert cusres(parsed_outcome(text), control_reference=ANSWER_REFERENCE, prepared_at=PREPARED) is None
    unreadable = FileOutcome("junk.edi", "SP00042", "edifact", None, (Finding("S01", "not EDIFACT", "file"),))
    assert cusres(unreadable, control_reference=ANSWER_REFERENCE, prepared_at=PREPARED) is None


def test_a_finding_without_segment_location_gets_a_bare_erp():
    finding = Finding("B04", "version 00003 is not the next version (00002)", "", message_reference="1")
    data = answer(file_of(DeclarationOutcome(valid_declaration(style="edifact"), "RE", (finding,))))
    assert with_tag(data, "ERP") == [[["0"]]]


@pytest.mark.parametrize("charset", ["UNOA", "UNOB", "UNOC", "UNOY"])
def test_every_syntax_level_reads_back(charset):
    outcome = file_of(DeclarationOutcome(valid_declaration(style="edifact", lines=(valid_line(1), valid_line(2))),
                                         "AC", line_amounts={1: amounts_from_engine(LINE_1),
                                                             2: amounts_from_engine(LINE_2)},
                                         totals=amounts_from_engine(TOTALS)), charset=charset)
    data = answer(outcome)
    assert with_tag(data, "UNB")[0][0][0] == charset
    assert len(with_tag(data, "TAX")) == 3 * len(ANSWER_CHARGE_TYPES)
    assert_counts_match(data)


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=400))
def test_any_message_reads_back_exactly_from_a_unoy_answer(text):
    finding = Finding("B15", text, "MOA#19", line=1, message_reference="1")
    data = answer(file_of(DeclarationOutcome(valid_declaration(style="edifact"), "RE", (finding,)), charset="UNOY"))
    assert with_tag(data, "FTX")[0][3:] == ([[text]] if text else [])
    [message] = list(pydifact_interchange(data).get_messages())
    assert [s.elements[3:] for s in message.segments if s.tag == "FTX"] == [[text] if text else []]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=1200))
def test_any_message_can_be_answered_in_level_a(text):
    finding = Finding("B15", text, "MOA#19", line=1, message_reference="1")
    data = answer(file_of(DeclarationOutcome(valid_declaration(style="edifact"), "RE", (finding,)), charset="UNOA"))
    components = with_tag(data, "FTX")[0][3:]  # read_segments fails on any character outside level A
    assert all(len(component) <= TEXT_COMPONENT_LENGTH for element in components for component in element)
    assert_counts_match(data)
