"""Every S code the CUSDEC reader emits, with its location (and element where a CONTRL needs one).

Most cases alter one segment of the first message of ``clean_two_messages.edi``; ``interchange`` rebuilds UNT
counts so that a case shows only its own finding. Positions of that message: UNH 1, BGM 2, DTM 3-5, LOC 6-7,
RFF 8, NAD 9-10, TDT 11, CUX 12, UNS 13, CST 14, FTX 15, LOC 16, MEA 17-18, MOA 19, UNS 20, CNT 21, UNT 22.
In the interchange: UNA 1, UNB 2, the two messages 3-24 and 25-49, UNZ 50.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.parsers.edifact import MAX_FINDINGS, parse_edifact
from tests.edifact_samples import fixture, fixture_text

UNA = "UNA:+.? '"
UNB = "UNB+UNOC:3+SP00042:ZZ+CBSACARM:ZZ+261126:0930+ICR000017'"
UNZ = "UNZ+2+ICR000017'"


def message_bodies() -> list[list[str]]:
    """The segments between UNH and UNT of each message of the clean fixture."""
    bodies: list[list[str]] = []
    for line in fixture_text("clean_two_messages.edi").splitlines():
        if line.startswith("UNH"):
            bodies.append([])
        elif line.startswith("UNT"):
            continue
        elif bodies and not line.startswith("UNZ"):
            bodies[-1].append(line)
    return bodies


def interchange(first: list[str] | None = None, *, una: str = UNA, unb: str = UNB, unz: str = UNZ,
                unh: str = "UNH+1+CUSDEC:D:96B:UN'") -> bytes:
    """The clean file with the first message's body (and envelope segments) replaced; UNT counts recomputed."""
    clean_first, second = message_bodies()
    first = clean_first if first is None else first
    segments = [una, unb, unh, *first, f"UNT+{len(first) + 2}+1'",
                "UNH+2+CUSDEC:D:96B:UN'", *second, f"UNT+{len(second) + 2}+2'", unz]
    return "\n".join(segment for segment in segments if segment).encode("latin-1")


def altered(old: str, new: str | None) -> list[str]:
    """The first message's body with the segment ``old`` replaced by ``new`` (None: removed)."""
    body = message_bodies()[0]
    index = body.index(old)
    return body[:index] + ([] if new is None else [new]) + body[index + 1 :]


def found(data: bytes) -> list[tuple[str, str]]:
    return [(finding.code, finding.location) for finding in parse_edifact(data).findings]


def test_the_helpers_rebuild_the_clean_file_exactly():
    assert interchange() == fixture("clean_two_messages.edi").rstrip(b"\n")
    assert found(interchange()) == []


# -- S02 ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("una", [
    "UNA++.? '",  # component separator = element separator
    "UNA:+.?  ",  # segment terminator is a space
    "UNA:+X? '",  # decimal mark neither '.' nor ','
    "UNA:+.?'",   # only five service characters: the ninth character is the 'U' of UNB
])
def test_invalid_service_string_advice_is_s02_and_nothing_is_read(una):
    result = parse_edifact(interchange(una=una))
    assert [(f.code, f.location) for f in result.findings] == [("S02", "UNA#1")]
    assert result.interchange is None


# -- S03 ---------------------------------------------------------------------------------------------------------

def test_missing_unb_is_s03():
    result = parse_edifact(interchange(unb=""))
    assert ("S03", "UNH#2") in [(f.code, f.location) for f in result.findings]
    assert result.interchange is None


@pytest.mark.parametrize("unb, element", [
    ("UNB+UNOD:3+SP00042:ZZ+CBSACARM:ZZ+261126:0930+ICR000017'", "1"),  # unknown syntax identifier
    ("UNB+UNOC:2+SP00042:ZZ+CBSACARM:ZZ+261126:0930+ICR000017'", "1"),  # syntax version 2
    ("UNB+UNOC:3++CBSACARM:ZZ+261126:0930+ICR000017'", "2"),            # no sender
    ("UNB+UNOC:3+SP00042:ZZ+CBSACARM:ZZ+261126:0930'", "5"),            # no control reference
])
def test_malformed_unb_is_s03_on_the_element(unb, element):
    findings = parse_edifact(interchange(unb=unb)).findings
    assert [(f.code, f.location, f.element) for f in findings if f.code == "S03"] == [("S03", "UNB#2", element)]


