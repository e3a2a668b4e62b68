"""CUSDEC D.96B (spec/cad-edifact.md) → the canonical model, every syntax problem an S finding.

``parse_edifact`` reads the syntax identifier from the raw UNB, tokenizes the bytes (``edifact_syntax``), follows
the envelope (UNB, optional UNG…UNE groups, UNH…UNT messages, UNZ) and walks each message through the segment
table of the spec, mapping segments to the model as it goes. It keeps reading after a problem for as long as the
structure allows, so that the service provider sees every S finding of the file at once, and it still returns
the interchange when content could be read (``ParseResult.syntax_ok`` tells callers whether it may be used).

Values are kept as the sender wrote them (validation judges them), except that CCYYMMDD dates become
``YYYY-MM-DD`` and the UNA decimal mark becomes '.'.

Speed (issue 11: ten times pydifact's split): the walk through the segment table is memoised as moves from state
to state, and a segment of its slot's usual form (``Shape``) is read from one match instead of being split and
checked element by element; every other segment goes to its handler, which reports what is wrong. The two ways
must read every file alike (``edifact_shapes``): tests/test_edifact_tokenizer.py compares them on fixtures, generated and mutated files.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from functools import cache
from types import MappingProxyType
from typing import Any, NamedTuple

from pydifact.control import Characters

from pipeline.assembler import Assembler
from pipeline.collector import collector_paused
from pipeline.digits import is_ascii_digits
from pipeline.findings import Finding, shortened
from pipeline.model import (
    CANCELLATION,
    CHANGE,
    EMPTY,
    FILER_CHARGE_TYPES,
    ORIGINAL,
    Declaration,
    FilerAmount,
    Interchange,
    Line,
    Party,
)
from pipeline.parsers import ParseResult
from pipeline.parsers.edifact_syntax import (
    SYNTAX_CODECS,
    SYNTAX_VERSIONS,
    RawSegment,
    Segment,
    Tokenizer,
    interface_characters,
    locate_interchange,
    probe_syntax_identifier,
    read_service_string_advice,
    repertoire,
)
from pipeline.parsers.records import RecordsBuilder

CUSDEC_IDENTIFIER = ("CUSDEC", "D", "96B", "UN")
ENVELOPE_TAGS = frozenset({"UNB", "UNG", "UNH", "UNT", "UNE", "UNZ"})
MAX_FINDINGS = 1000  # a file of garbage should not yield a million findings
# Line groups are unbounded in the syntax: the 999-line limit is a business rule (B20).
_UNBOUNDED = sys.maxsize
# ISO 9735 lengths of the numbers the reader compares: UNT 0074, UNE 0060 and UNZ 0036 are n..6; CST 1496 n..5.
COUNT_DIGITS = 6
LINE_NUMBER_DIGITS = 5

# A message without its NAD+IM / NAD+SE (S12) still becomes a declaration; they share one frozen empty party
# each rather than allocate two per message (a file of thousands of empty messages).
_NO_IMPORTER = Party(role="IM", name="")
_NO_VENDOR = Party(role="SE", name="")


class Slot(NamedTuple):
    """A place in a message's segment table: a segment, or a segment group triggered by its first segment."""

    key: str  # names the handler
    tag: str
    min: int
    max: int
    what: str = ""
    group: tuple[Slot, ...] = ()
    complete: tuple[str, ...] = ()  # qualified segments the slot must hold once it is left, e.g. "DTM+137"


CUSDEC_TABLE: tuple[Slot, ...] = (
    Slot("BGM", "BGM", 1, 1, "BGM (CAD type, transaction number, function)"),
    Slot("DTM", "DTM", 1, 3, "DTM (document, release and direct shipment dates)",
         complete=("DTM+137", "DTM+58", "DTM+11")),
    Slot("LOC", "LOC", 1, 2, "LOC (office of release, country of export)", complete=("LOC+22", "LOC+30")),
    Slot("RFF", "RFF", 0, 3),
    Slot("NAD", "NAD", 1, 3, "NAD (importer, vendor)", complete=("NAD+IM", "NAD+SE")),
    Slot("TDT", "TDT", 1, 1, "TDT (mode of transport)"),
    Slot("CUX", "CUX", 1, 1, "CUX (invoice currency)"),
    Slot("UNS.D", "UNS", 1, 1, "UNS+D (start of detail)"),
    Slot("line", "CST", 0, _UNBOUNDED, "CST (line)", (
        Slot("CST", "CST", 1, 1, "CST (line)"),
        Slot("FTX", "FTX", 1, 1, "FTX+AAA (goods description)"),
        Slot("line.LOC", "LOC", 1, 1, "LOC+27 (country of origin)"),
        Slot("MEA", "MEA", 1, 2, "MEA+AAE (quantity)", complete=("MEA+AAE",)),
        Slot("line.MOA", "MOA", 1, 1, "MOA+123 (value for currency conversion)"),
        Slot("line.RFF", "RFF", 0, 1),
        Slot("GIS", "GIS", 0, 4),
        Slot("tax", "TAX", 0, len(FILER_CHARGE_TYPES), "TAX (filer amount)", (
            Slot("TAX", "TAX", 1, 1, "TAX (filer amount)"),
            Slot("tax.MOA", "MOA", 1, 1, "MOA+161 (filer amount)"),
        )),
    )),
    Slot("UNS.S", "UNS", 1, 1, "UNS+S (start of summary)"),
    Slot("CNT", "CNT", 1, 1, "CNT+5 (number of lines)"),
)

# Maximum components of each data element of the D.96B segments used (a simple data element counts 1).
SEGMENT_LAYOUTS: Mapping[str, tuple[int, ...]] = MappingProxyType({
    "BGM": (4, 3, 1, 1),
    "DTM": (3,),
    "LOC": (1, 4, 4, 4, 1),
    "RFF": (4,),
    "NAD": (1, 3, 5, 6, 4, 1, 1, 1, 1),
    "TDT": (1, 1, 2, 2, 4, 1, 3, 4, 1),
    "CUX": (4, 4, 1, 1),
    "UNS": (1,),
    "CST": (1, 3, 3, 3, 3, 3),
    "FTX": (1, 1, 3, 5, 1),
    "MEA": (1, 4, 5, 1),
    "MOA": (5,),
    "GIS": (4,),
    "TAX": (1, 4, 3, 1, 6, 1, 1, 1),
    "CNT": (3,),
})

