"""The CUSDEC reader on hostile input (issue 12): time linear in the file, numbers read without exceptions.

Timing is asserted as a ratio: the size doubles until one parse takes long enough to measure, then doubling it
once more may at most roughly double the time. A super-linear reader fails at a small size, so the test stays
short either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.parsers.edifact import parse_edifact
from pipeline.parsers.edifact_syntax import Tokenizer, interface_characters
from tests.edifact_samples import fixture
from tests.test_edifact_tokenizer import pydifact_segments

CLEAN = fixture("clean_two_messages.edi")
GROUPS = fixture("groups.edi")
HEAD = b"UNA:+.? 'UNB+UNOC:3+SP00042:ZZ+CBSACARM:ZZ+261126:0930+ICR000017'UNH+1+CUSDEC:D:96B:UN'"
# Doubling the input may at most roughly double the time; 3 leaves room for a noisy shared machine.
MAX_DOUBLING_RATIO = 3.0
MEASURABLE_SECONDS = 0.005  # one parse: below this, fixed costs would hide how the time grows
LARGEST = 1 << 16  # repetitions of a shape's unit: past this, caches rather than the reader would set the ratio
ROUND_SECONDS = 0.02
ATTEMPTS = 3  # a super-linear reader is slow at every attempt, a busy machine only now and then


def _one_parse_seconds(data: bytes) -> float:
    start = time.process_time()
    parse_edifact(data)
    return time.process_time() - start


def _round_seconds(data: bytes, repeat: int) -> float:
    start = time.process_time()
    for _ in range(repeat):
        parse_edifact(data)
    return (time.process_time() - start) / repeat


def _doubling_ratio(small: bytes, large: bytes) -> float:
    """CPU time of one parse of ``large`` over one of ``small`` (CPU time: the machine may be busy with other
    work), each the quickest of rounds taken in turn so that a slow moment weighs on both."""
    repeat = max(1, int(ROUND_SECONDS / max(_one_parse_seconds(small), 1e-6)))
    best_small = best_large = float("inf")
    for _ in range(5):
        best_small = min(best_small, _round_seconds(small, repeat))
        best_large = min(best_large, _round_seconds(large, repeat))
    return best_large / best_small


def assert_linear(make: Callable[[int], bytes]) -> None:
    """Double the size until one parse is measurable (a super-linear reader gets there at a small size), then
    compare the time of that size and of twice it."""
    size = 16
    while _one_parse_seconds(make(size)) < MEASURABLE_SECONDS and size < LARGEST:
        size *= 2
    small, large = make(size), make(2 * size)
    ratios = []
    for _ in range(ATTEMPTS):
        ratios.append(_doubling_ratio(small, large))
        if ratios[-1] < MAX_DOUBLING_RATIO:
            return
    pytest.fail(f"{len(large)} bytes took {', '.join(f'{r:.1f}' for r in ratios)} times as long as {len(small)}")


HOSTILE_SHAPES: dict[str, Callable[[int], bytes]] = {
    "spaces after the last terminator": lambda n: CLEAN + b" " * n,
    "line ends and tabs after the last terminator": lambda n: CLEAN + b"\r\n\t " * n,
    "spaces then text after the last terminator": lambda n: CLEAN + b" " * n + b"X",
    "unterminated text after the interchange": lambda n: CLEAN + b"A" * n,
    "unterminated text with spaces": lambda n: HEAD + b"FTX+AAA+++" + b"A B" * n,
    "no terminator after the UNB tag": lambda n: b"UNB+" + b"A" * n,
    "release characters, unterminated": lambda n: HEAD + b"FTX+AAA+++" + b"?" * n,
    "release characters, terminated": lambda n: HEAD + b"FTX+AAA+++" + b"?" * (2 * n) + b"'",
    "release characters and spaces": lambda n: HEAD + b"FTX+AAA+++" + b"? " * n,
    "released terminators": lambda n: HEAD + b"FTX+AAA+++" + b"?'" * n + b"'",
    "released separators": lambda n: HEAD + b"FTX+AAA+++" + b"?+?:" * n + b"'",
    "element separators": lambda n: HEAD + b"FTX" + b"+" * n + b"'",
    "component separators": lambda n: HEAD + b"FTX+AAA+++" + b":" * n + b"'",
    "empty segments": lambda n: HEAD + b"'" * n,
    "blank segments": lambda n: HEAD + b" '" * n,
    "huge single segment": lambda n: HEAD + b"FTX+AAA+++" + b"A" * n + b"'",
    "segments with invalid bytes": lambda n: HEAD.replace(b"UNOC", b"UNOY") + b"FTX+\xff'" * n,
}


@pytest.mark.parametrize("make", HOSTILE_SHAPES.values(), ids=HOSTILE_SHAPES.keys())
def test_doubling_a_hostile_input_at_most_doubles_the_parse_time(make):
    assert_linear(make)


@pytest.mark.parametrize("make", HOSTILE_SHAPES.values(), ids=HOSTILE_SHAPES.keys())
def test_a_hostile_input_gives_findings_not_exceptions(make):
    result = parse_edifact(make(1000))
    assert all(finding.code.startswith("S") for finding in result.findings)
    assert result.syntax_ok == (result.findings == () and result.interchange is not None)


# -- the tokenizer agrees with pydifact's ---------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(body=st.text(alphabet="AB+:?'", max_size=60))
def test_segments_split_as_pydifact_splits_them(body):
    text = body + "A'"  # ends in a terminator that no release character can reach
    ours = [(segment.tag, segment.elements)
            for segment in Tokenizer(interface_characters(), "latin-1", None).segments(text.encode(), 0)]
    assert ours == pydifact_segments(text, interface_characters())


def _reference_split(text: str) -> tuple[str, list[list[str]]]:
    """ISO 9735 read one character at a time: a release character takes the next one literally (a lone one at
    the very end is kept)."""
    parts, current, index = [[""]], "", 0
    while index < len(text):
        char = text[index]
        if char == "?" and index + 1 < len(text):
            current, index = current + text[index + 1], index + 2
            continue
        if char in "+:":
            parts[-1][-1], current = current, ""
            if char == "+":
                parts.append([""])
            else:
                parts[-1].append("")
        else:
            current += char
        index += 1
    parts[-1][-1] = current
    return ":".join(parts[0]), parts[1:]


def _reference_segments(text: str) -> list[tuple[str, list[list[str]], bool]]:
    """Whitespace before a segment skipped; the text after the last terminator is one unterminated segment
    without the whitespace around it."""
    segments, start = [], 0
    while True:
        while start < len(text) and text[start] in " \r\n\t":
            start += 1
        if start == len(text):
            return segments
        end = start
        while end < len(text) and text[end] != "'":
            end += 2 if text[end] == "?" else 1
        if end >= len(text):
            return [*segments, (*_reference_split(text[start:].rstrip(" \r\n\t")), False)]
        segments.append((*_reference_split(text[start:end]), True))
        start = end + 1


@settings(max_examples=300, deadline=None)
@given(body=st.text(alphabet="AB+:?' \r\n\t", max_size=60))
def test_segments_are_read_as_iso_9735_reads_them_one_character_at_a_time(body):
    ours = [(segment.tag, segment.elements, segment.terminated)
            for segment in Tokenizer(interface_characters(), "latin-1", None).segments(body.encode(), 0)]
    assert ours == _reference_segments(body)


# -- numbers: only ASCII digits, a bounded count of them, never an exception ---------------------------------------

HOSTILE_NUMBERS = ["²", "²²", "\u0662\u0662", "0" * 5000, "9" * 5000, "0000022", "-1", " 22", "2.0", "2e1"]


def _unoy(data: bytes) -> bytes:
    return data.replace(b"UNOC", b"UNOY")


def _found(data: bytes) -> list[tuple[str, str, str | None]]:
    return [(f.code, f.location, f.element) for f in parse_edifact(data).findings]


# (fixture, its trailer, the trailer with the count as {}, the finding) — UNZ and UNE say "not a number", which
# the CONTRL maps to 0085 code 12 (invalid value).
COUNTED_TRAILERS = {
    "UNT": (CLEAN, "UNT+22+1'", "UNT+{}+1'", ("S04", "UNT#22", "1"), ""),
    "UNZ": (CLEAN, "UNZ+2+ICR000017'", "UNZ+{}+ICR000017'", ("S03", "UNZ#50", "1"), "not a number"),
    "UNE": (GROUPS, "UNE+1+G2'", "UNE+{}+G2'", ("S03", "UNE#45", "1"), "not a number"),
}


@pytest.mark.parametrize("count", HOSTILE_NUMBERS)
@pytest.mark.parametrize(("clean", "trailer", "template", "expected", "wording"), COUNTED_TRAILERS.values(),
                         ids=COUNTED_TRAILERS.keys())
def test_a_trailer_count_that_is_not_1_to_6_ascii_digits_is_a_finding_naming_it(clean, trailer, template, expected,
                                                                                  wording, count):
    data = _unoy(clean).replace(trailer.encode(), template.format(count).encode())
    (finding,) = parse_edifact(data).findings
    assert (finding.code, finding.location, finding.element) == expected
    assert wording in finding.message
    assert repr(count[:20])[:-1] in finding.message and len(finding.message) < 200


def test_a_count_of_six_digits_with_leading_zeros_is_still_read():
    assert _found(CLEAN.replace(b"UNT+22+1'", b"UNT+000022+1'").replace(b"UNZ+2+", b"UNZ+000002+")) == []


@pytest.mark.parametrize("number", HOSTILE_NUMBERS)
def test_a_hostile_line_number_is_kept_for_validation_and_never_attributes_a_finding_to_a_line(number):
    data = _unoy(CLEAN).replace(b"CST+1+", f"CST+{number}+".encode(), 1).replace(b"MEA+AAE+AAA+NMB:10'\n", b"", 1)
    result = parse_edifact(data.replace(b"UNT+22+1'", b"UNT+21+1'"))
    (finding,) = result.findings
    assert (finding.code, finding.location, finding.line) == ("S12", "MOA#18", 0)  # the missing quantity
    assert result.interchange.declarations[0].lines[0].number == number


def test_an_arabic_indic_line_number_is_not_read_as_a_line():
    data = _unoy(CLEAN).replace(b"CST+1+", "CST+\u0663+".encode(), 1).replace(b"MEA+AAE+AAA+NMB:10'\n", b"", 1)
    (finding,) = parse_edifact(data.replace(b"UNT+22+1'", b"UNT+21+1'")).findings
    assert finding.line == 0  # int() would have read it as line 3


@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
def test_hostile_cnt_count_and_bgm_version_are_kept_verbatim_for_validation(value):
    data = _unoy(CLEAN).replace(b"CNT+5:1'", f"CNT+5:{value}'".encode(), 1)
    data = data.replace(b"+10207000002945:00001+", f"+10207000002945:{value}+".encode(), 1)
    result = parse_edifact(data)
    assert result.findings == ()
    declaration = result.interchange.declarations[0]
    assert (declaration.declared_line_count, declaration.version) == (value, value)


def test_a_date_in_other_digits_is_kept_verbatim_not_reformatted():
    data = _unoy(CLEAN).replace(b"DTM+137:20250505:", "DTM+137:\u0662\u0660\u0662\u0665\u0660\u0665\u0660\u0665:"
                                .encode(), 1)
    assert parse_edifact(data).interchange.declarations[0].document_date == "\u0662\u0660\u0662\u0665\u0660\u0665\u0660\u0665"


@pytest.mark.parametrize(("old", "new"), [
    (b"TDT+20++2'", b"X" * 100_000 + b"'"),
    (b"TDT+20++2'", b"TDT+" + b"2" * 100_000 + b"++2'"),
    (b"UNB+UNOC:3+", b"UNB+" + b"U" * 100_000 + b":3+"),
], ids=["tag", "qualifier", "syntax identifier"])
def test_a_huge_tag_or_code_is_named_by_its_start_not_repeated(old, new):
    findings = parse_edifact(CLEAN.replace(old, new, 1)).findings
    assert findings and all(len(finding.message) < 200 for finding in findings)
    assert any("(100,000 characters)" in finding.message for finding in findings)


@pytest.mark.parametrize(("old", "new", "letter"), [
    (b"TDT+20++2'", b"X" * 100_000 + b"+20++2'", "X"),
    (b"UNZ+2+ICR000017'", b"UNZ+2+ICR000017'" + b"Y" * 100_000 + b"'", "Y"),
    (b"UNT+22+1'", b"Z" * 100_000 + b"'", "Z"),
    (b"UNZ+2+ICR000017'", b"W" * 100_000, "W"),
], ids=["in a message", "after the interchange", "where the UNT should be", "unterminated"])
def test_a_huge_tag_is_located_by_its_start(old, new, letter):
    """The location reaches the answers (CUSRES ERP, CONTRL UCS): 100 KB of tag must not travel with it."""
    findings = parse_edifact(CLEAN.replace(old, new, 1)).findings
    assert findings and all(len(finding.location) < 50 for finding in findings)
    assert any(finding.location.startswith(letter * 20 + "…#") for finding in findings)
