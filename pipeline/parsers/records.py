"""What the assessment frame reads of each line and declaration, recorded by the readers as they build them.

The frame (``pipeline.assess.frame``) needs a dozen fields of every line of a batch. Reading them back from a
million ``Line`` objects after the fact waits on memory for each object, so the readers record them as they go:
each line the moment it is built (its fields are still in the processor's cache), its codes numbered by one
dictionary look-up of its code key, and each declaration's header texts numbered the same way. A file's records
come with its parse result (``ParseResult.records``); intake cuts them down to the declarations it accepts
(``LineRecords.selected``) and builds the batch's frame from its files' records
(``pipeline.assess.frame.frame_from_records``). ``records_of`` records declarations no reader built (tests,
``carm assess``).

Lists, tuples and ``array("q")``, no numpy or pandas: the readers (and ``carm validate``) stay free of them.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, chain
from sys import intern

from pipeline.model import Declaration, FilerAmount, Line

#: The ``Line`` fields that hold codes: few distinct values per batch, recorded together as one key per line.
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
#: The ``Declaration`` fields of a header key, in order.
DECLARATION_TEXTS = ("currency", "release_date", "shipment_date", "cad_type")


def header_key(declaration: Declaration) -> tuple[str, str, str, str]:
    """A declaration's texts the frame reads (``DECLARATION_TEXTS``) as one key."""
    return declaration.currency, declaration.release_date, declaration.shipment_date, declaration.cad_type


@dataclass(frozen=True, slots=True)
class LineRecords:
    """What the frame reads of some declarations, in columns, declarations in order and lines in file order.

    Codes repeat: each distinct key is kept once, in the order the reader met it, and numbered by its place.
    Per declaration: ``header_codes``, the number of its header key (``header_key``) in ``header_keys``, and
    ``line_counts``. Per line: ``codes``, the number of its code key (its ``CODE_FIELDS`` as one tuple) in
    ``keys``; ``line_numbers``, its ``Line.line_number``; ``quantities``, ``values`` and ``cargo_controls``, its
    texts. Most lines have no filer amounts; per filer amount: ``filer_rows``, its line (ascending),
    ``filer_indexes``, its place in ``Line.filer_amounts``, ``filer_charges`` and ``filer_texts``, its charge type
    and amount as written. The numbers are ``array("q")``, which the frame reads as arrays without copying
    them."""

    header_keys: list[tuple[str, str, str, str]]
    header_codes: array
    line_counts: array
    keys: list[tuple]
    codes: array
    line_numbers: array
    quantities: list[str]
    values: list[str]
    cargo_controls: list[str | None]
    filer_rows: array
    filer_indexes: array
    filer_charges: list[str]
    filer_texts: list[str]

    def __len__(self) -> int:
        return len(self.header_codes)

    def selected(self, indexes: Sequence[int]) -> LineRecords:
        """The records of the declarations at ``indexes`` (ascending), as if only they had been recorded (with
        the same keys: some may be no declaration's now)."""
        if len(indexes) == len(self.header_codes):
            return self
        starts = list(accumulate(self.line_counts, initial=0))
        spans = [(starts[i], starts[i + 1]) for i in indexes]

        def cut(column: list) -> list:
            return list(chain.from_iterable(column[start:end] for start, end in spans))

        filer_rows, filer_spans = array("q"), []
        if self.filer_rows:
            kept_before = accumulate((end - start for start, end in spans), initial=0)  # lines kept before a span
            for (start, end), before in zip(spans, kept_before, strict=False):
                first, last = bisect_left(self.filer_rows, start), bisect_left(self.filer_rows, end)
                filer_rows.extend(row - start + before for row in self.filer_rows[first:last])
                filer_spans.append((first, last))

        def cut_filed(column: list) -> list:
            return list(chain.from_iterable(column[first:last] for first, last in filer_spans))

        return LineRecords(
            self.header_keys, array("q", [self.header_codes[i] for i in indexes]),
            array("q", [self.line_counts[i] for i in indexes]), self.keys, array("q", cut(self.codes)),
            array("q", cut(self.line_numbers)), cut(self.quantities), cut(self.values), cut(self.cargo_controls),
            filer_rows, array("q", cut_filed(self.filer_indexes)), cut_filed(self.filer_charges),
            cut_filed(self.filer_texts),
        )