_HEADER_DATES = MappingProxyType({"137": "document_date", "58": "release_date", "11": "shipment_date"})
_HEADER_PLACES = MappingProxyType({"22": "office", "30": "export_country"})
_HEADER_REFERENCES = MappingProxyType({"AAM": "cargo_control", "IV": "invoice_number", "ACD": "change_reason"})
_PARTY_ROLES = ("IM", "CB", "SE")
_CAD_TYPES = ("AB", "C")
_FUNCTIONS = (ORIGINAL, CHANGE, CANCELLATION)
_TRANSPORT_MODES = ("1", "2", "6", "7", "8", "9")
# MEA purpose → (the property measured it requires, unit field, value field)
_MEASURES = MappingProxyType({
    "AAE": ("AAA", "unit", "quantity"),
    "WT": ("AAB", "gross_weight_unit", "gross_weight"),
})
_GOVERNMENT_CODES = MappingProxyType({
    "SPA": "special_authority", "GST": "gst_exemption", "EXC": "excise_code", "SIM": "sima",
})


def parse_edifact(data: bytes) -> ParseResult:
    """Read a CUSDEC interchange. S findings come back as data; the interchange is None only when no UNB
    could be read (or the UNA made the separators unknowable)."""
    with collector_paused():  # a model of some 10^6 small objects without cycles, a chunk's segments at a time
        return _parse(data)


def _parse(data: bytes) -> ParseResult:
    log = _FindingLog()
    start = locate_interchange(data)
    if start is None:
        log.add(Finding("S03", "no UNB interchange header found at the start of the file", "UNB#1", element="1"))
        return ParseResult(None, log.result())
    chars, offset, has_una = interface_characters(), start, False
    if data.startswith(b"UNA", start):
        chars_or_none, problem = read_service_string_advice(data[start : start + 9].decode("latin-1"))
        if chars_or_none is None:
            log.add(Finding("S02", problem or "invalid UNA", "UNA#1"))
            return ParseResult(None, log.result())
        chars, offset, has_una = chars_or_none, start + 9, True
    syntax = probe_syntax_identifier(data, offset, chars)
    codec = SYNTAX_CODECS.get(syntax.charset)
    if codec is None:
        # Unknown syntax level (an S03 of the UNB): read as ISO 8859-1, where every byte decodes, only to find
        # the file's other problems.
        tokenizer = Tokenizer(chars, "latin-1", None)
    else:
        tokenizer = Tokenizer(chars, codec, repertoire(syntax.charset, chars))
    reader = _InterchangeReader(chars, has_una, log)
    for batch in tokenizer.batches(data, offset):
        reader.read(batch)
    interchange = reader.finish()
    return ParseResult(interchange, log.result(), reader.records.records() if interchange is not None else None)


