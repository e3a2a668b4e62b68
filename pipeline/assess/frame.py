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

Categories are in order of first appearance among the lines.

The exponents are the batch's largest number of decimals in the value and quantity texts, so every text is
carried exactly (``value_exponent`` is 2 for a batch of cent amounts; a JPY value "1500" is 150000 at exponent 2).
Validation (B15) has already held each value to its currency's minor units.

``LineFrame.filer`` holds the filer's own amounts: ``row`` (row of ``lines``), ``index`` (position in
``Line.filer_amounts``), ``charge`` (category: CUD…GST), ``amount`` (text).

The frame is built from columns, never row by row, and each text is touched as few times as possible: reading a
field of a million objects waits on memory for each of them, so ``build_line_frame`` reads the lines a chunk
(``READ_CHUNK``) at a time, every field while the chunk is in the processor's cache: the codes (``CODE_FIELDS``)
as one tuple per line, numbered by a dictionary, so that each code column is worked out on the few thousand
distinct tuples; the number, quantity and value texts joined by newlines, which ``fixed`` reads with array
operations. The declarations' texts are numbered the same way. ``frame_from_columns`` builds the same frame
from ``LineColumns`` (one list per field, as ``line_columns`` reads them from declarations or a reader could
fill them as it goes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter

import numpy as np
import pandas as pd

from pipeline.assess.fixed import joined_plain_decimals, parse_decimal_texts, parse_joined_decimal_texts
from pipeline.assess.lookups import distinct
from pipeline.collector import collector_paused
from pipeline.digits import ascii_int
from pipeline.model import NUMBER_DIGITS, Declaration
from pipeline.reference.types import digits

CLVS_CAD_TYPE = "C"
DECLARATION_TEXTS = ("currency", "release_date", "shipment_date", "cad_type")
#: The ``Line`` fields that hold codes: few distinct values per batch, read together as one key per line.
CODE_FIELDS = (
    "classification",
    "treatment",
    "origin",
    "unit",
    "value_currency",
    "special_authority",
    "gst_exemption",
    "excise_code",
    "sima",
)


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


@dataclass(frozen=True, slots=True)
class _Coded:
    """A column of texts as ``codes`` (int64, -1 for None) into ``uniques`` (in order of first appearance)."""

    codes: np.ndarray
    uniques: list


def line_columns(declarations: Sequence[Declaration]) -> LineColumns:
    """The columns of parsed declarations: one pass over the lines per field."""
    groups = [declaration.lines for declaration in declarations]
    counts = _line_counts(groups)
    lines = list(chain.from_iterable(groups))
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
    clvs = _per_line(np.array(header["cad_type"], dtype=object) == CLVS_CAD_TYPE, counts)
    columns["cargo_control"] = _cargo_control(lines, clvs)
    declared = [line.filer_amounts for line in lines]
    filed = list(chain.from_iterable(declared))
    filer = _filer(np.fromiter(map(len, declared), dtype=np.int64, count=len(declared)),
                   [amount.charge_type for amount in filed], [amount.amount for amount in filed])
    filer["row"], filer["index"] = filer["row"].tolist(), filer["index"].tolist()
    return LineColumns(counts, header, columns, filer)


def build_line_frame(declarations: Sequence[Declaration]) -> LineFrame:
    """The frame of parsed declarations: ``frame_from_columns(line_columns(declarations))``, read faster (see
    the module's docstring)."""
    with collector_paused():  # the columns are lists of a batch's strings, no cycles among them
        groups = [declaration.lines for declaration in declarations]
        counts = _line_counts(groups)
        lines = list(chain.from_iterable(groups))
        header = _read_declarations(declarations)
        read = _read_lines(lines)
        clvs = _per_line(_is_clvs(header["cad_type"]), counts)
        return _frame(counts, header, read.codes, read.texts, _cargo_control(lines, clvs), read.filer)


#: Lines read together: while every field of a chunk is read, its objects stay in the processor's cache (a
#: million lines do not fit, and a pass per field over them all waits on memory for every object).
READ_CHUNK = 1024


@dataclass(frozen=True, slots=True)
class _Joined:
    """The texts of one field joined by newlines, as the array parsers read them, and the texts one by one
    (``listed()``, for the rare batch where a text itself holds a newline)."""

    text: str
    count: int
    listed: Callable[[], list[str]]


@dataclass(frozen=True, slots=True)
class _ReadLines:
    codes: dict[str, _Coded]
    texts: dict[str, _Joined]
    filer: dict[str, Sequence]


def _read_lines(lines: list) -> _ReadLines:
    """Every field the frame needs of every line, a chunk of lines at a time: the codes (``CODE_FIELDS``) as one
    tuple numbered by a dictionary (its first row), the number, quantity and value texts joined by newlines."""
    first_rows: dict[tuple, int] = {}
    first_row_of = first_rows.setdefault
    first: list[int] = []
    joined: dict[str, list[str]] = {"number": [], "quantity": [], "value": []}
    numbers, quantities, values = joined.values()
    sizes: list[int] = []  # filer amounts per line
    charges: list[str] = []
    amounts: list[str] = []
    for start in range(0, len(lines), READ_CHUNK):
        chunk = lines[start:start + READ_CHUNK]
        keys = [(line.classification, line.treatment, line.origin, line.unit, line.value_currency,
                 line.special_authority, line.gst_exemption, line.excise_code, line.sima) for line in chunk]
        first += map(first_row_of, keys, range(start, start + len(chunk)))
        # the other fields in one pass, split into columns by zip (in C): a pass per field costs more than zip
        number, quantity, value, filer_amounts = zip(
            *[(line.number, line.quantity, line.value, line.filer_amounts) for line in chunk]
        )
        numbers.append("\n".join(number))
        quantities.append("\n".join(quantity))
        values.append("\n".join(value))
        sizes += map(len, filer_amounts)
        filed = list(chain.from_iterable(filer_amounts))
        if filed:
            charges += [amount.charge_type for amount in filed]
            amounts += [amount.amount for amount in filed]
    texts = {
        name: _Joined("\n".join(parts), len(lines), lambda name=name: [getattr(line, name) for line in lines])
        for name, parts in joined.items()
    }
    codes = _coded_fields(_coded_first(np.array(first, dtype=np.int64), list(first_rows)), CODE_FIELDS)
    return _ReadLines(codes, texts, _filer(np.array(sizes, dtype=np.int64), charges, amounts))


def _read_declarations(declarations: Sequence[Declaration]) -> dict[str, _Coded]:
    """``DECLARATION_TEXTS`` of the declarations, coded (``_coded_first``) in one pass: each text numbered by the
    first declaration that gave it."""
    seen: list[dict] = [{} for _ in DECLARATION_TEXTS]
    currency, release, shipment, cad_type = (texts.setdefault for texts in seen)
    first = np.fromiter(
        chain.from_iterable(
            [(currency(d.currency, row), release(d.release_date, row), shipment(d.shipment_date, row), cad_type(d.cad_type, row))
             for row, d in enumerate(declarations)]
        ),
        dtype=np.int64,
        count=len(declarations) * len(DECLARATION_TEXTS),
    ).reshape(len(declarations), len(DECLARATION_TEXTS))
    return {name: _coded_first(first[:, position], list(seen[position])) for position, name in enumerate(DECLARATION_TEXTS)}


def frame_from_columns(columns: LineColumns) -> LineFrame:
    """The frame of a batch given as columns (``line_columns``, or a reader that filled them)."""
    lines = columns.lines
    header = {name: _coded(columns.declarations[name]) for name in DECLARATION_TEXTS}
    codes = {name: _coded(lines[name]) for name in CODE_FIELDS}
    texts = {
        name: _Joined("\n".join(lines[name]), len(lines[name]), lambda name=name: lines[name])
        for name in ("number", "quantity", "value")
    }
    return _frame(columns.line_counts, header, codes, texts, lines["cargo_control"], columns.filer)


def _line_counts(groups: list) -> np.ndarray:
    return np.fromiter(map(len, groups), dtype=np.int64, count=len(groups))


def _cargo_control(lines: list, clvs: np.ndarray) -> list[str | None]:
    cargo_control: list[str | None] = [None] * len(lines)
    for row in np.flatnonzero(clvs).tolist():  # only courier shipments are told apart by their number
        cargo_control[row] = lines[row].cargo_control
    return cargo_control


def _filer(sizes: np.ndarray, charges: list[str], amounts: list[str]) -> dict[str, Sequence]:
    """The filer amounts as four columns (``LineColumns.filer``; row and index as int64 arrays) from the number
    of each line's amounts and the amounts' charges and texts in line order."""
    first = np.cumsum(sizes) - sizes
    return {
        "row": np.repeat(np.arange(len(sizes), dtype=np.int64), sizes),
        "index": np.arange(len(amounts), dtype=np.int64) - np.repeat(first, sizes),
        "charge": charges,
        "amount": amounts,
    }


def _per_line(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return np.repeat(values, counts)


def _coded(values: list) -> _Coded:
    """Codes of the distinct values in order of first appearance (None is -1)."""
    if values.count(None) == len(values):  # an optional code nobody gave: no hashing needed
        return _Coded(np.full(len(values), -1, dtype=np.int64), [])
    codes, uniques = pd.factorize(np.array(values, dtype=object), use_na_sentinel=True)
    return _Coded(codes.astype(np.int64, copy=False), list(uniques))


def _coded_first(first: np.ndarray, uniques: list) -> _Coded:
    """A column coded as ``_coded`` codes it, from ``first``: for each row, the first row holding its value, and
    ``uniques``: the distinct values in order of first appearance (None among them is given code -1)."""
    # the first rows of the distinct values, ascending, are the values in order of first appearance
    is_first = np.zeros(len(first), dtype=bool)
    is_first[first] = True
    codes = (np.cumsum(is_first) - 1)[first]
    if None in uniques:
        none = uniques.index(None)
        codes = np.where(codes == none, -1, codes - (codes > none))
        uniques = [value for value in uniques if value is not None]
    return _Coded(codes, uniques)


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


def _line_numbers(numbers: _Joined) -> np.ndarray:
    """``Line.line_number`` of every line: the plain texts of at most ``NUMBER_DIGITS`` significant digits read
    with array operations, any other text by ``ascii_int`` (0 where it gives None)."""
    parsed = joined_plain_decimals(numbers.text, numbers.count)
    if parsed is None:
        return np.array([ascii_int(text, NUMBER_DIGITS) or 0 for text in numbers.listed()], dtype=np.int64)
    units, _, plain = parsed
    result = np.where(units < 10**NUMBER_DIGITS, units, 0)
    if "." in numbers.text:  # "12." and "1.5" are plain decimals, not line numbers
        plain &= np.array(["." not in text for text in numbers.listed()], dtype=bool)
    if not plain.all():
        texts = numbers.listed()
        for row in np.flatnonzero(~plain).tolist():
            result[row] = ascii_int(texts[row], NUMBER_DIGITS) or 0
    return result


def _decimals(texts: _Joined) -> tuple[np.ndarray, int]:
    parsed = parse_joined_decimal_texts(texts.text, texts.count)
    return parse_decimal_texts(texts.listed()) if parsed is None else parsed


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


def _frame(counts: np.ndarray, header: dict[str, _Coded], coded: dict[str, _Coded], texts: dict[str, _Joined],
           cargo_control: list[str | None], filed: dict[str, Sequence]) -> LineFrame:
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
            "line": _line_numbers(texts["number"]),
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
