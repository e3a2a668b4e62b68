"""The fast paths of the EDIFACT reader against slower readings of the same bytes.

The tokenizer reads a file in chunks, each decoded, checked and split as a whole: its segments must be pydifact's
on every fixture and on generated interchanges, whatever the chunk size, and the same as the segment-by-segment
reading (which reports the faults) on any bytes. The message reader takes a segment of the usual shape of its
slot from one match (``Shape``): a file must read the same, findings and model, as when every segment goes
through its handler.
"""

from __future__ import annotations

import random
import warnings
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydifact.control import Characters
from pydifact.token import Token
from pydifact.tokenizer import Tokenizer as PydifactTokenizer

from pipeline.generate import generate_submissions
from pipeline.parsers import edifact, edifact_shapes
from pipeline.parsers.edifact import parse_edifact
from pipeline.parsers.edifact_syntax import (
    INTER_SEGMENT_WHITESPACE,
    SYNTAX_CODECS,
    Tokenizer,
    interface_characters,
    locate_interchange,
    read_service_string_advice,
    repertoire,
    repertoire_pattern,
)
from pipeline.reference import load_reference
from tests.edifact_samples import FIXTURES, fixture

FIXTURE_NAMES = sorted(path.name for path in Path(FIXTURES).glob("*.edi"))
# 1: every segment is a chunk of its own; 64: chunk ends fall inside segments; None: the whole file is one chunk.
CHUNK_SIZES = [1, 64, None]
REFERENCE = load_reference()


@pytest.fixture(params=CHUNK_SIZES, ids=lambda size: f"chunk {size or 'default'}")
def chunk_size(request, monkeypatch):
    if request.param:
        monkeypatch.setattr(Tokenizer, "CHUNK_BYTES", request.param)
    return request.param


def _service(data: bytes) -> tuple[Characters, int]:
    start = locate_interchange(data)
    assert start is not None
    if data.startswith(b"UNA", start):
        chars, _ = read_service_string_advice(data[start : start + 9].decode("latin-1"))
        assert chars is not None
        return chars, start + 9
    return interface_characters(), start


def _ours(data: bytes) -> list[tuple[str, list[list[str]]]]:
    chars, offset = _service(data)
    return [(segment.tag, segment.elements) for segment in Tokenizer(chars, "latin-1", None).segments(data, offset)]