class _FindingLog:
    """Collects findings, keeping the first ``MAX_FINDINGS`` and counting the rest."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.suppressed: dict[str, int] = {}

    def add(self, finding: Finding) -> None:
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(finding)
        else:
            self.suppressed[finding.code] = self.suppressed.get(finding.code, 0) + 1

    def result(self) -> tuple[Finding, ...]:
        extra = [
            Finding(code, f"{count} more {code} findings not listed", "file") for code, count in self.suppressed.items()
        ]
        return tuple(self.findings + extra)


Elements = list[list[str]]


class _Walker:
    """Follows a message through its segment table with ISO 9735 branching-diagram semantics: a segment may
    repeat its slot up to ``max`` times or move forward (closing groups), never back.

    ``step`` answers the segment's slot (None: no place for it here) and leaves what the move implied in
    ``missing`` (mandatory slots passed over), ``left`` (slots with a ``complete`` set that were moved past)
    and ``closed`` (group instances that ended); the caller empties them.
    """

    def __init__(self, table: tuple[Slot, ...]) -> None:
        self._frames: list[list] = [[table, 0, 0]]  # [slots, index of current slot, times it was used]
        self.missing: list[Slot] = []
        self.left: list[Slot] = []
        self.closed: list[Slot] = []
        self.pending = False  # something was put in missing, left or closed

    def clear(self) -> None:
        self.missing.clear()
        self.left.clear()
        self.closed.clear()
        self.pending = False

    def step(self, tag: str) -> Slot | None:
        frames = self._frames
        frame = frames[-1]
        slots, index, count = frame
        slot = slots[index]
        if slot.tag == tag and count < slot.max:  # the common cases: the slot repeats…
            frame[2] = count + 1
            return slot
        if index + 1 < len(slots) and count >= slot.min:  # …or the next one follows
            following = slots[index + 1]
            if following.tag == tag and not following.group:
                if slot.complete:
                    self.left.append(slot)
                    self.pending = True
                frame[1], frame[2] = index + 1, 1
                return following
        for depth in range(len(frames) - 1, -1, -1):
            slots, index, count = frames[depth]
            for j in range(index, len(slots)):
                slot = slots[j]
                if slot.tag == tag and (j > index or count < slot.max):
                    return self._move(depth, j)
        return None

    def finish(self) -> None:
        while self._frames:
            self._pop()

    @classmethod
    def at(cls, state: WalkerState) -> _Walker:
        """A walker standing where ``state`` says (see ``state``)."""
        walker = cls(CUSDEC_TABLE)
        walker._frames.clear()
        slots = CUSDEC_TABLE
        for index, count in _STANDINGS[state]:
            walker._frames.append([slots, index, count])
            slots = slots[index].group
        return walker

    def state(self) -> WalkerState:
        """Where the walker stands, as a small number. The count of an unbounded slot is kept only as 0, 1 or
        "more" (2): nothing it decides depends on more, so a file has a handful of states whatever its size."""
        standing = tuple((index, min(count, 2) if slots[index].max == _UNBOUNDED else count)
                         for slots, index, count in self._frames)
        if standing not in _STATES:
            _STATES[standing] = len(_STANDINGS)
            _STANDINGS.append(standing)
        return _STATES[standing]

    def effects(self) -> Effects | None:
        """What the last move implied (``left``, ``missing``, ``closed``), None when nothing."""
        return (tuple(self.left), tuple(self.missing), tuple(self.closed)) if self.pending else None

    def _move(self, depth: int, j: int) -> Slot:
        frames = self._frames
        while len(frames) - 1 > depth:
            self._pop()
        frame = frames[depth]
        slots, index, count = frame
        if j == index:
            frame[2] += 1
        else:
            self._leave(slots, index, count, j)
            frame[1], frame[2] = j, 1
        slot = slots[j]
        while slot.group:
            frames.append([slot.group, 0, 1])
            slot = slot.group[0]
        return slot

    def _pop(self) -> None:
        slots, index, count = self._frames.pop()
        self._leave(slots, index, count, len(slots))
        if self._frames:
            parent_slots, parent_index, _ = self._frames[-1]
            self.closed.append(parent_slots[parent_index])
            self.pending = True

    def _leave(self, slots: tuple[Slot, ...], index: int, count: int, stop: int) -> None:
        """Moving from ``slots[index]`` to ``slots[stop]``: what was passed over, what was completed."""
        current = slots[index]
        if count and current.complete:
            self.left.append(current)
        if count < current.min:
            self.missing.append(current)
        self.missing.extend(slot for slot in slots[index + 1 : stop] if slot.min > 0)
        self.pending = bool(self.left or self.missing or self.closed)


WalkerState = int  # a number for each (slot index, count) of the walker's frames met so far
_STATES: dict[tuple[tuple[int, int], ...], WalkerState] = {}
_STANDINGS: list[tuple[tuple[int, int], ...]] = []
Effects = tuple[tuple[Slot, ...], tuple[Slot, ...], tuple[Slot, ...]]
Handler = Callable[["_MessageReader", Elements, str], None]
# What a segment does at a walker state: the state after it, how it is read (None: it has no place there),
# the layout its elements must fit, what the move implied, its shape, its tag, its locations, the moves of
# the state after it, and the shape's pattern when the reader keeps its matches (``Shape.repeats``). Shared by
# every message: the walk of a CUSDEC message has a few dozen distinct moves, each worked out once
# (``_Walker.step``) and then looked up in its state's table (``Moves``) by tag.
Match = Callable[[str], "re.Match[str] | None"]
ShapeReader = Callable[["_MessageReader", "re.Match[str]", str], bool]
Move = tuple[WalkerState, Handler | None, tuple[int, ...], Effects | None, Match | None, ShapeReader | None, str,
             tuple[str, ...], dict[str, Any], "re.Pattern[str] | None"]
# Per state, its moves by tag (and by tag and data separator: the first four characters of a segment's text).
# A move holds its next state's table, so the reader's hot loop looks a segment up with one string key.
Moves = dict[WalkerState, dict[str, Move]]
MATCHES_KEPT = 4096  # a file's repeated segments are a few hundred texts; a hostile one must not keep them all
_LISTED_POSITIONS = 1024  # the locations "TAG#1"… of the first positions are made once per tag, not per segment
_MOVES: dict[tuple[str, str, str], Moves] = {}  # by separators and release
_ENDINGS: dict[WalkerState, Effects | None] = {}
_START: WalkerState = _Walker(CUSDEC_TABLE).state()


def _moves(chars: Characters) -> Moves:
    """The moves worked out so far for a file with these separators (the shapes depend on them)."""
    if len(_MOVES) > 64:  # files with ever other UNAs must not grow the table without end
        _MOVES.clear()
    return _MOVES.setdefault((chars.data_separator, chars.component_separator, chars.escape_character), {})


def _move(moves: Moves, chars: Characters, state: WalkerState, tag: str) -> Move:
    """The move of a segment of a known tag at ``state`` (memoised in ``moves``)."""
    table = moves.setdefault(state, {})
    move = table.get(tag)
    if move is None:
        walker = _Walker.at(state)
        slot = walker.step(tag)
        handler = shape = None
        if slot is not None:
            handler = _HANDLERS[slot.key]
            # The shapes read with this module's code lists, so they are imported once it is loaded.
            from pipeline.parsers.edifact_shapes import shapes

            shape = shapes(chars.data_separator, chars.component_separator, chars.escape_character).get(slot.key)
        matches, reads = (shape.pattern.fullmatch, shape.read) if shape else (None, None)
        kept = shape.pattern if shape and shape.repeats else None
        after = walker.state()
        move = table[tag] = (after, handler, SEGMENT_LAYOUTS[tag], walker.effects(), matches, reads, tag,
                             _locations(tag), moves.setdefault(after, {}), kept)
        if len(tag) == 3:  # how the reader looks up a segment it has not split: by its text's first four characters
            table[tag + chars.data_separator] = move
    return move


@cache  # one per tag of the segment table
def _locations(tag: str) -> tuple[str, ...]:
    return tuple(f"{tag}#{position}" for position in range(_LISTED_POSITIONS))


def _ending(state: WalkerState) -> Effects | None:
    """What closing a message at ``state`` implies (memoised)."""
    if state not in _ENDINGS:
        walker = _Walker.at(state)
        walker.finish()
        _ENDINGS[state] = walker.effects()
    return _ENDINGS[state]


def _component(elements: list[list[str]], element: int, component: int = 0) -> str:
    if element < len(elements):
        components = elements[element]
        if component < len(components):
            return components[component]
    return ""


def _text(elements: list[list[str]], element: int) -> str:
    """A text data element that may be split over components (name lines, free text): joined with spaces."""
    if element >= len(elements):
        return ""
    return " ".join(part for part in elements[element] if part)


def _iso_date(text: str) -> str:
    return f"{text[:4]}-{text[4:6]}-{text[6:]}" if is_ascii_digits(text, 8) else text


def _plain_number(text: str, digits: int) -> int | None:
    """A numeric data element of at most ``digits`` characters (ISO 9735 ``n..digits``) as an int, else None.

    The length is checked before ``int`` sees the text: it refuses over 4,300 digits."""
    return int(text) if len(text) <= digits and is_ascii_digits(text) else None


def _quoted(value: str) -> str:
    """The sender's value for a message, as a literal (it may hold control characters), cut short when long."""
    start, length = shortened(value)
    return f"{start!r}{length}"


def _shown_tag(tag: str) -> str:
    start, length = shortened(tag)
    return f"{start}{length}" if tag else "(empty)"


def _located(tag: str, position: int) -> str:
    """A segment's location: a tag that is no tag (100 KB of text before the first separator) by its start."""
    return f"{shortened(tag)[0]}#{position}"


