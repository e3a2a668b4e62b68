"""Declarations → one DataFrame holding every line of the batch, in columns the engine computes on.

Columns of ``LineFrame.lines`` (one row per line, in declaration order, lines in file order):

| column | type | meaning |
| --- | --- | --- |
| declaration | int64 | index of the declaration in the batch |
| position | int64 | index of the line in ``Declaration.lines`` |
| line | int64 | the line number the filer gave |
| classification | category | digits only, e.g. ``9503001010`` |
| treatment, origin, currency, unit | category | tariff treatment, origin country, invoice currency, declared unit |
| release, shipment | datetime64 | release date and direct-shipment date of the declaration |
| value | int64 (object if huge) | value for currency conversion × 10**value_exponent, in the invoice currency |
| quantity | int64 (object if huge) | quantity × 10**quantity_exponent, in the declared unit |
| clvs | bool | the declaration is a courier low-value shipment (CAD type C) |
| shipment_id | int64 | one id per CLVS shipment (declaration, cargo control number), a line without one being its own; -1 outside CLVS declarations |
| special_authority, gst_exemption, excise_code, sima_code | category | the line's codes, NaN where absent |

The exponents are the batch's largest number of decimals in the value and quantity texts, so every text is
carried exactly (``value_exponent`` is 2 for a batch of cent amounts; a JPY value "1500" is 150000 at exponent 2).
Validation (B15) has already held each value to its currency's minor units.

``LineFrame.filer`` holds the filer's own amounts: ``row`` (row of ``lines``), ``index`` (position in
``Line.filer_amounts``), ``charge`` (CUD…GST), ``amount`` (text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.assess.fixed import parse_decimal_texts
from pipeline.assess.lookups import distinct
from pipeline.digits import ascii_int
from pipeline.model import NUMBER_DIGITS, Declaration
from pipeline.reference.types import digits

CLVS_CAD_TYPE = "C"


@dataclass(frozen=True, slots=True)
class LineFrame:
    lines: pd.DataFrame
    filer: pd.DataFrame
    value_exponent: int
    quantity_exponent: int
    declaration_count: int


def _category(values: list[str | None]) -> pd.Categorical:
    if values.count(None) == len(values):  # an optional code nobody gave: no hashing needed
        codes, uniques = np.full(len(values), -1, dtype=np.int8), []
    else:
        codes, uniques = pd.factorize(np.array(values, dtype=object), use_na_sentinel=True)
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object))


def _classifications(values: list[str]) -> pd.Categorical:
    """Classifications as digits only ("9503.00.10.10" and "9503001010" are one category)."""
    codes, uniques = pd.factorize(np.array(values, dtype=object))
    digit_codes, digit_uniques = pd.factorize(np.array([digits(code) for code in uniques], dtype=object))
    return pd.Categorical.from_codes(digit_codes[codes], categories=pd.Index(digit_uniques, dtype=object))


def _line_numbers(lines: list) -> np.ndarray:
    """``Line.line_number`` of every line, worked out once per distinct text (line numbers repeat)."""
    codes, uniques = pd.factorize(np.array([line.number for line in lines], dtype=object))
    numbers = np.array([ascii_int(text, NUMBER_DIGITS) or 0 for text in uniques], dtype=np.int64)
    return numbers[codes]


def _parse_repeated(texts: list[str]) -> tuple[np.ndarray, int]:
    """``parse_decimal_texts`` once per distinct text: quantities repeat ("1", "10", "2.5"), values do not."""
    codes, uniques = pd.factorize(np.array(texts, dtype=object))
    parsed, exponent = parse_decimal_texts(list(uniques))
    return parsed[codes], exponent


def _shipment_ids(declaration_index: np.ndarray, lines: list, clvs: np.ndarray) -> np.ndarray:
    """One id per (declaration, cargo control number) of the CLVS lines; a line without a number is its own."""
    if not clvs.any():
        return np.zeros(len(lines), dtype=np.int64)
    rows = np.flatnonzero(clvs)
    numbers, _ = pd.factorize(np.array([lines[row].cargo_control for row in rows], dtype=object), use_na_sentinel=True)
    numbers = np.where(numbers < 0, numbers.max(initial=0) + 1 + np.arange(len(rows)), numbers)
    ids = np.full(len(lines), -1, dtype=np.int64)
    ids[rows] = distinct(declaration_index[rows], numbers).inverse
    return ids


def _dates(texts: list[str], counts: np.ndarray) -> np.ndarray:
    return np.repeat(np.array(texts, dtype="datetime64[D]"), counts)


def build_line_frame(declarations: Sequence[Declaration]) -> LineFrame:
    counts = np.fromiter((len(d.lines) for d in declarations), dtype=np.int64, count=len(declarations))
    lines = [line for declaration in declarations for line in declaration.lines]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])) if len(counts) else np.zeros(0, dtype=np.int64)
    declaration_index = np.repeat(np.arange(len(declarations), dtype=np.int64), counts)
    position = np.arange(len(lines), dtype=np.int64) - np.repeat(starts, counts)

    own_currency = [line.value_currency for line in lines]
    if own_currency.count(None) == len(own_currency):  # EDIFACT: the header's CUX currency for every line
        codes, uniques = pd.factorize(np.array([d.currency for d in declarations], dtype=object))
        currency = pd.Categorical.from_codes(np.repeat(codes, counts), categories=pd.Index(uniques, dtype=object))
    else:
        header = np.repeat(np.array([d.currency for d in declarations], dtype=object), counts)
        currency = _category([own or fallback for own, fallback in zip(own_currency, header, strict=True)])
    values, value_exponent = parse_decimal_texts([line.value for line in lines])
    quantities, quantity_exponent = _parse_repeated([line.quantity for line in lines])

    clvs = np.repeat(np.array([d.cad_type == CLVS_CAD_TYPE for d in declarations], dtype=bool), counts)
    frame = pd.DataFrame(
        {
            "declaration": declaration_index,
            "position": position,
            "line": _line_numbers(lines),
            "classification": _classifications([line.classification for line in lines]),
            "treatment": _category([line.treatment for line in lines]),
            "origin": _category([line.origin for line in lines]),
            "currency": currency,
            "unit": _category([line.unit for line in lines]),
            "release": _dates([d.release_date for d in declarations], counts),
            "shipment": _dates([d.shipment_date for d in declarations], counts),
            "value": values,
            "quantity": quantities,
            "clvs": clvs,
            "shipment_id": _shipment_ids(declaration_index, lines, clvs),
            "special_authority": _category([line.special_authority for line in lines]),
            "gst_exemption": _category([line.gst_exemption for line in lines]),
            "excise_code": _category([line.excise_code for line in lines]),
            "sima_code": _category([line.sima for line in lines]),
        },
        copy=False,
    )
    declared = [line.filer_amounts for line in lines]
    filer_rows = [
        (int(row), index, amount.charge_type, amount.amount)
        for row in np.flatnonzero(np.fromiter(map(len, declared), dtype=np.int64, count=len(declared)))
        for index, amount in enumerate(declared[row])
    ]
    filer = pd.DataFrame(filer_rows, columns=["row", "index", "charge", "amount"])
    filer = filer.astype({"row": np.int64, "index": np.int64})
    return LineFrame(frame, filer, value_exponent, quantity_exponent, len(declarations))
