"""What the assessment frame reads of each line and declaration, recorded by the readers as they build them.

The frame (``pipeline.assess.frame``) needs a dozen fields of every line of a batch. Reading them back from a
million ``Line`` objects after the fact waits on memory for each object, so the readers record them as they go:
each line the moment it is built (its fields are still in the processor's cache), its codes numbered by one
dictionary look-up of its code key, and each declaration's header texts. A file's records come with its parse
result (``ParseResult.records``); intake cuts them down to the declarations it accepts (``LineRecords.selected``)
and builds the batch's frame from its files' records (``pipeline.assess.frame.frame_from_records``). ``records_of`` records declarations that were not read by a reader (tests, commands).

Plain tuples and lists, no numpy or pandas: the readers (and ``carm validate``) stay free of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, chain

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
#: The ``Declaration`` fields of a header record, in order.
DECLARATION_TEXTS = ("currency", "release_date", "shipment_date", "cad_type")


def header_record(declaration: Declaration) -> tuple[str, str, str, str]:
    """A declaration as the frame reads it (``DECLARATION_TEXTS``)."""
    return declaration.currency, declaration.release_date, declaration.shipment_date, declaration.cad_type


@dataclass(frozen=True, slots=True)
class LineRecords:
    """What the frame reads of some declarations, in columns (lists), declarations in order and lines in file order.

    Per declaration: ``headers`` (``DECLARATION_TEXTS``) and ``line_counts``. Per line: ``codes``, the number of
    its code key (its ``CODE_FIELDS`` as one tuple) in ``keys``, the distinct keys in the order the reader met
    them; ``numbers``, ``quantities``, ``values`` and ``cargo_controls``, the line's texts; ``filer_amounts``, its
    ``Line.filer_amounts``."""

    headers: list[tuple[str, str, str, str]]
    line_counts: list[int]
    keys: list[tuple]
    codes: list[int]
    numbers: list[str]
    quantities: list[str]
    values: list[str]
    cargo_controls: list[str | None]
    filer_amounts: list[tuple[FilerAmount, ...]]

    def __len__(self) -> int:
        return len(self.headers)

    def selected(self, indexes: Sequence[int]) -> LineRecords:
        """The records of the declarations at ``indexes`` (ascending), as if only they had been recorded."""
        if len(indexes) == len(self.headers):
            return self
        starts = list(accumulate(self.line_counts, initial=0))
        spans = [(starts[i], starts[i + 1]) for i in indexes]

        def cut(column: list) -> list:
            return list(chain.from_iterable(column[start:end] for start, end in spans))

        return LineRecords(
            [self.headers[i] for i in indexes], [self.line_counts[i] for i in indexes], self.keys, cut(self.codes),
            cut(self.numbers), cut(self.quantities), cut(self.values), cut(self.cargo_controls),
            cut(self.filer_amounts),
        )


class RecordsBuilder:
    """A reader's records, filled as it builds each line (``add_line``) and each declaration (``add_declaration``,
    after its lines)."""

    __slots__ = ("headers", "line_counts", "key_numbers", "codes", "numbers", "quantities", "values",
                 "cargo_controls", "filer_amounts", "_lines_before", "_appends")

    def __init__(self) -> None:
        self.headers: list[tuple[str, str, str, str]] = []
        self.line_counts: list[int] = []
        self.key_numbers: dict[tuple, int] = {}
        self.codes: list[int] = []
        self.numbers: list[str] = []
        self.quantities: list[str] = []
        self.values: list[str] = []
        self.cargo_controls: list[str | None] = []
        self.filer_amounts: list[tuple[FilerAmount, ...]] = []
        self._lines_before = 0  # lines of the declarations added so far
        # bound once: add_line runs for every line a reader builds
        self._appends = (self.codes.append, self.numbers.append, self.quantities.append, self.values.append,
                         self.cargo_controls.append, self.filer_amounts.append)

    def add_line(self, line: Line) -> None:
        code, number, quantity, value, cargo_control, filer_amounts = self._appends
        numbers = self.key_numbers
        key = (line.classification, line.treatment, line.origin, line.unit, line.value_currency,
               line.special_authority, line.gst_exemption, line.excise_code, line.sima)  # CODE_FIELDS
        code(numbers.setdefault(key, len(numbers)))
        number(line.number)
        quantity(line.quantity)
        value(line.value)
        cargo_control(line.cargo_control)
        filer_amounts(line.filer_amounts)

    def add_declaration(self, declaration: Declaration) -> None:
        """A declaration whose lines are the ones added since the previous declaration."""
        self.headers.append(header_record(declaration))
        self.line_counts.append(len(self.codes) - self._lines_before)
        self._lines_before = len(self.codes)

    def records(self) -> LineRecords:
        return LineRecords(
            self.headers, self.line_counts, list(self.key_numbers), self.codes, self.numbers, self.quantities,
            self.values, self.cargo_controls, self.filer_amounts,
        )


def records_of(declarations: Sequence[Declaration]) -> LineRecords:
    """The records of declarations built without a reader's records (in tests, or from stored documents)."""
    builder = RecordsBuilder()
    for declaration in declarations:
        for line in declaration.lines:
            builder.add_line(line)
        builder.add_declaration(declaration)
    return builder.records()