class _Pool:
    """Holds each distinct location, code and where-map of a file once: a 50 MiB file repeats the same
    ``"MEA#17"`` and ``"NMB"`` hundreds of thousands of times, and memory must stay proportional to the file."""

    def __init__(self) -> None:
        self._strings: dict[str, str] = {}
        self._maps: dict[tuple[str, ...], dict[str, str]] = {}
        self._party_wheres: dict[tuple[str, ...], dict[str, str]] = {}
        self.parties: dict[tuple[str, str], Party] = {}  # by the text of the NAD and its place
        self.matches: dict[str, re.Match[str]] = {}  # of segments whose texts repeat (Shape.repeats), by text
        self.intern = self._strings.setdefault  # intern(value, value): the hot loop's spelling of text(value)

    def text(self, value: str) -> str:
        return self._strings.setdefault(value, value)

    def party_where(self, location: str, fields: tuple[str, ...]) -> dict[str, str]:
        """The where-map of a party whose name and ``fields`` are all at ``location``."""
        key = (location, *fields)
        where = self._party_wheres.get(key)
        if where is None:
            where = self._party_wheres[key] = self.where({field: location for field in ("name", *fields)})
        return where

    def where(self, mapping: dict[str, str]) -> dict[str, str]:
        """A shared, never-mutated dict equal to ``mapping``. Its keys then its values, as one flat tuple, tell it
        apart (half of the tuple is keys): cheaper to make and hash than a tuple of item pairs, once a line."""
        return self._maps.setdefault((*mapping, *mapping.values()), mapping)


class _LineDraft:
    __slots__ = ("values", "where", "seen", "filer", "tax", "location", "number")

    def __init__(self, location: str, values: dict[str, str], where: dict[str, str]) -> None:
        self.values = values
        self.where = where
        self.seen: set[str] = set()
        self.filer: list[FilerAmount] = []
        self.tax: tuple[str, str] | None = None  # (type, TAX location) awaiting its MOA+161
        self.location = location
        self.number = 0