def test_missing_unz_is_s03_but_the_content_is_still_returned():
    result = parse_edifact(interchange(unz=""))
    assert [(f.code, f.location) for f in result.findings] == [("S03", "UNZ#50")]
    assert len(result.interchange.declarations) == 2 and not result.syntax_ok


def test_unz_count_that_is_not_a_number_is_s03():
    assert found(interchange(unz="UNZ+TWO+ICR000017'")) == [("S03", "UNZ#50")]


def test_a_second_interchange_in_the_file_is_s03():
    data = interchange() + b"\n" + UNB.encode() + b"\n"
    assert found(data) == [("S03", "UNB#51")]


def test_group_without_une_is_s03():
    data = fixture("groups.edi").replace(b"UNE+1+G1'\n", b"")
    assert found(data) == [("S03", "UNG#23")]


def test_message_outside_the_groups_of_an_interchange_is_s03():
    lines = fixture_text("groups.edi").splitlines()
    start, end = lines.index("UNG+CUSDEC+SP00042:ZZ+CBSACARM:ZZ+261126:0930+G2+UN+D:96B'"), lines.index("UNE+1+G2'")
    data = "\n".join(lines[:start] + lines[start + 1 : end] + lines[end + 1 :]).encode()
    assert found(data) == [("S03", "UNH#24"), ("S05", "UNZ#44")]


# -- S04, S05, S06 -------------------------------------------------------------------------------------------------

def test_unt_count_that_differs_from_the_message_is_s04():
    data = fixture("clean_two_messages.edi").replace(b"UNT+22+1'", b"UNT+21+1'")
    (finding,) = parse_edifact(data).findings
    assert (finding.code, finding.location, finding.message_reference, finding.element) == ("S04", "UNT#22", "1", "1")


def test_unz_count_that_differs_from_the_messages_is_s05():
    (finding,) = parse_edifact(interchange(unz="UNZ+3+ICR000017'")).findings
    assert (finding.code, finding.location, finding.element) == ("S05", "UNZ#50", "1")


def test_une_count_that_differs_from_the_group_is_s05():
    data = fixture("groups.edi").replace(b"UNE+1+G2'", b"UNE+2+G2'")
    assert found(data) == [("S05", "UNE#45")]


def test_unz_counts_groups_when_groups_are_used():
    data = fixture("groups.edi").replace(b"UNZ+2+", b"UNZ+1+")
    assert found(data) == [("S05", "UNZ#46")]


def test_unz_control_reference_that_differs_from_unb_is_s06():
    (finding,) = parse_edifact(interchange(unz="UNZ+2+ICR000099'")).findings
    assert (finding.code, finding.location, finding.element) == ("S06", "UNZ#50", "2")


def test_unt_reference_that_differs_from_unh_is_s06():
    data = fixture("clean_two_messages.edi").replace(b"UNT+25+2'", b"UNT+25+9'")
    (finding,) = parse_edifact(data).findings
    assert (finding.code, finding.location, finding.message_reference) == ("S06", "UNT#25", "2")


def test_une_reference_that_differs_from_ung_is_s06():
    data = fixture("groups.edi").replace(b"UNE+1+G1'", b"UNE+1+G9'")
    assert found(data) == [("S06", "UNE#23")]


# -- S07 ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("unh", ["UNH+1+CUSDEC:D:96A:UN'", "UNH+1+INVOIC:D:96B:UN'", "UNH+1'"])
def test_message_other_than_cusdec_d96b_is_s07_and_not_read(unh):
    result = parse_edifact(interchange(unh=unh))
    assert [(f.code, f.location, f.message_reference, f.element) for f in result.findings] == [
        ("S07", "UNH#1", "1", "2")]
    assert [d.message_reference for d in result.interchange.declarations] == ["2"]


