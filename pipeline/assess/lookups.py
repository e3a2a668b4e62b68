"""Reference look-ups for a whole batch, done once per distinct key and spread back to the lines.

A batch of a million lines has a few thousand distinct (classification, treatment, release date) keys; each
look-up below runs on those keys, never per line, and returns for every key the index of the reference row it
found (-1 for none) in a list of rows kept for the explanations. Where a rule is "the first row, in table order,
whose window holds the date" (``Tariff.lookup``, ``ReferenceData.surtax_for``, ``ReferenceData.sima_for``), the
candidates per goods key are found once and the date windows are then applied with array comparisons.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from pipeline.reference.types import digits

OPEN_START = np.iinfo(np.int64).min // 2
OPEN_END = np.iinfo(np.int64).max // 2
EPOCH = date(1970, 1, 1)


def day_number(on: date | None, default: int) -> int:
    """Days since 1970-01-01 (the integer view of ``datetime64[D]``)."""
    return default if on is None else (on - EPOCH).days


def from_day_number(day: int) -> date:
    return date.fromordinal(EPOCH.toordinal() + int(day))


@dataclass(frozen=True, slots=True)
class Distinct:
    """The distinct keys of some columns: ``inverse`` maps each row to its key, ``first`` is a row holding each
    key (so a key's column values are ``column[first]``)."""

    inverse: np.ndarray
    first: np.ndarray

    @property
    def count(self) -> int:
        return len(self.first)


def distinct(*codes: np.ndarray) -> Distinct:
    """Distinct combinations of integer code columns (category codes, day numbers; -1 allowed)."""
    rows = len(codes[0])
    if rows == 0:
        return Distinct(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    key: np.ndarray | None = None
    span = 1
    for column in codes:
        low = int(column.min())
        width = int(column.max()) - low + 1
        span *= width
        if span >= 2**62:  # pragma: no cover - would need billions of distinct values
            raise OverflowError("too many distinct keys to combine")
        if key is None:
            key = np.subtract(column, low, dtype=np.int64)  # a new array: updated in place below
        else:
            key *= width
            key += column
            if low:
                key -= low
    if span <= DENSE_SPAN_PER_ROW * rows + DENSE_SPAN_MINIMUM:
        return _distinct_dense(key, span)
    inverse, _ = pd.factorize(key)
    inverse = inverse.astype(np.int64, copy=False)
    # factorize numbers keys in order of first appearance, so a key's first row is where the running maximum grows
    running = np.maximum.accumulate(inverse)
    first = np.flatnonzero(np.concatenate(([True], running[1:] > running[:-1])))
    return Distinct(inverse, first)


#: Combined keys in [0, span) are numbered through arrays of ``span`` entries when span is at most this many per
#: row (plus the minimum): a few passes over the rows, no hashing (factorize is several times slower on
#: hundreds of thousands of rows with thousands of keys, its hash table missing the cache).
DENSE_SPAN_PER_ROW = 8
DENSE_SPAN_MINIMUM = 1 << 16


def _distinct_dense(key: np.ndarray, span: int) -> Distinct:
    """``distinct`` of keys in [0, span), numbered in order of first appearance as factorize numbers them."""
    rows = np.arange(len(key), dtype=np.int64)
    first_row = np.full(span, len(key), dtype=np.int64)
    np.minimum.at(first_row, key, rows)
    first = np.flatnonzero(first_row[key] == rows)  # the rows where their key appears first, in row order
    number = np.empty(span, dtype=np.int64)
    number[key[first]] = np.arange(len(first), dtype=np.int64)
    return Distinct(number[key], first)


class RowTable:
    """Reference rows found by the look-ups, each stored once, addressed by an int id."""

    def __init__(self) -> None:
        self.rows: list[Any] = []
        self._ids: dict[Hashable, int] = {}

    def add(self, row: Any, key: Hashable | None = None) -> int:
        key = id(row) if key is None else key
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self.rows)
            self.rows.append(row)
        return found

    def extend(self, rows: Iterable[Any]) -> np.ndarray:
        """Store rows known to be new (none added before, each given once) without keys to find them by later;
        their ids."""
        first = len(self.rows)
        self.rows.extend(rows)
        return np.arange(first, len(self.rows), dtype=np.int64)


def per_key(count: int, resolve: Callable[[int], int]) -> np.ndarray:
    """``resolve(key)`` for every key, as an int64 array."""
    return np.fromiter((resolve(key) for key in range(count)), dtype=np.int64, count=count)


def first_in_window(
    group: np.ndarray, day: np.ndarray, candidates: Mapping[int, Sequence[tuple[int, int, int]]]
) -> np.ndarray:
    """For each row, the payload of the first candidate of its group whose [start, end] holds its day, else -1.

    ``candidates[g]`` lists ``(start_day, end_day, payload)`` in priority order. When groups × days spanned are
    few, the answer of each (group, day) is laid out in one table and gathered per row; otherwise the candidates
    are laid out as tables indexed by group, one per rank in the lists, so that the work is a few array passes
    over the rows per rank (no sort of the rows by group).
    """
    if not candidates or len(group) == 0:
        return np.full(len(group), -1, dtype=np.int64)
    size = max(candidates) + 1
    group = group.astype(np.int64, copy=False)  # category codes may come as int8: size and products need int64
    group = np.where((group >= 0) & (group < size), group, size)
    first_day = int(day.min())
    days = int(day.max()) - first_day + 1
    if (size + 1) * days <= DENSE_SPAN_PER_ROW * len(group) + DENSE_SPAN_MINIMUM:
        # few groups × days: the answer of every (group, day) laid out once, then one gather per row
        answer = np.full((size + 1, days), -1, dtype=np.int64)
        for key, windows in candidates.items():
            for start, end, payload in reversed(windows):  # the first candidate is written last, so it wins
                low, high = max(start, first_day) - first_day, min(end, first_day + days - 1) - first_day
                if low <= high:
                    answer[key, low : high + 1] = payload
        group *= days  # group is a new array (np.where's): the cell of each row computed in place
        group += day
        group -= first_day
        return answer.ravel()[group]
    chosen = np.full(len(group), -1, dtype=np.int64)
    depth = max(len(windows) for windows in candidates.values())
    # column `size` (and any group without candidates) holds an empty window: start after end
    starts = np.full((depth, size + 1), OPEN_END, dtype=np.int64)
    ends = np.full((depth, size + 1), OPEN_START, dtype=np.int64)
    payloads = np.full((depth, size + 1), -1, dtype=np.int64)
    for key, windows in candidates.items():
        for rank, (start, end, payload) in enumerate(windows):
            starts[rank, key], ends[rank, key], payloads[rank, key] = start, end, payload
    for rank in reversed(range(depth)):  # the first candidate is assigned last, so it wins
        hit = np.flatnonzero((starts[rank][group] <= day) & (day <= ends[rank][group]))
        chosen[hit] = payloads[rank][group[hit]]
    return chosen


def goods_index(goods_lists: Sequence[frozenset[str] | None]) -> tuple[dict[str, list[int]], list[int]]:
    """Index rows by the tariff-item prefixes of their goods lists: prefix → row positions, plus the rows that
    cover every good (``goods is None``)."""
    by_prefix: dict[str, list[int]] = {}
    everything: list[int] = []
    for position, goods in enumerate(goods_lists):
        if goods is None:
            everything.append(position)
            continue
        for prefix in goods:
            by_prefix.setdefault(prefix, []).append(position)
    return by_prefix, everything


def rows_covering(classification: str, index: tuple[dict[str, list[int]], list[int]]) -> list[int]:
    """Row positions whose goods cover a classification (same answer as ``types.covers``), in table order."""
    by_prefix, everything = index
    code = digits(classification)
    found = set(everything)
    for length in range(len(code) + 1):
        found.update(by_prefix.get(code[:length], ()))
    return sorted(found)
