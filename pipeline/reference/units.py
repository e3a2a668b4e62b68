"""Units of measure: UN/ECE Recommendation 20 codes, CBSA's aliases, and exact conversion factors.

``cbsa_unit_aliases.csv`` maps the codes CBSA prints that are not Rec 20 codes (``NMB`` "number" -> ``C62``
"one", ``PAR`` "pairs" -> ``PR`` "pair") to Rec 20. ``unit_conversions.csv`` lists fixed factors, one
direction each ("multiply a quantity in ``from`` by ``factor`` to get ``to``"); the loader adds the inverse
where it is an exact decimal (1 tonne = 1000 kg gives kg -> tonne 0.001, but 1 dozen = 12 units gives no
unit -> dozen factor, since 1/12 has no exact decimal) and chains factors within a dimension (g -> t).
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from pathlib import Path

from pipeline.reference.table import read_csv
from pipeline.reference.types import Units

DELETED = "X"  # Rec 20 status of a code withdrawn from the recommendation

_EXACT = decimal.Context(prec=34, traps=[decimal.Inexact, decimal.InvalidOperation, decimal.DivisionByZero])


def load_rec20(path: Path) -> frozenset[str]:
    """Every Rec 20 common code that is not deleted (deprecated ones are kept: old files still use them)."""
    codes = set()
    for row in read_csv(path, ("Status", "CommonCode")):
        code = row.text("CommonCode")
        if code in codes:
            raise row.error("CommonCode", f"{code} is given twice")
        if row.values["Status"].strip() != DELETED:
            codes.add(code)
    return frozenset(codes)


def load_aliases(path: Path, known: frozenset[str]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for row in read_csv(path, ("alias", "code", "source")):
        alias, code = row.text("alias").upper(), row.text("code").upper()
        row.text("source")
        if alias in known:
            raise row.error("alias", f"{alias} is itself a Rec 20 code; an alias would shadow it")
        if code not in known:
            raise row.error("code", f"{code} is not a Rec 20 code")
        if alias in aliases:
            raise row.error("alias", f"{alias} is given twice")
        aliases[alias] = code
    return aliases


def _inverse(factor: Decimal) -> Decimal | None:
    try:
        return _EXACT.divide(Decimal(1), factor)
    except decimal.Inexact:
        return None


def load_conversions(path: Path, known: frozenset[str]) -> dict[tuple[str, str], Decimal]:
    given: dict[tuple[str, str], Decimal] = {}
    for row in read_csv(path, ("from", "to", "factor", "source")):
        source, target = row.text("from").upper(), row.text("to").upper()
        for column, code in (("from", source), ("to", target)):
            if code not in known:
                raise row.error(column, f"{code} is not a Rec 20 code (use the Rec 20 code, not an alias)")
        if source == target:
            raise row.error("to", "a unit converts to itself by 1 without a row")
        factor = row.decimal("factor", positive=True)
        row.text("source")
        for pair, value in (((source, target), factor), ((target, source), _inverse(factor))):
            if value is None:
                continue
            if pair in given and given[pair] != value:
                raise row.error("factor", f"{pair[0]} -> {pair[1]} is already {given[pair]}, not {value}")
            given[pair] = value
    return _chain(given)


def _chain(factors: dict[tuple[str, str], Decimal]) -> dict[tuple[str, str], Decimal]:
    """Close the factors under composition (a -> b -> c gives a -> c), exact products only."""
    closed = dict(factors)
    units = sorted({unit for pair in factors for unit in pair})
    for middle in units:
        for start in units:
            first = closed.get((start, middle))
            if first is None:
                continue
            for end in units:
                second = closed.get((middle, end))
                if second is None or start == end or (start, end) in closed:
                    continue
                closed[(start, end)] = _EXACT.multiply(first, second)
    return closed


def load_units(rec20: Path, aliases: Path, conversions: Path) -> Units:
    known = load_rec20(rec20)
    return Units(
        known=known, aliases=load_aliases(aliases, known), factors=load_conversions(conversions, known)
    )