# -- S08 ---------------------------------------------------------------------------------------------------------

def test_lowercase_in_unoa_is_s08_at_the_segment():
    findings = parse_edifact(fixture("unoa_lowercase.edi")).findings
    assert [(f.code, f.location, f.message_reference, f.element) for f in findings] == [
        ("S08", "NAD#8", "M1", "4"),   # the importer's name, "Acme Imports Ltd"
    ]


def test_invalid_utf8_in_unoy_is_s08_at_the_segment():
    result = parse_edifact(fixture("unoy_invalid_bytes.edi"))
    (finding,) = result.findings
    assert (finding.code, finding.location, finding.element) == ("S08", "FTX#14", "4")
    assert "E8" in finding.message
    assert result.interchange is not None and not result.syntax_ok


@pytest.mark.parametrize("text, charset", [
    (b"CAF\x92S", b"UNOC"),     # a Windows-1252 apostrophe is a C1 control in ISO 8859-1
    (b"{BRACES}", b"UNOA"),     # not in level A
    (b"PIPE|", b"UNOA"),
    (b"TAB\tINSIDE", b"UNOC"),  # controls are outside every level
    (b"TAB\tINSIDE", b"UNOY"),
])
def test_characters_outside_the_declared_level_are_s08(text, charset):
    # groups.edi is all upper case, so it is valid UNOA as it stands.
    data = fixture("groups.edi").replace(b"UNOC:3", charset + b":4").replace(b"TRICYCLES", text, 1)
    assert found(data) == [("S08", "FTX#14")]


def test_s08_in_an_envelope_segment_is_located_in_the_interchange():
    data = fixture("groups.edi").replace(b"UNB+UNOC:3+SP00042", b"UNB+UNOA:3+sp00042")
    assert found(data) == [("S08", "UNB#1")]


# -- S12 ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("old, new, location, element", [
    ("BGM+929:::AB+10207000002945:00001+9'", "BGM+930:::AB+10207000002945:00001+9'", "BGM#2", "1"),
    ("BGM+929:::AB+10207000002945:00001+9'", "BGM+929+10207000002945:00001+9'", "BGM#2", "1"),  # no CAD type
    ("BGM+929:::AB+10207000002945:00001+9'", "BGM+929:::X+10207000002945:00001+9'", "BGM#2", "1"),
    ("BGM+929:::AB+10207000002945:00001+9'", "BGM+929:::AB+10207000002945:00001+5'", "BGM#2", "3"),
    ("DTM+137:20250505:102'", "DTM+137:20250505:203'", "DTM#3", "1"),
    ("LOC+22+0497'", "LOC+23+0497'", "LOC#6", "1"),
    ("RFF+IV:INV-1'", "RFF+XX:INV-1'", "RFF#8", "1"),
    ("NAD+SE+++US Vendor Co+1 Main St+Buffalo++14201+US'", "NAD+BY+++US Vendor Co'", "NAD#10", "1"),
    ("TDT+20++2'", "TDT+20++3'", "TDT#11", "3"),
    ("TDT+20++2'", "TDT+12++2'", "TDT#11", "1"),
    ("CUX+2:USD:4'", "CUX+2:USD:5'", "CUX#12", "1"),
    ("UNS+D'", "UNS+X'", "UNS#13", "1"),
    ("CST+1+9503001010:108:ZZZ+2:109:ZZZ'", "CST+1+9503001010:109:ZZZ+2:109:ZZZ'", "CST#14", "2"),
    ("FTX+AAA+++Tricycles'", "FTX+ZZZ+++Tricycles'", "FTX#15", "1"),
    ("LOC+27+CN'", "LOC+28+CN'", "LOC#16", "1"),
    ("MEA+WT+AAB+KGM:82.5'", "MEA+WT+AAA+KGM:82.5'", "MEA#18", "2"),
    ("MOA+123:1000.00'", "MOA+124:1000.00'", "MOA#19", "1"),
    ("CNT+5:1'", "CNT+2:1'", "CNT#21", "1"),
    ("LOC+22+0497'", "LOC+22+0497+++++1'", "LOC#6", "6"),       # six data elements, LOC has five
    ("MOA+123:1000.00'", "MOA+123:1000.00:USD:4:1:X'", "MOA#19", "1"),  # six components, C516 has five
])
def test_wrong_code_or_structure_in_a_segment_is_s12(old, new, location, element):
    findings = parse_edifact(interchange(altered(old, new))).findings
    assert [(f.code, f.location, f.element) for f in findings if f.location == location] == [
        ("S12", location, element)]
    assert {f.code for f in findings} == {"S12"}