def pydifact_segments(text: str, chars: Characters) -> list[tuple[str, list[list[str]]]]:
    """pydifact's tokens of ``text`` grouped into (tag, elements) as our tokenizer gives them."""
    segments: list[list[list[str]]] = []
    current: list[list[str]] = [[""]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tokens = list(PydifactTokenizer().get_tokens(text, chars))
    for token in tokens:
        if token.type is Token.Type.CONTENT:
            current[-1][-1] += token.value
        elif token.type is Token.Type.COMPONENT_SEPARATOR:
            current[-1].append("")
        elif token.type is Token.Type.DATA_SEPARATOR:
            current.append([""])
        else:
            segments.append(current)
            current = [[""]]
    # The tag is the whole first data element (a ':' in it makes an unknown tag, reported as such). pydifact skips
    # line ends between segments; the interface skips spaces and tabs there too.
    return [(":".join(parts[0]).lstrip(INTER_SEGMENT_WHITESPACE), parts[1:]) for parts in segments]


def _pydifact(data: bytes) -> list[tuple[str, list[list[str]]]]:
    chars, offset = _service(data)
    return pydifact_segments(data[offset:].decode("latin-1").lstrip(INTER_SEGMENT_WHITESPACE), chars)


def _generated(seed: int, invalid: float = 0.0) -> list[bytes]:
    batch = generate_submissions(cads=6, seed=seed, reference=REFERENCE, start=date(2025, 3, 3), format="edifact",
                                 days=1, providers=2, cads_per_file=3, amend_rate=0, invalid_rate=invalid)
    return [generated.data for generated in batch.files]


# -- the tokenizer -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_fixture_splits_as_pydifact_splits_it(name, chunk_size):
    data = fixture(name)
    assert _ours(data) == _pydifact(data)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_interchanges_split_as_pydifact_splits_them(seed, chunk_size):
    for data in _generated(seed):
        assert _ours(data) == _pydifact(data)


def _slow(tokenizer: Tokenizer, data: bytes) -> list:
    return list(tokenizer._segments_between(data, 0, len(data)))


@settings(max_examples=300, deadline=None)
@given(body=st.lists(st.sampled_from(["A", "B", "+", ":", "?", "'", " ", "\n", "\r", "é", "\x01", "\xff"]),
                     max_size=80).map("".join),
       charset=st.sampled_from(["UNOA", "UNOB", "UNOC", "UNOY"]), chunk=st.integers(1, 16))
def test_chunked_reading_equals_reading_segment_by_segment(body, charset, chunk):
    """Faults (bytes outside the encoding, characters outside the level, text after the last terminator) are
    found and described as the segment-by-segment reading finds them, wherever the chunks end."""
    chars = interface_characters()
    codec = {"UNOA": "ascii", "UNOB": "ascii", "UNOC": "latin-1", "UNOY": "utf-8"}[charset]
    data = body.encode("latin-1" if charset != "UNOY" else "utf-8", "replace")
    if charset == "UNOY":
        data = data.replace(b"\xc3\xbf", b"\xff")  # an invalid UTF-8 byte among valid text
    tokenizer = Tokenizer(chars, codec, repertoire_pattern(charset, chars))
    tokenizer.CHUNK_BYTES = chunk
    assert list(tokenizer.segments(data, 0)) == _slow(tokenizer, data)


# -- the message reader's shapes -----------------------------------------------------------------------------------

def _mutated(data: bytes, rng: random.Random) -> bytes:
    """One to three segment-level edits, the kinds a shape must not swallow: repeats, odd qualifiers, separators
    and release characters in values, a decimal comma, missing or extra components."""
    segments = data.split(b"'")
    for _ in range(rng.randrange(1, 4)):
        if not segments:
            break
        at = rng.randrange(len(segments))
        kind = rng.randrange(6)
        if kind == 0:
            segments.insert(at, segments[rng.randrange(len(segments))])
        elif kind == 1:
            del segments[at]
        elif kind == 2:
            segments[at] += rng.choice([b"+X", b":Y", b"?+", b"??", b":", b"+"])
        elif kind == 3:
            segments[at] = segments[at].replace(b"+", b":", 1)
        elif kind == 4:
            segments[at] = segments[at][: rng.randrange(len(segments[at]) + 1)]
        else:
            segments[at] = rng.choice([b"MEA+AAE+AAA+NMB:5", b"MEA+WT+AAA+KGM:1", b"TAX+1+CUD", b"TAX+1+XXX",
                                       b"MOA+161:3,5", b"DTM+137:20250101:102", b"GIS+X:SPA", b"LOC+22+1",
                                       b"NAD+IM+1::ZZZ++N", b"NAD+SE+++N+S+C++P+CA", b"UNS+D", b"CNT+5:1"])
    return b"'".join(segments)


def _corpus() -> list[bytes]:
    rng = random.Random(7)
    clean = [fixture(name) for name in FIXTURE_NAMES] + _generated(4) + _generated(5, invalid=0.5)
    return clean + [_mutated(data, rng) for data in clean for _ in range(15)]


def test_shapes_read_every_file_as_the_handlers_read_it(monkeypatch):
    corpus = _corpus()
    with_shapes = [parse_edifact(data) for data in corpus]
    monkeypatch.setattr(edifact_shapes, "shapes", lambda *service: {})
    monkeypatch.setattr(edifact, "_MOVES", {})
    for data, expected in zip(corpus, with_shapes, strict=True):
        assert parse_edifact(data) == expected, data[:200]


@pytest.mark.parametrize("kept", [0, 3])
def test_the_matches_a_reader_keeps_change_nothing_it_reads(monkeypatch, kept):
    """The reader keeps the matches of segments a file repeats (``Shape.repeats``): reading with none kept, or
    with the first few only, gives every file of the corpus (mutated ones too, where a header's text turns up in
    a line's slot) the same findings and model."""
    corpus = _corpus()
    as_read = [parse_edifact(data) for data in corpus]
    monkeypatch.setattr(edifact, "MATCHES_KEPT", kept)
    for data, expected in zip(corpus, as_read, strict=True):
        assert parse_edifact(data) == expected, data[:200]


def test_a_text_kept_for_one_slot_is_matched_afresh_in_another():
    """A header place kept from the header, met again in a line's place of origin: the line's slot reads it with
    its own shape (and its handler reports the wrong qualifier), exactly as a reader keeping nothing would."""
    data = fixture("clean_two_messages.edi")
    header_place = next(s for s in data.split(b"'") if s.strip().startswith(b"LOC+22+")).strip()
    line_origin = next(s for s in data.split(b"'") if s.strip().startswith(b"LOC+27+")).strip()
    mixed = data.replace(line_origin, header_place, 1)
    result = parse_edifact(mixed)
    assert any(f.code == "S12" and "LOC" in f.location for f in result.findings), result.findings
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(edifact, "MATCHES_KEPT", 0)
        assert parse_edifact(mixed) == result


@settings(max_examples=300, deadline=None)
@given(charset=st.sampled_from(sorted(SYNTAX_CODECS)), data=st.data())
def test_a_readers_repertoire_finds_what_the_pattern_finds(charset, data):
    """The reader's check of a chunk decoded by the level's codec (printable text passes at once) finds the first
    character outside the level exactly where the pattern does."""
    codec = SYNTAX_CODECS[charset]
    character = st.one_of(st.sampled_from("AZaz09 +:'?\t\n\r\x00\x1f\x7f\x80\x9f\xa0\xad\xe9\xff"),
                          st.characters(max_codepoint=0x3000)).filter(lambda c: _encodable(c, codec))
    text = data.draw(st.text(character, max_size=40))
    chars = interface_characters()
    found, expected = repertoire(charset, chars).search(text), repertoire_pattern(charset, chars).search(text)
    assert (found and found.start()) == (expected and expected.start())


def _encodable(character: str, codec: str) -> bool:
    try:
        character.encode(codec)
    except UnicodeEncodeError:
        return False
    return True
