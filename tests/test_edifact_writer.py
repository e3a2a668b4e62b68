"""The EDIFACT writer: the generic syntax layer, and model → CUSDEC → model round trips."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydifact.control import Characters

from pipeline.model import Party
from pipeline.parsers.edifact import parse_edifact
from pipeline.parsers.edifact_syntax import interface_characters
from pipeline.writers.edifact import (
    InterchangeHeader,
    Message,
    encode_interchange,
    escape,
    format_interchange,
    format_segment,
    segment,
    write_interchange,
)
from tests.edifact_samples import rich_declaration, sample_interchange, values_only
from tests.model_samples import valid_declaration, valid_line

DEFAULT = interface_characters()
CUSTOM = Characters.from_str("UNA^*,! ~")


# -- generic layer -----------------------------------------------------------------------------------------------

def test_escape_puts_the_release_character_before_every_service_character():
    assert escape("O'BRIEN + SONS: 50? OFF", DEFAULT) == "O?'BRIEN ?+ SONS?: 50?? OFF"
    assert escape("A*B^C!D~E?F+G", CUSTOM) == "A!*B!^C!!D!~E?F+G"
    assert escape("PLAIN TEXT 1.5", DEFAULT) == "PLAIN TEXT 1.5"


def test_escape_releases_a_version_4_repetition_separator():
    assert escape("A*B", Characters.from_str("UNA:+.?*'")) == "A?*B"


def test_format_segment_writes_composites_and_drops_trailing_empty_parts():
    assert format_segment("NAD", "SE", None, None, "US VENDOR", None, None, chars=DEFAULT) == "NAD+SE+++US VENDOR'"
    assert format_segment("BGM", ("929", "", "", "AB"), ("123", "00001"), "9", chars=DEFAULT) == (
        "BGM+929:::AB+123:00001+9'")
    assert format_segment("NAD", "IM", ("123", "", None), chars=DEFAULT) == "NAD+IM+123'"
    assert format_segment("FTX", "AAA", None, None, "A:B", chars=CUSTOM) == "FTX*AAA***A:B~"


def test_format_interchange_counts_segments_and_messages():
    header = InterchangeHeader(sender="CBSACARM", recipient="SP00042", control_reference="000000123",
                               prepared_at="261127:0800")
    messages = [
        Message("1", ("CONTRL", "4", "1", "UN"), (segment("UCI", "ICR000017", "SP00042", "CBSACARM", "7"),)),
        Message("2", ("CONTRL", "4", "1", "UN"), ()),
    ]
    text = format_interchange(header, messages, una=False, line_breaks=True)
    assert text.splitlines() == [
        "UNB+UNOC:3+CBSACARM:ZZ+SP00042:ZZ+261127:0800+000000123'",
        "UNH+1+CONTRL:4:1:UN'",
        "UCI+ICR000017+SP00042+CBSACARM+7'",
        "UNT+3+1'",
        "UNH+2+CONTRL:4:1:UN'",
        "UNT+2+2'",
        "UNZ+2+000000123'",
    ]
    assert format_interchange(header, [], chars=CUSTOM, line_breaks=False).startswith("UNA^*,! ~UNB*UNOC^3*")


def test_format_interchange_refuses_custom_characters_without_a_una():
    header = InterchangeHeader("A", "B", "1", "261127:0800")
    with pytest.raises(ValueError, match="UNA"):
        format_interchange(header, [], chars=CUSTOM, una=False)


def test_unoy_is_written_as_syntax_version_4():
    assert InterchangeHeader("A", "B", "1", "261127:0800", charset="UNOY").version == "4"
    assert InterchangeHeader("A", "B", "1", "261127:0800", charset="UNOC").version == "3"


@pytest.mark.parametrize("text, charset", [
    ("lower case", "UNOA"), ("CAFÉ", "UNOB"), ("東京", "UNOC"), ("TWO\nLINES", "UNOY"),
])
def test_text_the_declared_level_cannot_carry_is_refused(text, charset):
    header = InterchangeHeader("A", "B", "1", "261127:0800", charset=charset)
    message = Message("1", ("CUSRES", "D", "96B", "UN"), (segment("FTX", "AAO", None, None, text),))
    with pytest.raises(ValueError, match=charset):
        format_interchange(header, [message])


def test_encode_interchange_uses_the_codec_of_the_syntax_identifier():
    assert encode_interchange("FTX+AAA+++CAFÉ'", "UNOC") == b"FTX+AAA+++CAF\xc9'"
    assert encode_interchange("FTX+AAA+++CAFÉ'", "UNOY") == "FTX+AAA+++CAFÉ'".encode()


# -- CUSDEC round trips ------------------------------------------------------------------------------------------

def reread(data: bytes):
    result = parse_edifact(data)
    assert result.syntax_ok, result.findings
    return result.interchange


def test_round_trip_of_a_declaration_with_every_optional_field():
    original = sample_interchange(rich_declaration(1), valid_declaration(style="edifact", index=2))
    assert values_only(reread(write_interchange(original))) == values_only(original)


def test_round_trip_without_una_and_line_breaks():
    original = sample_interchange(rich_declaration())
    data = write_interchange(original, una=False, line_breaks=False)
    assert data.startswith(b"UNB+UNOC:3+SP00042:ZZ+CBSACARM:ZZ+261126:0930+ICR000017'UNH+1+")
    assert values_only(reread(data)) == values_only(original)


def test_round_trip_with_a_decimal_comma_writes_it_in_the_una():
    original = sample_interchange(rich_declaration(), decimal_mark=",")
    data = write_interchange(original)
    assert data.startswith(b"UNA:+,? '") and b"MOA+123:1000,00'" in data and b"MEA+WT+AAB+KGM:82,5'" in data
    assert values_only(reread(data)) == values_only(original)
    with pytest.raises(ValueError, match="UNA"):
        write_interchange(original, una=False)


def test_round_trip_in_utf_8():
    declaration = valid_declaration(style="edifact", importer=Party("IM", "Société 東京 Ltd", id="123456782RM0001"),
                                    lines=(valid_line(1, description="Bols — €5 ?+:'"),))
    original = sample_interchange(declaration, charset="UNOY")
    data = write_interchange(original, charset="UNOY")
    assert data.startswith(b"UNA:+.? '\nUNB+UNOY:4+")
    assert values_only(reread(data)) == values_only(original)


def test_round_trip_in_unoa_for_upper_case_text():
    declaration = valid_declaration(
        style="edifact", importer=Party("IM", "ACME IMPORTS LTD", id="123456782RM0001"),
        vendor=Party("SE", "US VENDOR CO", street="1 MAIN ST", city="BUFFALO", postcode="14201", country="US"),
        lines=(valid_line(1, description="TRICYCLES"),))
    original = sample_interchange(declaration, charset="UNOA")
    assert values_only(reread(write_interchange(original, charset="UNOA"))) == values_only(original)
    with pytest.raises(ValueError, match="UNOA"):
        write_interchange(sample_interchange(valid_declaration(style="edifact")), charset="UNOA")


def test_messages_are_numbered_when_the_model_has_no_reference():
    declarations = [dataclasses.replace(rich_declaration(), message_reference=None) for _ in range(3)]
    data = write_interchange(sample_interchange(*declarations))
    assert [d.message_reference for d in reread(data).declarations] == ["1", "2", "3"]
    # UNH, BGM, 3 DTM, 2 LOC, 3 RFF, 3 NAD, TDT, CUX, UNS; 15 + 5 line segments; UNS, CNT, UNT: 39.
    assert data.count(b"UNT+39+") == 3 and data.rstrip().endswith(b"UNZ+3+ICR000017'")


def test_the_writer_has_no_clock():
    with pytest.raises(ValueError, match="date"):
        write_interchange(sample_interchange(prepared_at=None))


def test_an_interchange_without_recipient_is_addressed_to_cbsa():
    data = write_interchange(sample_interchange(recipient=None))
    assert b"+CBSACARM:ZZ+" in data


PRINTABLE_LATIN_1 = st.text(
    alphabet=st.one_of(
        st.sampled_from("?:+'., "),
        st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_categories=("Cc",)),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(importer=PRINTABLE_LATIN_1, vendor=PRINTABLE_LATIN_1, street=PRINTABLE_LATIN_1.filter(bool),
       description=PRINTABLE_LATIN_1, invoice=PRINTABLE_LATIN_1)
def test_any_printable_latin_1_text_survives_write_and_parse_in_unoc(importer, vendor, street, description,
                                                                     invoice):
    declaration = valid_declaration(
        style="edifact",
        importer=Party("IM", importer, id="123456782RM0001"),
        vendor=Party("SE", vendor, street=street, city="Buffalo", country="US"),
        invoice_number=invoice,
        lines=(valid_line(1, description=description),),
    )
    original = sample_interchange(declaration)
    parsed = reread(write_interchange(original))
    assert values_only(parsed) == values_only(original)


@given(st.lists(st.tuples(st.sampled_from(["TAX", "MOA", "FTX"]), st.text(alphabet="AB1?+:'. ", max_size=6)),
                min_size=1, max_size=6), st.sets(st.integers(min_value=0, max_value=5)))
def test_a_segment_given_already_written_is_written_as_format_segment_would(
    body: list[tuple[str, str]], written_ahead: set[int]
) -> None:
    """Answers pass their repeated segments as text written once: the interchange, its UNT count included, is
    the same as when every segment is a ``Segment``."""
    chars = interface_characters()
    header = InterchangeHeader("CBSACARM", "SP01", "00000001", "261203:0900")
    plain = [segment(tag, value) for tag, value in body]
    mixed = [format_segment(s.tag, *s.elements, chars=chars) if index in written_ahead else s
             for index, s in enumerate(plain)]
    identifier = ("CUSRES", "D", "96B", "UN")
    assert format_interchange(header, [Message("1", identifier, tuple(mixed))], chars=chars) == format_interchange(
        header, [Message("1", identifier, tuple(plain))], chars=chars)
