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
``Line.filer_amounts``), ``charge`` (category: CUD…GST), ``amount`` (text).

The frame is built from columns (``LineColumns``: one list per field, filled in one pass per field), never row by
row: each categorical column is factorized once, the numbers are read with array operations
(``fixed.plain_decimals``), and what repeats (quantities, line numbers, dates) is read once per distinct text.
``line_columns`` takes the columns from parsed declarations; a reader could fill them as it goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter

import numpy as np
import pandas as pd

from pipeline.assess.fixed import parse_decimal_texts
from pipeline.assess.lookups import distinct
from pipeline.collector import collector_paused
from pipeline.digits import ascii_int
from pipeline.model import NUMBER_DIGITS, Declaration
from pipeline.reference.types import digits

CLVS_CAD_TYPE = "C"
DECLARATION_TEXTS = ("currency", "release_date", "shipment_date", "cad_type")


@dataclass(frozen=True, slots=True)
class LineFrame:
    lines: pd.DataFrame
    filer: pd.DataFrame
    value_exponent: int
    quantity_exponent: int
    declaration_count: int


@dataclass(frozen=True, slots=True)
class LineColumns:
    """A batch as columns of the texts the engine reads. ``lines`` maps ``Line`` field names (number,
    classification, treatment, origin, unit, quantity, value; value_currency, special_authority, gst_exemption,
    excise_code, sima and cargo_control, None where absent) to one entry per line, declarations in order and lines
    in file order; ``declarations`` maps each of ``DECLARATION_TEXTS`` to one entry per
    declaration; ``line_counts`` is the number of lines of each declaration. ``filer`` holds the filer amounts
    as four columns: ``row`` (line), ``index`` (in ``Line.filer_amounts``), ``charge`` and ``amount``."""

    line_counts: np.ndarray
    declarations: dict[str, list]
    lines: dict[str, list]
    filer: dict[str, list]


def line_columns(declarations: Sequence[Declaration]) -> LineColumns:
    """The columns of parsed declarations: one pass over the lines per field."""
    counts = np.fromiter(map(len, map(attrgetter("lines"), declarations)), dtype=np.int64, count=len(declarations))
    lines = list(chain.from_iterable(map(attrgetter("lines"), declarations)))
    # one comprehension per field: the quickest way Python has to read a slot of a million objects
    columns = {
        "number": [line.number for line in lines],
        "classification": [line.classification for line in lines],
        "treatment": [line.treatment for line in lines],
        "origin": [line.origin for line in lines],
        "unit": [line.unit for line in lines],
        "quantity": [line.quantity for line in lines],
        "value": [line.value for line in lines],
        "value_currency": [line.value_currency for line in lines],
        "special_authority": [line.special_authority for line in lines],
        "gst_exemption": [line.gst_exemption for line in lines],
        "excise_code": [line.excise_code for line in lines],
        "sima": [line.sima for line in lines],
    }
    header = {name: list(map(attrgetter(name), declarations)) for name in DECLARATION_TEXTS}
    cargo_control: list[str | None] = [None] * len(lines)
    if CLVS_CAD_TYPE in header["cad_type"]:  # only courier shipments are told apart by their number
        for row in np.flatnonzero(_per_line(np.array(header["cad_type"], dtype=object) == CLVS_CAD_TYPE, counts)).tolist():
            cargo_control[row] = lines[row].cargo_control
    columns["cargo_control"] = cargo_control
    declared = [line.filer_amounts for line in lines]
    filed = [(row, index, amount) for row in np.flatnonzero(np.fromiter(map(len, declared), dtype=np.int64, count=len(declared))).tolist()
             for index, amount in enumerate(declared[row])]
    filer = {
        "row": [row for row, _, _ in filed],
        "index": [index for _, index, _ in filed],
        "charge": [amount.charge_type for _, _, amount in filed],
        "amount": [amount.amount for _, _, amount in filed],
    }
    return LineColumns(counts, header, columns, filer)