class _MessageReader:
    """One CUSDEC message (UNH…UNT) → a Declaration, with the S12 findings of its content."""

    def __init__(self, reference: str, interchange: _InterchangeReader, *, skip: bool = False) -> None:
        self.reference = reference
        self.pool = pool = interchange.pool
        self.intern = pool.intern
        self.chars = chars = interchange.chars
        self.moves = interchange.moves
        self.split = interchange.split
        self.decimal_mark = chars.decimal_point
        self.log = interchange.log
        self.skip = skip  # S07: count segments for UNT, read nothing
        self.position = 1  # UNH
        self.state = _START  # where the message stands in CUSDEC_TABLE
        self.values: dict[str, str] = {}
        self.where: dict[str, str] = {"message_reference": "UNH#1"}
        self.seen: set[str] = set()
        self.parties: dict[str, Party] = {}
        self.lines: list[Line] = []
        self.record_line = interchange.records.add_line
        self.line: _LineDraft | None = None

    # -- findings ----------------------------------------------------------------------------------------
    def error(self, code: str, message: str, location: str, element: int | None = None) -> None:
        line = self.line.number if self.line is not None else 0
        self.log.add(Finding(code, f"message {self.reference}: {message}", location, line, self.reference,
                             str(element) if element else None))

    def expect(self, elements: Elements, location: str, element: int, component: int,
               allowed: tuple[str, ...], what: str) -> str:
        try:
            value = elements[element][component]
        except IndexError:
            value = ""
        if value not in allowed:
            self.error("S12", f"{what} is {_quoted(value)}, expected {' or '.join(allowed)}", location, element + 1)
        return value

    # -- walking -----------------------------------------------------------------------------------------
    def read(self, batch: list[str | Segment], index: int) -> int:
        """Read the segments of ``batch`` from ``index`` on up to the next envelope segment; its index (or the
        batch's length) comes back. The hot loop of the reader: one pass per segment of the file.

        A segment without problems comes as its text. When it has the usual shape of its slot (``Shape``), its
        values are taken from one match of the shape; any other segment is split and read by its handler, which
        reports what is wrong with it."""
        if self.skip:
            return self.skip_to_envelope(batch, index)
        position, state, intern = self.position, self.state, self.intern
        chars, moves, envelope, known, split = self.chars, self.moves, ENVELOPE_TAGS, _ALL_TAGS, self.split
        table = moves.setdefault(state, {})
        known_matches = self.pool.matches
        known_match = known_matches.get
        listed = _LISTED_POSITIONS
        for index in range(index, len(batch)):  # noqa: B020 - the index read to is the answer
            item = batch[index]
            # A problem-free segment of a slot's tag is known by its first four characters (tag and separator).
            move = table.get(item[:4]) if item.__class__ is str else None
            if move is not None:
                text = item
                position += 1
                if position < listed:
                    location = move[7][position]
                else:
                    location = f"{move[6]}#{position}"
                    location = intern(location, location)
            else:
                text = None
                tag, elements, fault = _segment(item, split)
                if tag in envelope:
                    self.position, self.state = position, state
                    return index
                position += 1
                location = _located(tag, position)
                location = intern(location, location)
                if fault is not None:
                    report_segment_syntax(fault, location, self)
                move = table.get(tag)
                if move is None:
                    if tag not in known:
                        self.error("S12", f"segment {_shown_tag(tag)} is not a segment of CUSDEC D.96B", location)
                        continue
                    move = _move(moves, chars, state, tag)
            state, handler, layout, effects, matches, reads, tag, _, table, kept = move
            if effects is not None:
                self.settle(effects, location)
            if handler is None:
                self.error("S12", f"segment {_shown_tag(tag)} is not allowed here (misplaced or repeated)", location)
                continue
            if text is not None:
                if matches is not None:
                    match = known_match(text) if kept is not None else None
                    if match is None or match.re is not kept:
                        match = matches(text)
                        if kept is not None and match is not None and len(known_matches) < MATCHES_KEPT:
                            known_matches[text] = match
                    if match is not None and reads(self, match, location):
                        continue
                tag, elements = split(text)
            # Compared in C (map/any) because it runs for every segment of the file.
            if len(elements) > len(layout) or any(map(int.__gt__, map(len, elements), layout)):
                self.report_layout(tag, elements, layout, location)
            handler(self, elements, location)
        self.position, self.state = position, state
        return len(batch)

    def skip_to_envelope(self, batch: list[str | Segment], index: int) -> int:
        """An S07 message: its segments are counted for the UNT and checked for syntax only."""
        for index in range(index, len(batch)):  # noqa: B020 - the index read to is the answer
            tag, _, fault = _segment(batch[index], self.split)
            if tag in ENVELOPE_TAGS:
                return index
            self.position += 1
            if fault is not None:
                report_segment_syntax(fault, self.pool.text(_located(tag, self.position)), self)
        return len(batch)

    def report_layout(self, tag: str, elements: list[list[str]], layout: tuple[int, ...], location: str) -> None:
        """Too many data elements or components is S12; the handler still reads the ones it knows."""
        if len(elements) > len(layout):
            self.error("S12", f"{tag} has {len(elements)} data elements, at most {len(layout)}",
                       location, len(layout) + 1)
            return
        for position, (components, limit) in enumerate(zip(elements, layout, strict=False), 1):
            if len(components) > limit:
                self.error("S12", f"{tag} data element {position} has {len(components)} components, "
                                  f"at most {limit}", location, position)

    def settle(self, effects: Effects, location: str) -> None:
        """Act on what a move implied: completeness of qualifiers, missing slots, closed groups."""
        left, missing, closed = effects
        for slot in left:
            scope = self.line.seen if slot.key == "MEA" and self.line is not None else self.seen
            for qualified in slot.complete:
                if qualified not in scope:
                    self.error("S12", f"mandatory segment {qualified} is missing", location)
        for slot in missing:
            self.error("S12", f"mandatory segment {slot.what or slot.tag} is missing", location)
        for slot in closed:
            if slot.key == "tax":
                self.close_tax()
            elif slot.key == "line":
                self.close_line()

    def number(self, text: str) -> str:
        return text.replace(self.decimal_mark, ".") if self.decimal_mark != "." else text

    def put(self, field: str, value: str, location: str) -> None:
        self.values[field] = value
        self.where[field] = location

    def once(self, scope: set[str], key: str, location: str, element: int = 1) -> bool:
        """Record a qualified segment; False (and an S12) when it was already there."""
        if key in scope:
            self.error("S12", f"segment {key} is repeated", location, element)
            return False
        scope.add(key)
        return True

    # -- header ------------------------------------------------------------------------------------------
    def bgm(self, elements: Elements, location: str) -> None:
        self.expect(elements, location, 0, 0, ("929",), "BGM document name code (1001)")
        cad_type = self.expect(elements, location, 0, 3, _CAD_TYPES, "CAD type (BGM 1000)")
        function = self.expect(elements, location, 2, 0, _FUNCTIONS, "message function (BGM 1225)")
        self.put("cad_type", cad_type, location)
        self.put("transaction_number", _component(elements, 1, 0), location)
        self.put("version", _component(elements, 1, 1), location)
        self.put("function", function, location)

    def dtm(self, elements: Elements, location: str) -> None:
        qualifier = self.expect(elements, location, 0, 0, tuple(_HEADER_DATES), "date qualifier (DTM 2005)")
        self.expect(elements, location, 0, 2, ("102",), f"DTM+{qualifier} date format (2379)")
        if qualifier in _HEADER_DATES and self.once(self.seen, f"DTM+{qualifier}", location):
            self.put(_HEADER_DATES[qualifier], _iso_date(_component(elements, 0, 1)), location)

    def loc(self, elements: Elements, location: str) -> None:
        qualifier = self.expect(elements, location, 0, 0, tuple(_HEADER_PLACES), "place qualifier (LOC 3227)")
        if qualifier in _HEADER_PLACES and self.once(self.seen, f"LOC+{qualifier}", location):
            self.put(_HEADER_PLACES[qualifier], _component(elements, 1, 0), location)

    def rff(self, elements: Elements, location: str) -> None:
        qualifier = self.expect(elements, location, 0, 0, tuple(_HEADER_REFERENCES), "reference qualifier (RFF 1153)")
        if qualifier in _HEADER_REFERENCES and self.once(self.seen, f"RFF+{qualifier}", location):
            self.put(_HEADER_REFERENCES[qualifier], _component(elements, 0, 1), location)

    def nad(self, elements: Elements, location: str) -> None:
        role = self.expect(elements, location, 0, 0, _PARTY_ROLES, "party qualifier (NAD 3035)")
        if role not in _PARTY_ROLES or not self.once(self.seen, f"NAD+{role}", location):
            return
        self.add_party(self.party(role, _component(elements, 1, 0), _text(elements, 3), _text(elements, 4),
                                  _component(elements, 5, 0), _component(elements, 7, 0), _component(elements, 8, 0),
                                  location))

    def party(self, role: str, party_id: str, name: str, street: str, city: str, postcode: str, country: str,
              location: str) -> Party:
        fields = (("id", party_id), ("street", street), ("city", city), ("postcode", postcode), ("country", country))
        present = {field: value for field, value in fields if value}
        where = self.pool.party_where(location, tuple(present))
        present.update(role=role, name=name, location=location, where=where)
        return _NEW_PARTY(present)

    def add_party(self, party: Party) -> None:
        self.parties[party.role] = party
        self.where[_ROLE_FIELDS[party.role]] = party.location

    def tdt(self, elements: Elements, location: str) -> None:
        self.expect(elements, location, 0, 0, ("20",), "transport stage qualifier (TDT 8051)")
        mode = self.expect(elements, location, 2, 0, _TRANSPORT_MODES, "mode of transport (TDT 8067)")
        self.put("transport_mode", mode, location)

    def cux(self, elements: Elements, location: str) -> None:
        self.expect(elements, location, 0, 0, ("2",), "currency usage qualifier (CUX 6347)")
        self.expect(elements, location, 0, 2, ("4",), "currency qualifier (CUX 6343)")
        self.put("currency", _component(elements, 0, 1), location)

    def uns_detail(self, elements: Elements, location: str) -> None:
        self.expect(elements, location, 0, 0, ("D",), "section identification (UNS 0081)")
        self.where["lines"] = location

    def uns_summary(self, elements: Elements, location: str) -> None:
        self.expect(elements, location, 0, 0, ("S",), "section identification (UNS 0081)")

    def cnt(self, elements: Elements, location: str) -> None:
        self.expect(elements, location, 0, 0, ("5",), "control qualifier (CNT 6069)")
        self.put("declared_line_count", _component(elements, 0, 1), location)

    # -- lines -------------------------------------------------------------------------------------------
    def cst(self, elements: Elements, location: str) -> None:
        self.open_line(_component(elements, 0, 0), _component(elements, 1, 0), _component(elements, 2, 0), location)
        self.expect(elements, location, 1, 1, ("108",), "classification code list (CST 1131)")
        self.expect(elements, location, 2, 1, ("109",), "tariff treatment code list (CST 1131)")

    def open_line(self, number: str, classification: str, treatment: str, location: str) -> _LineDraft:
        intern = self.intern
        line = self.line = _LineDraft(
            location,
            {"number": intern(number, number), "classification": intern(classification, classification),
             "treatment": intern(treatment, treatment)},
            {"number": location, "classification": location, "treatment": location},
        )
        line.number = _plain_number(number, LINE_NUMBER_DIGITS) or 0  # only to say which line a finding is about
        return line

    def ftx(self, elements: Elements, location: str) -> None:
        self.expect(elements, location, 0, 0, ("AAA",), "text subject (FTX 4451)")
        self.line_put("description", _text(elements, 3), location)

    def line_loc(self, elements: Elements, location: str) -> None:
        self.expect(elements, location, 0, 0, ("27",), "place qualifier (LOC 3227)")
        self.line_put("origin", _component(elements, 1, 0), location)

    def mea(self, elements: Elements, location: str) -> None:
        line = self.line
        assert line is not None  # the walker only reaches MEA inside a line group
        qualifier = self.expect(elements, location, 0, 0, tuple(_MEASURES), "measurement purpose (MEA 6311)")
        if qualifier not in _MEASURES or not self.once(line.seen, f"MEA+{qualifier}", location):
            return
        dimension, unit_field, value_field = _MEASURES[qualifier]
        self.expect(elements, location, 1, 0, (dimension,), f"MEA+{qualifier} property measured (6313)")
        self.line_put(unit_field, _component(elements, 2, 0), location)
        self.line_put(value_field, self.number(_component(elements, 2, 1)), location)

    def line_moa(self, elements: Elements, location: str) -> None:
        self.expect(elements, location, 0, 0, ("123",), "amount qualifier (MOA 5025)")
        self.line_put("value", self.number(_component(elements, 0, 1)), location)

    def line_rff(self, elements: Elements, location: str) -> None:
        self.expect(elements, location, 0, 0, ("AAM",), "reference qualifier (RFF 1153)")
        self.line_put("cargo_control", _component(elements, 0, 1), location)

    def gis(self, elements: Elements, location: str) -> None:
        line = self.line
        assert line is not None
        qualifier = self.expect(elements, location, 0, 1, tuple(_GOVERNMENT_CODES), "GIS code list (1131)")
        if qualifier in _GOVERNMENT_CODES and self.once(line.seen, f"GIS:{qualifier}", location):
            self.line_put(_GOVERNMENT_CODES[qualifier], _component(elements, 0, 0), location)

    def tax(self, elements: Elements, location: str) -> None:
        line = self.line
        assert line is not None
        self.expect(elements, location, 0, 0, ("1",), "duty/tax function (TAX 5283)")
        charge_type = self.expect(elements, location, 1, 0, FILER_CHARGE_TYPES, "duty/tax type (TAX 5153)")
        if self.once(line.seen, f"TAX+{charge_type}", location, 2):
            line.tax = (charge_type, location)

    def tax_moa(self, elements: Elements, location: str) -> None:
        line = self.line
        assert line is not None
        self.expect(elements, location, 0, 0, ("161",), "amount qualifier (MOA 5025)")
        if line.tax is not None:
            amount = self.number(_component(elements, 0, 1))
            line.filer.append(FilerAmount(charge_type=line.tax[0], amount=amount, location=location))
            line.tax = None

    def line_put(self, field: str, value: str, location: str) -> None:
        line = self.line
        assert line is not None
        line.values[field] = self.intern(value, value) if field in _CODE_FIELDS else value
        line.where[field] = location

    def close_tax(self) -> None:
        line = self.line
        if line is not None and line.tax is not None:
            line.filer.append(FilerAmount(charge_type=line.tax[0], amount="", location=line.tax[1]))
            line.tax = None

    def close_line(self) -> None:
        line = self.line
        if line is None:
            return
        values = line.values  # the draft's own, dropped with it
        values["filer_amounts"], values["location"] = tuple(line.filer), line.location
        values["where"] = self.pool.where(line.where)
        built = _NEW_LINE(values)
        self.lines.append(built)
        # the number read for findings is the line number whenever it is not 0 (a text of at most 5 digits)
        self.record_line(built, line.number or None)
        self.line = None

    # -- end ---------------------------------------------------------------------------------------------
    def finish(self, location: str) -> Declaration | None:
        """Close the message (at UNT, or where its UNT was missing) and build the declaration."""
        if self.skip:
            return None
        effects = _ending(self.state)
        if effects is not None:
            self.settle(effects, location)
        parties = {_ROLE_FIELDS[role]: party for role, party in self.parties.items()}  # missing ones: defaults
        return _NEW_DECLARATION(
            self.values, **parties, lines=tuple(self.lines), message_reference=self.reference, location="UNH#1",
            where=self.pool.where(self.where),
        )