@pytest.mark.parametrize("new", ["DTM+58:20250505:102'", "DTM+999:20250505:102'"])
def test_a_missing_date_qualifier_is_s12_where_the_dates_end(new):
    findings = found(interchange(altered("DTM+137:20250505:102'", new)))
    assert ("S12", "LOC#6") in findings  # DTM+137 missing, noticed at the first segment after the dates


def test_a_missing_mandatory_segment_is_s12_at_the_segment_that_follows():
    findings = parse_edifact(interchange(altered("TDT+20++2'", None))).findings
    assert [(f.code, f.location) for f in findings] == [("S12", "CUX#11")]
    assert "TDT" in findings[0].message


def test_a_missing_quantity_is_s12_with_the_line_number():
    (finding,) = parse_edifact(interchange(altered("MEA+AAE+AAA+NMB:10'", None))).findings
    assert (finding.code, finding.location, finding.line) == ("S12", "MOA#18", 1)
    assert "MEA+AAE" in finding.message


def test_repeated_qualified_segments_are_s12():
    body = altered("RFF+IV:INV-1'", "RFF+IV:INV-1'")
    body.insert(body.index("RFF+IV:INV-1'"), "RFF+IV:INV-2'")
    assert found(interchange(body)) == [("S12", "RFF#9")]


@pytest.mark.parametrize("extra", ["GIS+A:SPA'", "GIS+B:GST'", "GIS+C:EXC'", "GIS+D:SIM'"])
def test_each_government_code_at_most_once_per_line(extra):
    body = altered("MOA+123:1000.00'", "MOA+123:1000.00'")
    body[body.index("MOA+123:1000.00'") + 1 : body.index("MOA+123:1000.00'") + 1] = [extra, extra]
    findings = parse_edifact(interchange(body)).findings
    assert [(f.code, f.location, f.line) for f in findings] == [("S12", "GIS#21", 1)]


def test_unknown_government_code_list_is_s12():
    body = altered("MOA+123:1000.00'", "MOA+123:1000.00'")
    body.insert(body.index("MOA+123:1000.00'") + 1, "GIS+X1:XYZ'")
    assert found(interchange(body)) == [("S12", "GIS#20")]


def test_tax_type_outside_the_spec_and_a_tax_without_its_amount_are_s12():
    body = altered("MOA+123:1000.00'", "MOA+123:1000.00'")
    at = body.index("MOA+123:1000.00'") + 1
    body[at:at] = ["TAX+1+VAT'", "MOA+161:1.00'", "TAX+1+GST'", "TAX+1+CUD'", "MOA+161:2.00'"]
    result = parse_edifact(interchange(body))
    assert [(f.code, f.location) for f in result.findings] == [("S12", "TAX#20"), ("S12", "TAX#23")]
    amounts = result.interchange.declarations[0].lines[0].filer_amounts
    assert [(a.charge_type, a.amount, a.location) for a in amounts] == [
        ("VAT", "1.00", "MOA#21"), ("GST", "", "TAX#22"), ("CUD", "2.00", "MOA#24")]


def test_unknown_segment_is_s12():
    body = altered("TDT+20++2'", "TDT+20++2'")
    body.insert(body.index("TDT+20++2'"), "XYZ+1'")
    (finding,) = parse_edifact(interchange(body)).findings
    assert (finding.code, finding.location) == ("S12", "XYZ#11")
    assert "not a segment of CUSDEC" in finding.message