def _per_line(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return np.repeat(values, counts)


def _category(values: list[str | None]) -> pd.Categorical:
    """Codes of the distinct values in order of first appearance (None is -1)."""
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


def _line_numbers(texts: list[str]) -> np.ndarray:
    """``Line.line_number`` of every line, worked out once per distinct text (line numbers repeat)."""
    codes, uniques = pd.factorize(np.array(texts, dtype=object))
    numbers = np.array([ascii_int(text, NUMBER_DIGITS) or 0 for text in uniques], dtype=np.int64)
    return numbers[codes]


def _parse_repeated(texts: list[str]) -> tuple[np.ndarray, int]:
    """``parse_decimal_texts`` once per distinct text: quantities repeat ("1", "10", "2.5"), values do not."""
    codes, uniques = pd.factorize(np.array(texts, dtype=object))
    parsed, exponent = parse_decimal_texts(list(uniques))
    return parsed[codes], exponent


def _shipment_ids(declaration_index: np.ndarray, cargo_control: list[str | None], clvs: np.ndarray) -> np.ndarray:
    """One id per (declaration, cargo control number) of the CLVS lines; a line without a number is its own."""
    if not clvs.any():
        return np.zeros(len(cargo_control), dtype=np.int64)
    rows = np.flatnonzero(clvs)
    numbers, _ = pd.factorize(np.array([cargo_control[row] for row in rows.tolist()], dtype=object), use_na_sentinel=True)
    numbers = np.where(numbers < 0, numbers.max(initial=0) + 1 + np.arange(len(rows)), numbers)
    ids = np.full(len(cargo_control), -1, dtype=np.int64)
    ids[rows] = distinct(declaration_index[rows], numbers).inverse
    return ids


def _dates(texts: list[str], counts: np.ndarray) -> np.ndarray:
    """ISO dates, one per declaration, read once per distinct text and repeated over the lines."""
    codes, uniques = pd.factorize(np.array(texts, dtype=object))
    return _per_line(np.array(list(uniques), dtype="datetime64[D]")[codes], counts)


def _currencies(columns: LineColumns) -> pd.Categorical:
    """The line's own currency (XML) or else its declaration's (EDIFACT: the CUX currency for every line)."""
    own, counts = columns.lines["value_currency"], columns.line_counts
    codes, uniques = pd.factorize(np.array(columns.declarations["currency"], dtype=object))
    if own.count(None) == len(own):
        return pd.Categorical.from_codes(_per_line(codes, counts), categories=pd.Index(uniques, dtype=object))
    header = _per_line(np.asarray(uniques, dtype=object)[codes], counts)
    return _category([mine or fallback for mine, fallback in zip(own, header.tolist(), strict=True)])


def build_line_frame(declarations: Sequence[Declaration]) -> LineFrame:
    with collector_paused():  # the columns are lists of a batch's strings, no cycles among them
        return frame_from_columns(line_columns(declarations))


def frame_from_columns(columns: LineColumns) -> LineFrame:
    counts, texts = columns.line_counts, columns.lines
    rows = int(counts.sum())
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])) if len(counts) else np.zeros(0, dtype=np.int64)
    declaration_index = _per_line(np.arange(len(counts), dtype=np.int64), counts)
    position = np.arange(rows, dtype=np.int64) - _per_line(starts, counts)
    values, value_exponent = parse_decimal_texts(texts["value"])
    quantities, quantity_exponent = _parse_repeated(texts["quantity"])
    clvs = _per_line(np.array(columns.declarations["cad_type"], dtype=object) == CLVS_CAD_TYPE, counts)
    frame = pd.DataFrame(
        {
            "declaration": declaration_index,
            "position": position,
            "line": _line_numbers(texts["number"]),
            "classification": _classifications(texts["classification"]),
            "treatment": _category(texts["treatment"]),
            "origin": _category(texts["origin"]),
            "currency": _currencies(columns),
            "unit": _category(texts["unit"]),
            "release": _dates(columns.declarations["release_date"], counts),
            "shipment": _dates(columns.declarations["shipment_date"], counts),
            "value": values,
            "quantity": quantities,
            "clvs": clvs.astype(bool),
            "shipment_id": _shipment_ids(declaration_index, texts["cargo_control"], clvs.astype(bool)),
            "special_authority": _category(texts["special_authority"]),
            "gst_exemption": _category(texts["gst_exemption"]),
            "excise_code": _category(texts["excise_code"]),
            "sima_code": _category(texts["sima"]),
        },
        copy=False,
    )
    filer = pd.DataFrame(
        {
            "row": np.array(columns.filer["row"], dtype=np.int64),
            "index": np.array(columns.filer["index"], dtype=np.int64),
            "charge": _category(columns.filer["charge"]),
            "amount": np.array(columns.filer["amount"], dtype=object),
        },
        copy=False,
    )
    return LineFrame(frame, filer, value_exponent, quantity_exponent, len(counts))