class RecordsBuilder:
    """A reader's records, filled as it builds each line (``add_line``) and each declaration (``add_declaration``,
    after its lines)."""

    __slots__ = ("header_numbers", "header_codes", "line_counts", "key_numbers", "codes", "line_numbers",
                 "quantities", "values", "cargo_controls", "filer_rows", "filer_indexes", "filer_charges",
                 "filer_texts", "_lines_before", "_appends")

    def __init__(self) -> None:
        self.header_numbers: dict[tuple[str, str, str, str], int] = {}
        self.header_codes = array("q")
        self.line_counts = array("q")
        self.key_numbers: dict[tuple, int] = {}
        self.codes = array("q")
        self.line_numbers = array("q")
        self.quantities: list[str] = []
        self.values: list[str] = []
        self.cargo_controls: list[str | None] = []
        self.filer_rows = array("q")
        self.filer_indexes = array("q")
        self.filer_charges: list[str] = []
        self.filer_texts: list[str] = []
        self._lines_before = 0  # lines of the declarations added so far
        # bound once: add_line runs for every line a reader builds
        self._appends = (self.codes.append, self.line_numbers.append, self.quantities.append, self.values.append,
                         self.cargo_controls.append)

    def add_line(self, line: Line, line_number: int | None = None) -> None:
        """A line the reader built; ``line_number`` is its ``Line.line_number`` when the reader has it already."""
        code, number, quantity, value, cargo_control = self._appends
        numbers = self.key_numbers
        key = (line.classification, line.treatment, line.origin, line.unit, line.value_currency,
               line.special_authority, line.gst_exemption, line.excise_code, line.sima)  # CODE_FIELDS
        code(numbers.setdefault(key, len(numbers)))
        number(line.line_number if line_number is None else line_number)
        quantity(line.quantity)
        value(line.value)
        cargo_control(line.cargo_control)
        if line.filer_amounts:
            self._add_filer_amounts(len(self.codes) - 1, line.filer_amounts)

    def _add_filer_amounts(self, row: int, amounts: tuple[FilerAmount, ...]) -> None:
        for index, amount in enumerate(amounts):
            self.filer_rows.append(row)
            self.filer_indexes.append(index)
            self.filer_charges.append(amount.charge_type)
            self.filer_texts.append(amount.amount)

    def add_declaration(self, declaration: Declaration) -> None:
        """A declaration whose lines are the ones added since the previous declaration."""
        numbers, key = self.header_numbers, header_key(declaration)
        number = numbers.get(key)
        if number is None:
            # the batch's frame looks each file's header keys up among all files' (``frame._numbered``): the
            # same dates and currency as one string object each (sys.intern) make that look-up compare
            # pointers, not texts spread over the batch's memory (half its time on a million lines)
            number = numbers[tuple([text and intern(text) for text in key])] = len(numbers)
        self.header_codes.append(number)
        self.line_counts.append(len(self.codes) - self._lines_before)
        self._lines_before = len(self.codes)

    def records(self) -> LineRecords:
        return LineRecords(
            list(self.header_numbers), self.header_codes, self.line_counts, list(self.key_numbers), self.codes,
            self.line_numbers, self.quantities, self.values, self.cargo_controls, self.filer_rows,
            self.filer_indexes, self.filer_charges, self.filer_texts,
        )


def records_of(declarations: Sequence[Declaration]) -> LineRecords:
    """The records of declarations built without a reader's records (in tests, or from stored documents)."""
    builder = RecordsBuilder()
    for declaration in declarations:
        for line in declaration.lines:
            builder.add_line(line)
        builder.add_declaration(declaration)
    return builder.records()