# Models built from what the handlers stored, named after their fields; a text a model must have defaults to ''.
_NEW_LINE = Assembler(Line, {
    **dict.fromkeys(("number", "classification", "treatment", "description", "origin", "unit", "quantity", "value"), ""),
    "where": EMPTY,
})
_NEW_PARTY = Assembler(Party, {"role": "", "name": "", "where": EMPTY})
_NEW_DECLARATION = Assembler(Declaration, {
    **dict.fromkeys(("function", "transaction_number", "version", "cad_type", "document_date", "release_date",
                     "shipment_date", "office", "export_country", "transport_mode", "currency"), ""),
    "importer": _NO_IMPORTER, "vendor": _NO_VENDOR, "lines": (), "where": EMPTY,
})
# Line fields whose values repeat across a file (codes), shared through the pool; amounts and texts are not.
_CODE_FIELDS = frozenset({"origin", "unit", "gross_weight_unit", "cargo_control", "special_authority",
                          "gst_exemption", "excise_code", "sima"})
_ROLE_FIELDS = MappingProxyType({"IM": "importer", "CB": "broker", "SE": "vendor"})
_ALL_TAGS = frozenset(
    slot.tag for top in CUSDEC_TABLE for slot in (top, *top.group, *(s for g in top.group for s in g.group))
)
_HANDLERS: Mapping[str, Callable[[_MessageReader, RawSegment, str], None]] = MappingProxyType({
    "BGM": _MessageReader.bgm,
    "DTM": _MessageReader.dtm,
    "LOC": _MessageReader.loc,
    "RFF": _MessageReader.rff,
    "NAD": _MessageReader.nad,
    "TDT": _MessageReader.tdt,
    "CUX": _MessageReader.cux,
    "UNS.D": _MessageReader.uns_detail,
    "CST": _MessageReader.cst,
    "FTX": _MessageReader.ftx,
    "line.LOC": _MessageReader.line_loc,
    "MEA": _MessageReader.mea,
    "line.MOA": _MessageReader.line_moa,
    "line.RFF": _MessageReader.line_rff,
    "GIS": _MessageReader.gis,
    "TAX": _MessageReader.tax,
    "tax.MOA": _MessageReader.tax_moa,
    "UNS.S": _MessageReader.uns_summary,
    "CNT": _MessageReader.cnt,
})


