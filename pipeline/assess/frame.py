"""A batch's line records → one DataFrame holding every line of the batch, in columns the engine computes on.

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

Categories are in order of first appearance among the lines.

The exponents are the batch's largest number of decimals in the value and quantity texts, so every text is
carried exactly (``value_exponent`` is 2 for a batch of cent amounts; a JPY value "1500" is 150000 at exponent 2).
Validation (B15) has already held each value to its currency's minor units.

``LineFrame.filer`` holds the filer's own amounts: ``row`` (row of ``lines``), ``index`` (position in
``Line.filer_amounts``), ``charge`` (category: CUD…GST), ``amount`` (text).

The frame is built from the records the readers make of each line as they build it (``pipeline.parsers.records``):
``frame_from_records`` works out each code column on the batch's few thousand distinct code keys, never row by
row, and reads the numbers of all lines at once. ``build_line_frame`` records declarations no reader recorded first.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain

import numpy as np
import pandas as pd

from pipeline.assess.fixed import parse_decimal_texts, parse_joined_decimal_texts
from pipeline.assess.lookups import distinct
from pipeline.collector import collector_paused
from pipeline.model import Declaration
from pipeline.parsers.records import CODE_FIELDS, DECLARATION_TEXTS, LineRecords, records_of
from pipeline.reference.types import digits

CLVS_CAD_TYPE = "C"


@dataclass(frozen=True, slots=True)
class LineFrame:
    lines: pd.DataFrame
    filer: pd.DataFrame
    value_exponent: int
    quantity_exponent: int
    declaration_count: int


@dataclass(frozen=True, slots=True)
class _Coded:
    """A column of texts as ``codes`` (int64, -1 for None) into ``uniques`` (in order of first appearance)."""

    codes: np.ndarray
    uniques: list


@dataclass(frozen=True, slots=True)
class _Joined:
    """The texts of one field joined by newlines, as the array parsers read them, and the texts one by one
    (``listed()``, for the rare batch where a text itself holds a newline)."""

    text: str
    count: int
    listed: Callable[[], list[str]]


def build_line_frame(declarations: Sequence[Declaration]) -> LineFrame:
    """The frame of declarations no reader recorded (``records_of``; intake uses the readers' records)."""
    return frame_from_records([records_of(declarations)])


def frame_from_records(files: Sequence[LineRecords]) -> LineFrame:
    """The frame of a batch from the records its readers made of each file's declarations, files in order
    (``pipeline.parsers.records``; ``LineRecords.selected`` keeps the declarations assessed).

    The files' columns are read where they are, not copied into one list each: copying a million strings
    touches every one of them. Each file's code keys and header keys (numbered by its reader) are numbered once
    for the batch, each code column is worked out on the batch's distinct keys and spread back with array
    operations. The quantity and value texts are joined by newlines, which ``fixed`` reads with array
    operations; the line numbers come as the readers read them."""
    with collector_paused():  # the columns are lists of a batch's strings, no cycles among them
        counts = _joined_ints(files, "line_counts")
        header = _coded_fields(_numbered(files, "header_keys", "header_codes"), DECLARATION_TEXTS)
        texts = {name: _joined([getattr(f, column) for f in files])
                 for name, column in (("quantity", "quantities"), ("value", "values"))}
        return _frame(counts, header, _coded_fields(_numbered(files, "keys", "codes"), CODE_FIELDS),
                      _joined_ints(files, "line_numbers"), texts, _Chained([f.cargo_controls for f in files]),
                      _filer(files))


def _ints(numbers: array) -> np.ndarray:
    """An ``array("q")`` as int64, without copying it."""
    return np.frombuffer(numbers, dtype=np.int64)


def _joined_ints(files: Sequence[LineRecords], column: str) -> np.ndarray:
    """An ``array("q")`` column of every file, one after the other."""
    return np.concatenate([np.zeros(0, dtype=np.int64), *(_ints(getattr(f, column)) for f in files)])


def _numbered(files: Sequence[LineRecords], keys: str, codes: str) -> _Coded:
    """A column of keys (``keys``: each file's distinct keys; ``codes``: each row's number of its key), coded in
    order of first appearance among the batch's rows: each file's distinct keys looked up once in a dictionary
    of the batch's, whatever order the readers numbered them in. A key is numbered by its place among all the
    files' keys where it first came (``met``), so the look-ups run in C (``map``)."""
    first_place: dict[tuple, int] = {}
    met: list[tuple] = []
    parts = [np.zeros(0, dtype=np.int64)]
    for file in files:
        file_keys = getattr(file, keys)
        places = map(first_place.setdefault, file_keys, range(len(met), len(met) + len(file_keys)))
        renumbered = np.fromiter(places, dtype=np.int64, count=len(file_keys))
        met += file_keys
        parts.append(renumbered[_ints(getattr(file, codes))])
    coded, used = pd.factorize(np.concatenate(parts))
    return _Coded(coded.astype(np.int64, copy=False), [met[k] for k in used.tolist()])


def _joined(columns: list[list[str]]) -> _Joined:
    """The texts of several files' columns, joined by newlines."""
    return _Joined(
        "\n".join(["\n".join(column) for column in columns if column]),
        sum(map(len, columns)),
        lambda: list(chain.from_iterable(columns)),
    )


class _Chained:
    """Several files' columns read as one at some rows (the few a courier shipment needs), without copying them."""

    def __init__(self, columns: list[list]) -> None:
        self.columns = columns
        self.ends = np.cumsum([len(column) for column in columns], dtype=np.int64)

    def __len__(self) -> int:
        return int(self.ends[-1]) if len(self.ends) else 0

    def take(self, rows: np.ndarray) -> list:
        """The values at ``rows`` (ascending) of the batch."""
        values: list = []
        bounds = np.searchsorted(rows, self.ends).tolist()
        for column, end, first, last in zip(self.columns, self.ends.tolist(), [0, *bounds[:-1]], bounds, strict=True):
            if last > first:
                values += map(column.__getitem__, (rows[first:last] - (end - len(column))).tolist())
        return values


def _filer(files: Sequence[LineRecords]) -> dict[str, Sequence]:
    """The filer amounts of a batch's lines as four columns: ``row`` (the line in the batch), ``index`` (in
    ``Line.filer_amounts``), ``charge`` and ``amount`` (the text); row and index as int64 arrays."""
    offsets = accumulate((len(f.codes) for f in files), initial=0)  # lines before each file
    return {
        "row": np.concatenate([np.zeros(0, dtype=np.int64), *(
            _ints(f.filer_rows) + offset for f, offset in zip(files, offsets, strict=False) if f.filer_rows)]),
        "index": _joined_ints(files, "filer_indexes"),
        "charge": list(chain.from_iterable(f.filer_charges for f in files)),
        "amount": list(chain.from_iterable(f.filer_texts for f in files)),
    }


def _per_line(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return np.repeat(values, counts)


def _coded(values: list) -> _Coded:
    """Codes of the distinct values in order of first appearance (None is -1)."""
    if values.count(None) == len(values):  # an optional code nobody gave: no hashing needed
        return _Coded(np.full(len(values), -1, dtype=np.int64), [])
    codes, uniques = pd.factorize(np.array(values, dtype=object), use_na_sentinel=True)
    return _Coded(codes.astype(np.int64, copy=False), list(uniques))


def _coded_fields(key: _Coded, names: Sequence[str]) -> dict[str, _Coded]:
    """Each field (``names``) of a column of tuples (``key``: coded, no None), coded as ``_coded`` would code its
    own column: coded on the distinct tuples and spread back to the rows. A field's values first appear in the
    same order among the distinct tuples (in order of first appearance) as among the rows, so the codes are the
    same."""
    coded = {}
    for position, name in enumerate(names):
        per_tuple = _coded([row[position] for row in key.uniques])
        coded[name] = _Coded(per_tuple.codes[key.codes], per_tuple.uniques)
    return coded


def _is_clvs(cad_type: _Coded) -> np.ndarray:
    return np.array([text == CLVS_CAD_TYPE for text in cad_type.uniques] + [False])[cad_type.codes]


def _category(coded: _Coded) -> pd.Categorical:
    return pd.Categorical.from_codes(coded.codes, categories=pd.Index(coded.uniques, dtype=object))


def _classifications(coded: _Coded) -> pd.Categorical:
    """Classifications as digits only ("9503.00.10.10" and "9503001010" are one category)."""
    digit_codes, digit_uniques = pd.factorize(np.array([digits(code) for code in coded.uniques], dtype=object))
    codes = np.append(digit_codes.astype(np.int64, copy=False), -1)[coded.codes]
    return pd.Categorical.from_codes(codes, categories=pd.Index(digit_uniques, dtype=object))


def _decimals(texts: _Joined) -> tuple[np.ndarray, int]:
    parsed = parse_joined_decimal_texts(texts.text, texts.count)
    return parse_decimal_texts(texts.listed()) if parsed is None else parsed


def _shipment_ids(declaration_index: np.ndarray, cargo_control: _Chained, clvs: np.ndarray) -> np.ndarray:
    """One id per (declaration, cargo control number) of the CLVS lines; a line without a number is its own."""
    if not clvs.any():
        return np.zeros(len(cargo_control), dtype=np.int64)
    rows = np.flatnonzero(clvs)
    numbers, _ = pd.factorize(np.array(cargo_control.take(rows), dtype=object), use_na_sentinel=True)
    numbers = np.where(numbers < 0, numbers.max(initial=0) + 1 + np.arange(len(rows)), numbers)
    ids = np.full(len(cargo_control), -1, dtype=np.int64)
    ids[rows] = distinct(declaration_index[rows], numbers).inverse
    return ids


def _dates(coded: _Coded, counts: np.ndarray) -> np.ndarray:
    """ISO dates, one per declaration, read once per distinct text and repeated over the lines."""
    days = np.array([*coded.uniques, None], dtype="datetime64[D]")
    return _per_line(days[coded.codes], counts)


def _currencies(own: _Coded, header: _Coded, counts: np.ndarray) -> pd.Categorical:
    """The line's own currency (XML) or else its declaration's (EDIFACT: the CUX currency for every line)."""
    header_codes = _per_line(header.codes, counts)
    if not own.uniques:
        return _category(_Coded(header_codes, header.uniques))
    # each line's text as a code into own.uniques + header.uniques: its own where given (not empty), else
    # its declaration's; then the codes of the distinct texts in order of first appearance
    given = np.array([bool(text) for text in own.uniques] + [False])[own.codes]
    keys = np.where(given, own.codes, np.where(header_codes < 0, -1, header_codes + len(own.uniques)))
    texts = [*own.uniques, *header.uniques]
    key_codes, used = pd.factorize(keys, use_na_sentinel=False)
    text_codes = _coded([None if key < 0 else texts[key] for key in used.tolist()])
    return _category(_Coded(text_codes.codes[key_codes], text_codes.uniques))


def _frame(counts: np.ndarray, header: dict[str, _Coded], coded: dict[str, _Coded], line_numbers: np.ndarray,
           texts: dict[str, _Joined], cargo_control: _Chained, filed: dict[str, Sequence]) -> LineFrame:
    rows = int(counts.sum())
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])) if len(counts) else np.zeros(0, dtype=np.int64)
    declaration_index = _per_line(np.arange(len(counts), dtype=np.int64), counts)
    position = np.arange(rows, dtype=np.int64) - _per_line(starts, counts)
    values, value_exponent = _decimals(texts["value"])
    quantities, quantity_exponent = _decimals(texts["quantity"])
    clvs = _per_line(_is_clvs(header["cad_type"]), counts)
    frame = pd.DataFrame(
        {
            "declaration": declaration_index,
            "position": position,
            "line": line_numbers,
            "classification": _classifications(coded["classification"]),
            "treatment": _category(coded["treatment"]),
            "origin": _category(coded["origin"]),
            "currency": _currencies(coded["value_currency"], header["currency"], counts),
            "unit": _category(coded["unit"]),
            "release": _dates(header["release_date"], counts),
            "shipment": _dates(header["shipment_date"], counts),
            "value": values,
            "quantity": quantities,
            "clvs": clvs,
            "shipment_id": _shipment_ids(declaration_index, cargo_control, clvs),
            "special_authority": _category(coded["special_authority"]),
            "gst_exemption": _category(coded["gst_exemption"]),
            "excise_code": _category(coded["excise_code"]),
            "sima_code": _category(coded["sima"]),
        },
        copy=False,
    )
    filer = pd.DataFrame(
        {
            "row": np.asarray(filed["row"], dtype=np.int64),
            "index": np.asarray(filed["index"], dtype=np.int64),
            "charge": _category(_coded(list(filed["charge"]))),
            "amount": np.array(filed["amount"], dtype=object),
        },
        copy=False,
    )
    return LineFrame(frame, filer, value_exponent, quantity_exponent, len(counts))
