"""The usual form of each CUSDEC slot's segment, read in one match: the EDIFACT reader's fast way.

A ``Shape`` matches only text on which the slot's handler (``edifact._MessageReader``) would report nothing, and
its ``read`` stores what the handler would store; any other segment goes to the handler. A value is any text
without a separator or release character, so a match is linear in the text. tests/test_edifact_tokenizer.py reads
fixtures, generated and mutated files both ways and requires the same findings and model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from pipeline.model import FILER_CHARGE_TYPES, FilerAmount
from pipeline.parsers.edifact import (
    _CAD_TYPES,
    _CODE_FIELDS,
    _FUNCTIONS,
    _GOVERNMENT_CODES,
    _HEADER_DATES,
    _HEADER_PLACES,
    _HEADER_REFERENCES,
    _MEASURES,
    _PARTY_ROLES,
    _TRANSPORT_MODES,
    _iso_date,
)

if TYPE_CHECKING:
    from pipeline.parsers.edifact import _MessageReader


class Shape(NamedTuple):
    """The usual form of a slot's segment, read in one match: ``pattern`` matches only text on which the slot's
    handler would report nothing and ``read`` stores what the handler would store. ``read`` answers False,
    storing nothing, when the segment needs the handler after all (a repeated qualifier, an unknown code).
    ``repeats``: the same text comes back message after message in a file (dates, places, parties, codes), so the
    reader keeps its match instead of matching it again."""

    pattern: re.Pattern[str]
    read: Callable[[_MessageReader, re.Match[str], str], bool]
    repeats: bool = False


def _once(scope: set[str], key: str) -> bool:
    """Record a qualified segment that is not there yet; False (the handler reports the repetition)."""
    if key in scope:
        return False
    scope.add(key)
    return True


_MEASURE_KEYS = MappingProxyType({qualifier: f"MEA+{qualifier}" for qualifier in _MEASURES})
_TAX_KEYS = MappingProxyType({charge_type: f"TAX+{charge_type}" for charge_type in FILER_CHARGE_TYPES})


def _read_bgm(reader: _MessageReader, match: re.Match[str], location: str) -> bool:
    cad_type, number, version, function = match.groups()
    reader.values.update(cad_type=cad_type, transaction_number=number, version=version, function=function)
    reader.where.update(cad_type=location, transaction_number=location, version=location, function=location)
    return True


def _read_qualified(tag: str, fields: Mapping[str, str], convert: Callable[[str], str] = str
                    ) -> Callable[[_MessageReader, re.Match[str], str], bool]:
    """A header segment whose qualifier names the field (DTM, LOC, RFF), each qualifier once."""

    keys = {qualifier: f"{tag}+{qualifier}" for qualifier in fields}

    def read(reader: _MessageReader, match: re.Match[str], location: str) -> bool:
        qualifier, value = match.groups()
        key, seen = keys[qualifier], reader.seen
        if key in seen:
            return False
        seen.add(key)
        field = fields[qualifier]
        reader.values[field] = convert(value)
        reader.where[field] = location
        return True

    return read


def _read_field(field: str) -> Callable[[_MessageReader, re.Match[str], str], bool]:
    """A segment that carries one value of the header."""

    def read(reader: _MessageReader, match: re.Match[str], location: str) -> bool:
        reader.values[field] = match[1]
        reader.where[field] = location
        return True

    return read


def _read_line_field(field: str, *, number: bool = False) -> Callable[[_MessageReader, re.Match[str], str], bool]:
    """A segment that carries one value of the line (``line_put``, spelt out: it runs for most segments)."""
    pooled = field in _CODE_FIELDS

    def read(reader: _MessageReader, match: re.Match[str], location: str) -> bool:
        line = reader.line
        if line is None:
            return False
        value = match[1]
        if number and reader.decimal_mark != ".":
            value = value.replace(reader.decimal_mark, ".")
        line.values[field] = reader.intern(value, value) if pooled else value
        line.where[field] = location
        return True

    return read


def _read_nad(reader: _MessageReader, match: re.Match[str], location: str) -> bool:
    """A file names the same few parties in message after message: a party read once at a place is shared."""
    role = match[1]
    if not _once(reader.seen, f"NAD+{role}"):
        return False
    known = reader.pool.parties
    party = known.get((match.string, location))
    if party is None:
        party = known[match.string, location] = reader.party(*match.groups(""), location)
    reader.add_party(party)
    return True


def _read_uns_detail(reader: _MessageReader, match: re.Match[str], location: str) -> bool:
    reader.where["lines"] = location
    return True


def _read_nothing(reader: _MessageReader, match: re.Match[str], location: str) -> bool:
    return True


def _read_cst(reader: _MessageReader, match: re.Match[str], location: str) -> bool:
    reader.open_line(*match.groups(), location)
    return True


def _read_mea(reader: _MessageReader, match: re.Match[str], location: str) -> bool:
    qualifier, dimension, unit, value = match.groups()
    required, unit_field, value_field = _MEASURES[qualifier]
    line = reader.line
    if dimension != required or line is None:
        return False
    key, seen = _MEASURE_KEYS[qualifier], line.seen
    if key in seen:
        return False
    seen.add(key)
    if reader.decimal_mark != ".":
        value = value.replace(reader.decimal_mark, ".")
    line.values[unit_field] = reader.intern(unit, unit)
    line.values[value_field] = value
    line.where[unit_field] = line.where[value_field] = location
    return True


def _read_gis(reader: _MessageReader, match: re.Match[str], location: str) -> bool:
    code, qualifier = match.groups()
    line = reader.line
    if line is None or not _once(line.seen, f"GIS:{qualifier}"):
        return False
    reader.line_put(_GOVERNMENT_CODES[qualifier], code, location)
    return True


def _read_tax(reader: _MessageReader, match: re.Match[str], location: str) -> bool:
    key = _TAX_KEYS.get(match[1])
    line = reader.line
    if key is None or line is None or key in line.seen:
        return False
    line.seen.add(key)
    charge_type = match[1]
    line.tax = (charge_type, location)
    return True


def _read_tax_moa(reader: _MessageReader, match: re.Match[str], location: str) -> bool:
    line = reader.line
    if line is None:
        return False
    if line.tax is not None:
        line.filer.append(FilerAmount(charge_type=line.tax[0], amount=reader.number(match[1]), location=location))
        line.tax = None
    return True


#: The slots whose segments a file repeats word for word (``Shape.repeats``); amounts, quantities, transaction
#: numbers and line numbers do not repeat.
_REPEATING = frozenset({"DTM", "LOC", "NAD", "TDT", "CUX", "UNS.D", "line.LOC", "GIS", "TAX", "UNS.S"})


@lru_cache(maxsize=16)
def shapes(element_separator: str, component_separator: str, release: str) -> Mapping[str, Shape]:
    """The usual form of each slot's segment for these service characters. A value is any text without a
    separator or release character (a segment with a release character goes to its handler), so a match is
    linear in the text."""
    e, c = re.escape(element_separator), re.escape(component_separator)
    value = f"([^{e}{c}{re.escape(release)}]*)"
    rest = f"[^{e}{c}{re.escape(release)}]*"

    def one_of(codes: Iterable[str]) -> str:
        return "(" + "|".join(map(re.escape, codes)) + ")"

    forms = {
        "BGM": (f"BGM{e}929{c}{c}{c}{one_of(_CAD_TYPES)}{e}{value}{c}{value}{e}{one_of(_FUNCTIONS)}", _read_bgm),
        "DTM": (f"DTM{e}{one_of(_HEADER_DATES)}{c}{value}{c}102", _read_qualified("DTM", _HEADER_DATES, _iso_date)),
        "LOC": (f"LOC{e}{one_of(_HEADER_PLACES)}{e}{value}", _read_qualified("LOC", _HEADER_PLACES)),
        "RFF": (f"RFF{e}{one_of(_HEADER_REFERENCES)}{c}{value}", _read_qualified("RFF", _HEADER_REFERENCES)),
        "NAD": (f"NAD{e}{one_of(_PARTY_ROLES)}{e}{value}(?:{c}{rest}){{0,2}}{e}{e}{value}"
                f"(?:{e}{value}{e}{value}{e}{e}{value}{e}{value})?", _read_nad),
        "TDT": (f"TDT{e}20{e}{e}{one_of(_TRANSPORT_MODES)}", _read_field("transport_mode")),
        "CUX": (f"CUX{e}2{c}{value}{c}4", _read_field("currency")),
        "UNS.D": (f"UNS{e}D", _read_uns_detail),
        "CST": (f"CST{e}{value}{e}{value}{c}108{c}{rest}{e}{value}{c}109{c}{rest}", _read_cst),
        "FTX": (f"FTX{e}AAA{e}{e}{e}{value}", _read_line_field("description")),
        "line.LOC": (f"LOC{e}27{e}{value}", _read_line_field("origin")),
        "MEA": (f"MEA{e}{one_of(_MEASURES)}{e}(AAA|AAB){e}{value}{c}{value}", _read_mea),
        "line.MOA": (f"MOA{e}123{c}{value}", _read_line_field("value", number=True)),
        "line.RFF": (f"RFF{e}AAM{c}{value}", _read_line_field("cargo_control")),
        "GIS": (f"GIS{e}{value}{c}{one_of(_GOVERNMENT_CODES)}", _read_gis),
        "TAX": (f"TAX{e}1{e}{value}", _read_tax),
        "tax.MOA": (f"MOA{e}161{c}{value}", _read_tax_moa),
        "UNS.S": (f"UNS{e}S", _read_nothing),
        "CNT": (f"CNT{e}5{c}{value}", _read_field("declared_line_count")),
    }
    return MappingProxyType({key: Shape(re.compile(pattern), read, key in _REPEATING)
                             for key, (pattern, read) in forms.items()})