def report_segment_syntax(segment: RawSegment, location: str, reporter: _MessageReader | _InterchangeReader) -> None:
    """S08 for text outside the declared syntax level, S12 for an unterminated last segment."""
    if segment.problem is not None:
        reporter.error("S08", f"segment {_shown_tag(segment.tag)}: {segment.problem}", location, segment.bad_element or None)
    if not segment.terminated:
        reporter.error("S12", f"the file ends inside segment {_shown_tag(segment.tag)} (no segment terminator)", location)


def _segment(item: str | Segment, split: Callable[[str], tuple[str, Elements]]) -> Segment:
    return (*split(item), None) if item.__class__ is str else item  # type: ignore[return-value]


class _Group(NamedTuple):
    reference: str  # UNG 0048, '' when missing


class _InterchangeReader:
    """The envelope: UNB, optional UNG…UNE groups, UNH…UNT messages, UNZ."""

    def __init__(self, chars: Characters, has_una: bool, log: _FindingLog) -> None:
        self.chars = chars
        self.has_una = has_una
        self.log = log
        self.position = 1 if has_una else 0
        self.header: dict[str, str] | None = None
        self.header_location = ""
        self.missing_unb_reported = False
        self.closed = False  # UNZ seen
        self.after_close_reported = False
        self.uses_groups: bool | None = None
        self.group: _Group | None = None
        self.group_messages = 0
        self.groups = 0
        self.messages = 0  # messages outside groups
        self.message: _MessageReader | None = None
        self.references: set[str] = set()
        self.declarations: list[Declaration] = []
        self.records = RecordsBuilder()
        self.pool = _Pool()
        self.split = Tokenizer.splitter(chars)
        self.moves = _moves(chars)

    def error(self, code: str, message: str, location: str, element: int | None = None) -> None:
        self.log.add(Finding(code, message, location, element=str(element) if element else None))

    def read(self, batch: list[str | Segment]) -> None:
        """Read a batch of segments: a message's own segments by the message, the envelope here."""
        index, size = 0, len(batch)
        while index < size:
            message = self.message
            if message is not None:
                stop = message.read(batch, index)
                self.position += stop - index
                if stop == size:
                    return
                index = stop
            self.feed(*_segment(batch[index], self.split))
            index += 1

    def feed(self, tag: str, elements: Elements, fault: RawSegment | None) -> None:
        """Read an envelope segment, or any segment outside a message."""
        self.position += 1
        message = self.message
        if message is not None and tag == "UNT":
            message.position += 1
            location = f"UNT#{message.position}"
            if fault is not None:
                report_segment_syntax(fault, location, message)
            self.close_message(elements, location)
            return
        location = _located(tag, self.position)
        if tag != "UNH" and fault is not None:  # a UNH is located in its own message's numbering (UNH#1)
            report_segment_syntax(fault, location, self)
        if self.closed:
            if not self.after_close_reported:
                self.error("S03", f"segment {_shown_tag(tag)} after UNZ: a file holds one interchange", location)
                self.after_close_reported = True
            return
        if tag == "UNB":
            self.unb(elements, location)
            return
        if self.header is None and not self.missing_unb_reported:
            self.error("S03", f"the interchange starts with {tag}, not with the UNB header", location)
            self.missing_unb_reported = True
        if message is not None:
            self.abandon_message(tag)
        if tag == "UNH":
            self.unh(elements, fault, location)
        elif tag == "UNG":
            self.ung(elements, location)
        elif tag == "UNE":
            self.une(elements, location)
        elif tag == "UNZ":
            self.unz(elements, location)
        elif tag == "UNT":
            self.error("S12", "UNT without a UNH", location)
        else:
            self.error("S12", f"segment {_shown_tag(tag)} outside a message (no UNH before it)", location)

    # -- interchange ------------------------------------------------------------------------------------
    def unb(self, elements: Elements, location: str) -> None:
        if self.header is not None:
            self.error("S03", "a second UNB: a file holds one interchange", location)
            return
        charset, version = _component(elements, 0, 0), _component(elements, 0, 1)
        self.header = {
            "charset": charset,
            "sender": _component(elements, 1, 0),
            "recipient": _component(elements, 2, 0),
            "prepared_at": ":".join(elements[3]) if len(elements) > 3 else "",
            "control_reference": _component(elements, 4, 0),
        }
        self.header_location = location
        if charset not in SYNTAX_CODECS:
            self.error("S03", f"UNB syntax identifier {_quoted(charset)} is not one of {', '.join(SYNTAX_CODECS)}",
                       location, 1)
        if version not in SYNTAX_VERSIONS:
            self.error("S03", f"UNB syntax version {_quoted(version)} is not 3 or 4", location, 1)
        for element, field, what in ((2, "sender", "sender identification (0004)"),
                                     (3, "recipient", "recipient identification (0010)"),
                                     (4, "prepared_at", "date and time of preparation (S004)"),
                                     (5, "control_reference", "interchange control reference (0020)")):
            if not self.header[field]:
                self.error("S03", f"UNB {what} is missing", location, element)

    def unz(self, elements: Elements, location: str) -> None:
        if self.group is not None:
            self.error("S03", f"group {self.group.reference} has no UNE before the UNZ", location)
            self.group = None
        self.closed = True
        count, reference = _component(elements, 0, 0), _component(elements, 1, 0)
        expected = self.groups if self.uses_groups else self.messages
        unit = "groups" if self.uses_groups else "messages"
        counted = _plain_number(count, COUNT_DIGITS)
        if counted is None:
            self.error("S03", f"UNZ interchange control count {_quoted(count)} is not a number of at most "
                              f"{COUNT_DIGITS} digits", location, 1)
        elif counted != expected:
            self.error("S05", f"UNZ counts {count} {unit}, the interchange holds {expected}", location, 1)
        if not reference:
            self.error("S03", "UNZ interchange control reference (0020) is missing", location, 2)
        elif self.header is not None and reference != self.header["control_reference"]:
            self.error("S06", f"UNZ control reference {_quoted(reference)} differs from the UNB's "
                              f"{_quoted(self.header['control_reference'])}", location, 2)

    # -- groups -----------------------------------------------------------------------------------------
    def ung(self, elements: Elements, location: str) -> None:
        if self.group is not None:
            self.error("S03", f"group {self.group.reference} has no UNE before the next UNG", location)
        if self.uses_groups is False:
            self.error("S03", "UNG after messages outside any group: an interchange uses groups throughout or "
                              "not at all", location)
        self.uses_groups = True
        reference = _component(elements, 4, 0)
        if not _component(elements, 0, 0):
            self.error("S03", "UNG message group identification (0038) is missing", location, 1)
        if not reference:
            self.error("S03", "UNG group reference number (0048) is missing", location, 5)
        self.group, self.group_messages = _Group(reference), 0
        self.groups += 1

    def une(self, elements: Elements, location: str) -> None:
        group = self.group
        if group is None:
            self.error("S03", "UNE without a UNG", location)
            return
        count, reference = _component(elements, 0, 0), _component(elements, 1, 0)
        counted = _plain_number(count, COUNT_DIGITS)
        if counted is None:
            self.error("S03", f"UNE group control count {_quoted(count)} is not a number of at most "
                              f"{COUNT_DIGITS} digits", location, 1)
        elif counted != self.group_messages:
            self.error("S05", f"UNE counts {count} messages, group {group.reference} holds {self.group_messages}",
                       location, 1)
        if not reference:
            self.error("S03", "UNE group reference number (0048) is missing", location, 2)
        elif reference != group.reference:
            self.error("S06", f"UNE group reference {_quoted(reference)} differs from the UNG's {_quoted(group.reference)}",
                       location, 2)
        self.group = None

    # -- messages ---------------------------------------------------------------------------------------
    def unh(self, elements: Elements, fault: RawSegment | None, envelope_location: str) -> None:
        """Open a message. Its own findings are located in its numbering (UNH#1); a UNH misplaced in the
        envelope is located by its position in the interchange."""
        if self.group is not None:
            self.group_messages += 1
        else:
            if self.uses_groups:
                self.error("S03", "message outside a group (no UNG before this UNH)", envelope_location)
            self.uses_groups = self.uses_groups or False
            self.messages += 1
        reference = _component(elements, 0, 0)
        identifier = tuple(elements[1][:4]) if len(elements) > 1 else ()
        message = _MessageReader(reference, self, skip=identifier != CUSDEC_IDENTIFIER)
        location = "UNH#1"
        if fault is not None:
            report_segment_syntax(fault, location, message)
        if not reference:
            message.error("S12", "UNH message reference number (0062) is missing", location, 1)
        elif reference in self.references:
            message.error("S12", f"UNH message reference {_quoted(reference)} is used twice in the interchange",
                          location, 1)
        self.references.add(reference)
        if message.skip:
            written = ":".join(elements[1]) if len(elements) > 1 else ""
            message.error("S07", f"message type {_quoted(written)} is not {':'.join(CUSDEC_IDENTIFIER)}", location, 2)
        self.message = message

    def close_message(self, elements: Elements, location: str) -> None:
        message = self.message
        assert message is not None
        count, reference = _component(elements, 0, 0), _component(elements, 1, 0)
        if _plain_number(count, COUNT_DIGITS) != message.position:
            message.error("S04", f"UNT counts {_quoted(count)} segments, the message has {message.position} "
                                 f"(UNH to UNT)", location, 1)
        if reference != message.reference:
            message.error("S06", f"UNT message reference {_quoted(reference)} differs from the UNH's "
                                 f"{_quoted(message.reference)}", location, 2)
        self.end_message(location)

    def abandon_message(self, tag: str) -> None:
        message = self.message
        assert message is not None
        location = _located(tag, message.position + 1)
        message.error("S12", f"UNT missing: the message ends at {tag}", location)
        self.end_message(location)

    def end_message(self, location: str) -> None:
        message = self.message
        assert message is not None
        declaration = message.finish(location)
        if declaration is not None:
            self.declarations.append(declaration)
            self.records.add_declaration(declaration)  # a message without a declaration (S07) read no lines
        self.message = None

    def finish(self) -> Interchange | None:
        end = f"UNZ#{self.position + 1}"
        if self.message is not None:
            self.abandon_message("UNT")
        if not self.closed:
            if self.group is not None:
                self.error("S03", f"group {self.group.reference} has no UNE", f"UNE#{self.position + 1}")
            self.error("S03", "the interchange has no UNZ trailer", end)
        if self.header is None:
            return None
        header, location = self.header, self.header_location
        where = {field: location for field in ("sender", "recipient", "control_reference", "prepared_at", "charset")}
        if self.has_una:
            where["decimal_mark"] = "UNA#1"
        return Interchange(
            syntax="edifact",
            sender=header["sender"],
            control_reference=header["control_reference"],
            declarations=tuple(self.declarations),
            recipient=header["recipient"] or None,
            prepared_at=header["prepared_at"] or None,
            charset=header["charset"] or None,
            decimal_mark=self.chars.decimal_point,
            location=location,
            where=where,
        )
