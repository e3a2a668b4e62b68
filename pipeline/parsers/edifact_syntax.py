"""The EDIFACT syntax layer (ISO 9735): service characters, syntax levels and a fast tokenizer.

Knows nothing of CUSDEC. pydifact's ``Characters`` is the model of the service string advice (UNA); the
tokenizer is our own because pydifact's reads one character at a time, which is too slow for the 50 MiB files
the interface accepts. It works on the raw bytes (every accepted encoding is ASCII-compatible and the service
characters are ASCII, so a separator byte is never part of a multi-byte character) a chunk of about a MiB at a
time: a chunk is decoded and checked against the repertoire as a whole, and only a chunk with a fault is read
again one segment at a time, so that a byte that is invalid in the declared encoding is reported against its own
segment. Memory stays proportional to the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from itertools import repeat
from types import MappingProxyType
from typing import NamedTuple

from pydifact.control import Characters

# Syntax identifier (UNB 0001) → Python codec. UNOA and UNOB are 7-bit; their repertoires are narrower than
# ASCII and are checked separately (``repertoire_pattern``).
SYNTAX_CODECS: Mapping[str, str] = MappingProxyType(
    {"UNOA": "ascii", "UNOB": "ascii", "UNOC": "latin-1", "UNOY": "utf-8"}
)
SYNTAX_VERSIONS = ("3", "4")

# ISO 9735 level A: upper-case letters, digits, space and these marks (the default separators are among them).
LEVEL_A = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-()/='+:?!\"%&*;<>"
# What may stand between a segment terminator and the next tag (ignored).
INTER_SEGMENT_WHITESPACE = " \r\n\t"
_INTER_SEGMENT_BYTES = INTER_SEGMENT_WHITESPACE.encode("ascii")
# How far into a file a junk line may push the interchange start (same tolerance as ``parsers.sniff``).
MAX_LEADING_JUNK = 256


def interface_characters() -> Characters:
    """The service characters that apply without a UNA: ISO 9735 defaults, with '.' as decimal mark (spec)."""
    return Characters(decimal_point=".")


def read_service_string_advice(una: str) -> tuple[Characters | None, str | None]:
    """``(characters, None)`` for a valid ``UNA`` + 6 characters, else ``(None, why)`` (an S02)."""
    if len(una) != 9 or not una.startswith("UNA"):
        return None, f"service string advice {una!r} is not 'UNA' followed by 6 service characters"
    service = una[3:]
    names = ("component separator", "data element separator", "decimal mark", "release character",
             "reserved character", "segment terminator")
    for name, char in zip(names, service, strict=True):
        if not (char.isascii() and char.isprintable()) or char.isalnum():
            return None, f"UNA {name} {char!r} must be a printable ASCII mark, not a letter, digit or control"
    component, element, decimal, release, reserved, terminator = service
    if decimal not in ".,":
        return None, f"UNA decimal mark {decimal!r} must be '.' or ','"
    separators = (component, element, decimal, release, terminator)
    if len(set(separators)) != len(separators) or (reserved != " " and reserved in separators):
        return None, f"UNA service characters {service!r} are not all distinct"
    if " " in separators:
        return None, "UNA may not use a space as separator, release character or decimal mark"
    return Characters.from_str(una), None


def repertoire_pattern(charset: str, chars: Characters) -> re.Pattern[str]:
    """A pattern whose first match in a segment is a character outside the declared syntax level.

    UNOA is ISO 9735 level A; UNOB printable ASCII; UNOC the graphic characters of ISO 8859-1 (its C1 controls
    0x80-0x9F are not part of the repertoire, which catches Windows-1252 text sent as UNOC); UNOY any character
    but controls. The declared service characters are always allowed.
    """
    return _repertoire_pattern(charset, str(chars))


@lru_cache(maxsize=64)
def _repertoire_pattern(charset: str, service_characters: str) -> re.Pattern[str]:
    # Memoised: the answer writers ask for the pattern of every text they write (hundreds of thousands a run).
    service = re.escape(service_characters)
    if charset == "UNOA":
        return re.compile(f"[^{re.escape(LEVEL_A)}{service}]")
    if charset == "UNOB":
        return re.compile(f"[^\\x20-\\x7e{service}]")
    if charset == "UNOC":
        return re.compile(f"[^\\x20-\\x7e\\xa0-\\xff{service}]")
    return re.compile("[\\x00-\\x1f\\x7f-\\x9f]")


class Repertoire(NamedTuple):
    """What a syntax level can carry, checked on a reader's whole chunk of text at a time: ``search`` answers the
    first character outside it, as ``pattern`` does, in text its codec decoded (``SYNTAX_CODECS``). Text that is
    all printable (``str.isprintable``, and all ASCII for UNOB) is inside every level but UNOA, and checking that
    costs a third of matching the pattern character by character; only other text is searched with the
    pattern."""

    pattern: re.Pattern[str]
    printable_within: bool  # every printable character is inside the level
    ascii_only: bool

    def search(self, text: str) -> re.Match[str] | None:
        if self.printable_within and text.isprintable() and (text.isascii() or not self.ascii_only):
            return None
        return self.pattern.search(text)


def repertoire(charset: str, chars: Characters) -> Repertoire:
    """The repertoire of a syntax level for a reader (``Repertoire``), service characters included."""
    return Repertoire(repertoire_pattern(charset, chars), charset != "UNOA", charset == "UNOB")


def first_outside_repertoire(text: str, charset: str, chars: Characters | None = None) -> str | None:
    """The first character of ``text`` that ``charset`` cannot carry, or None (for writers)."""
    if charset not in SYNTAX_CODECS:
        raise ValueError(f"unsupported syntax identifier {charset!r}")
    match = repertoire_pattern(charset, chars or interface_characters()).search(text)
    return match.group() if match else None


def describe_character(char: str) -> str:
    return f"{char!r} (U+{ord(char):04X})"


def locate_interchange(data: bytes) -> int | None:
    """Byte offset of the UNA or UNB that opens the interchange, skipping a BOM, whitespace or a short junk line."""
    at = len(data) - len(data.lstrip(b"\xef\xbb\xbf" + _INTER_SEGMENT_BYTES))
    if at >= len(data) - 3:
        return None
    if data.startswith((b"UNA", b"UNB"), at):
        return at
    window = data[at : at + MAX_LEADING_JUNK]
    found = [offset for offset in (window.find(b"UNA"), window.find(b"UNB")) if offset > 0]
    return at + min(found) if found else None


class SyntaxIdentifier(NamedTuple):
    """What the UNB says about the syntax, read from the raw bytes before anything is decoded."""

    charset: str  # UNB 0001 as written ('' when there is no UNB)
    version: str  # UNB 0002 as written


def probe_syntax_identifier(data: bytes, offset: int, chars: Characters) -> SyntaxIdentifier:
    """Read UNB 0001/0002 as ASCII from the bytes at ``offset`` (just after the UNA, or at the UNB)."""
    window = data[offset : offset + 4096]
    at = offset + len(window) - len(window.lstrip(_INTER_SEGMENT_BYTES))
    element, component = chars.data_separator.encode("ascii"), chars.component_separator.encode("ascii")
    if not data.startswith(b"UNB" + element, at):
        return SyntaxIdentifier("", "")
    head = data[at + 4 : at + 64]
    for stop in (element, chars.segment_terminator.encode("ascii")):
        head = head.split(stop, 1)[0]
    identifier, _, rest = head.partition(component)
    version = rest.split(component, 1)[0]
    return SyntaxIdentifier(identifier.decode("latin-1"), version.decode("latin-1"))


def _join_released(text: str, pieces: list[str], terminator: str, release: str) -> list[str]:
    """``pieces`` (``text`` split at every terminator) joined again where an odd run of release characters takes
    the terminator literally. Only the pieces before a release character and a terminator are looked at, each
    run of release characters counted once: linear in the text."""
    released: list[int] = []  # indices of the pieces whose terminator is released
    marker = release + terminator
    index = counted_to = 0
    at = text.find(marker)
    while at >= 0:
        index += text.count(terminator, counted_to, at + 1)
        counted_to = at + 1
        piece = pieces[index]
        if (len(piece) - len(piece.rstrip(release))) % 2:
            released.append(index)
        at = text.find(marker, at + 2)
    if not released:
        return pieces
    joined: list[str] = []
    kept = 0  # pieces before this one are in joined
    run = 0
    while run < len(released):
        first = last = released[run]
        while run + 1 < len(released) and released[run + 1] == last + 1:
            run += 1
            last += 1
        joined.extend(pieces[kept:first])
        joined.append(terminator.join(pieces[first : last + 2]))
        kept = last + 2
        run += 1
    joined.extend(pieces[kept:])
    return joined


class RawSegment(NamedTuple):
    """One segment as read: tag, data elements (each a list of components, release characters removed)."""

    tag: str
    elements: list[list[str]]
    problem: str | None  # why the segment breaks the declared syntax level (an S08), else None
    bad_element: int  # 1-based position of the element holding the problem (0: the tag or unknown)
    terminated: bool  # False only for text after the last segment terminator


# A segment as the reader takes it: tag, data elements, and the RawSegment itself when it has a problem to report
# (text outside the syntax level, no terminator), else None.
Segment = tuple[str, list[list[str]], RawSegment | None]


class Tokenizer:
    """Splits the bytes of an interchange into segments, honouring the release character.

    Linear in the input whatever the sender wrote: terminators and release characters are found with
    ``bytes.find``/``str.find`` and the text between them is split in C; no pattern that can backtrack runs over
    the sender's text. A terminator is released when an odd run of release characters stands before it.

    The file is read in chunks of about ``CHUNK_BYTES`` that end at a segment terminator. A chunk is decoded,
    checked against the repertoire and split as a whole (the common case: one C call each instead of one per
    segment); only a chunk where one of these finds a fault is read again segment by segment, to report the
    fault against its own segment. Memory stays proportional to the file.
    """

    CHUNK_BYTES = 1 << 20

    def __init__(self, chars: Characters, codec: str, repertoire: Repertoire | re.Pattern[str] | None) -> None:
        self.chars = chars
        self.codec = codec
        self.repertoire = repertoire
        self._terminator = chars.segment_terminator.encode("ascii")
        self._release = ord(chars.escape_character)

    def segments(self, data: bytes, offset: int) -> Iterator[RawSegment]:
        """Every segment from ``offset`` on; whitespace between segments is skipped, empty text yields nothing."""
        for batch in self.batches(data, offset):
            for item in batch:
                if item.__class__ is str:
                    yield RawSegment(*self.split(item), None, 0, True)
                else:
                    yield item[2] or RawSegment(item[0], item[1], None, 0, True)

    def batches(self, data: bytes, offset: int) -> Iterator[list[str | Segment]]:
        """The segments from ``offset`` on, a chunk's worth at a time: each the text of a segment that is free of
        problems (not split yet: ``split`` it), or a ``Segment`` when it was read with a problem to report."""
        start, size, find = offset, len(data), data.find
        terminator, release = self._terminator, self._release
        while start < size:
            stop = find(terminator, min(start + self.CHUNK_BYTES, size - 1))
            if stop > start and data[stop - 1] == release:
                stop = self._unreleased_terminator(data, start, stop)
            end = size if stop < 0 else stop + 1
            batch = self._chunk(data, start, end)
            if batch is None:
                batch = [(segment.tag, segment.elements, None if segment.problem is None and segment.terminated
                          else segment) for segment in self._segments_between(data, start, end)]
            yield batch
            start = end

    def _chunk(self, data: bytes, start: int, end: int) -> list[str | Segment] | None:
        """The segments of ``data[start:end]`` (which ends at a terminator or at the end of the file) read as a
        whole; None when the chunk has text the declared syntax level cannot carry."""
        terminator, release = self.chars.segment_terminator, self.chars.escape_character
        try:
            text = data[start:end].decode(self.codec)
        except UnicodeDecodeError:
            return None
        pieces = text.split(terminator)
        if release + terminator in text:
            pieces = _join_released(text, pieces, terminator, release)
        bodies = list(map(str.lstrip, pieces, repeat(INTER_SEGMENT_WHITESPACE, len(pieces))))
        tail = bodies.pop().rstrip(INTER_SEGMENT_WHITESPACE)
        repertoire = self.repertoire
        if repertoire is not None and repertoire.search(terminator.join(bodies)) is not None:
            return None
        batch: list[str | Segment] = bodies  # type: ignore[assignment]  # the list is only appended to
        if tail:
            segment = self._read(tail.encode(self.codec), False)
            batch.append((segment.tag, segment.elements, segment))
        return batch

    def _segments_between(self, data: bytes, start: int, end: int) -> Iterator[RawSegment]:
        """The slow path: one segment at a time, each decoded and checked on its own."""
        terminator, find = self._terminator, data.find
        while True:
            stop = find(terminator, start, end)
            if stop > start and data[stop - 1] == self._release:
                stop = self._unreleased_terminator(data, start, stop)
            if stop < 0:
                break
            body = data[start:stop].lstrip(_INTER_SEGMENT_BYTES)
            start = stop + 1
            yield self._read(body, True)
        tail = data[start:end].strip(_INTER_SEGMENT_BYTES)
        if tail:
            yield self._read(tail, False)

    def _unreleased_terminator(self, data: bytes, start: int, stop: int) -> int:
        """The first terminator from ``stop`` on that no release character takes literally (-1: none).

        Each run of release characters counted ends at its own terminator, so the runs are disjoint and the
        counting is linear in the file however many there are."""
        terminator, release = self._terminator, self._release
        while stop >= 0:
            before = stop
            while before > start and data[before - 1] == release:
                before -= 1
            if (stop - before) % 2 == 0:
                return stop
            stop = data.find(terminator, stop + 1)
        return stop

    def _read(self, body: bytes, terminated: bool) -> RawSegment:
        """The slow path: a segment with a problem to describe (or the unterminated end of the file)."""
        problem, bad_at = None, -1
        try:
            text = body.decode(self.codec)
        except UnicodeDecodeError as error:
            bad = body[error.start : error.end]
            problem = f"byte(s) {bad.hex(' ').upper()} not valid in the declared encoding ({self.codec})"
            bad_at = len(body[: error.start].decode(self.codec, "replace"))
            text = body.decode(self.codec, "replace")
        if problem is None and self.repertoire is not None:
            outside = self.repertoire.search(text)
            if outside:
                problem = f"character {describe_character(outside.group())} is outside the declared syntax level"
                bad_at = outside.start()
        tag, elements = self.split(text)
        bad_element = self._element_position(text, bad_at) if problem else 0
        return RawSegment(tag, elements, problem, bad_element, terminated)

    @staticmethod
    def splitter(chars: Characters) -> Callable[[str], tuple[str, list[list[str]]]]:
        """``split`` for text that was decoded already."""
        return Tokenizer(chars, "latin-1", None).split

    def split(self, text: str) -> tuple[str, list[list[str]]]:
        """Tag and data elements of a segment's text; the tag is the whole first element."""
        chars = self.chars
        if chars.escape_character not in text:
            parts = text.split(chars.data_separator)
            separator = chars.component_separator
            return parts[0], [part.split(separator) for part in parts[1:]]
        return self._split_released(text)

    def _split_released(self, text: str) -> tuple[str, list[list[str]]]:
        """Split on the separators that are not released and drop the release characters, in one pass from
        release character to release character (a lone one at the very end is kept as written)."""
        release, element_separator = self.chars.escape_character, self.chars.data_separator
        component_separator = self.chars.component_separator
        elements: list[list[str]] = []
        components: list[str] = []
        pieces: list[str] = []  # of the component being read
        start = 0
        while True:
            at = text.find(release, start)
            plain = text[start:] if at < 0 else text[start:at]
            for index, element in enumerate(plain.split(element_separator)):
                if index:
                    components.append("".join(pieces))
                    elements.append(components)
                    components, pieces = [], []
                for position, component in enumerate(element.split(component_separator)):
                    if position:
                        components.append("".join(pieces))
                        pieces = []
                    pieces.append(component)
            if at < 0:
                break
            pieces.append(text[at + 1 : at + 2] or release)
            start = at + 2
        components.append("".join(pieces))
        elements.append(components)
        return component_separator.join(elements[0]), elements[1:]

    def _element_position(self, text: str, index: int) -> int:
        """1-based element position of ``text[index]`` (0 when it lies in the tag)."""
        release, separator = self.chars.escape_character, self.chars.data_separator
        count = start = 0
        while (at := text.find(release, start, index)) >= 0:
            count += text.count(separator, start, at)
            start = at + 2
        return count + text.count(separator, start, max(index, start))