def test_misplaced_segment_is_s12_and_the_rest_is_still_read():
    body = altered("TDT+20++2'", "TDT+20++2'")
    body.insert(body.index("TDT+20++2'") + 1, "DTM+137:20250505:102'")
    result = parse_edifact(interchange(body))
    assert [(f.code, f.location) for f in result.findings] == [("S12", "DTM#12")]
    assert result.interchange.declarations[0].currency == "USD"


def test_segment_between_messages_is_s12_located_in_the_interchange():
    data = interchange().replace(b"UNH+2+", b"FTX+AAA+++STRAY'\nUNH+2+")
    assert found(data) == [("S12", "FTX#25")]


def test_missing_unt_is_s12_and_the_message_is_still_read():
    data = fixture("clean_two_messages.edi").replace(b"UNT+22+1'\n", b"")
    result = parse_edifact(data)
    assert [(f.code, f.location, f.message_reference) for f in result.findings] == [("S12", "UNH#22", "1")]
    assert [d.message_reference for d in result.interchange.declarations] == ["1", "2"]


def test_message_reference_used_twice_is_s12():
    data = fixture("clean_two_messages.edi").replace(b"UNH+2+", b"UNH+1+").replace(b"UNT+25+2'", b"UNT+25+1'")
    assert found(data) == [("S12", "UNH#1")]


def test_unterminated_last_segment_is_s12():
    data = fixture("clean_two_messages.edi").rstrip(b"'\n")
    assert found(data) == [("S12", "UNZ#50")]


# -- collection ----------------------------------------------------------------------------------------------------

def test_every_finding_of_the_file_is_reported_not_only_the_first():
    body = altered("TDT+20++2'", "TDT+20++4'")
    data = interchange(body, unz="UNZ+2+ICR000099'").replace(b"UNT+25+2'", b"UNT+24+2'")
    data = data.replace(b"BGM+929:::C+", b"BGM+929:::X+")
    assert found(data) == [("S12", "TDT#11"), ("S12", "BGM#2"), ("S04", "UNT#25"), ("S06", "UNZ#50")]


def test_a_file_of_errors_reports_a_bounded_number_of_findings():
    body = message_bodies()[0][:-2] + ["XYZ'"] * (MAX_FINDINGS + 10) + message_bodies()[0][-2:]
    findings = parse_edifact(interchange(body)).findings
    assert len(findings) == MAX_FINDINGS + 1
    assert findings[-1].message == "10 more S12 findings not listed"


def test_an_empty_segment_is_s12_and_counts_as_a_segment():
    data = fixture("clean_two_messages.edi").replace(b"TDT+20++2'", b"TDT+20++2''", 1)
    assert found(data) == [("S12", "#12"), ("S04", "UNT#23")]


def test_junk_longer_than_a_short_line_before_the_interchange_is_not_tolerated():
    result = parse_edifact(b"X" * 300 + fixture("clean_two_messages.edi"))
    assert [(f.code, f.location) for f in result.findings] == [("S03", "UNB#1")]
    assert result.interchange is None


# -- robustness: errors are data, never exceptions ---------------------------------------------------------------

CLEAN = fixture("clean_two_messages.edi")


@settings(max_examples=150, deadline=None)
@given(start=st.integers(0, len(CLEAN)), length=st.integers(0, 40), junk=st.binary(max_size=40))
def test_any_damage_to_a_file_gives_findings_not_exceptions(start, length, junk):
    result = parse_edifact(CLEAN[:start] + junk + CLEAN[start + length :])
    assert all(finding.code.startswith("S") for finding in result.findings)
    assert result.syntax_ok == (result.findings == () and result.interchange is not None)


@settings(max_examples=100, deadline=None)
@given(tail=st.binary(max_size=200))
def test_arbitrary_bytes_after_an_interchange_start_give_findings_not_exceptions(tail):
    for head in (b"UNA:+.? '", b"UNB+UNOY:4+", b"UNA:+.? 'UNB+UNOC:3+A+B+1:1+R'UNH+1+CUSDEC:D:96B:UN'"):
        result = parse_edifact(head + tail)
        assert isinstance(result.findings, tuple)
