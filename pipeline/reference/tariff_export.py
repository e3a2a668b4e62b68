"""CBSA's tariff export (table ``TPHS`` of the Access database, saved as CSV by ``mdb-export``) read row by row.

Facts of the real file (spec/reference-data.md) and what this reader does with them:

- Header ``TARIFF,EFF_DATE,CHANGE,SUB_CHAP,DESC1,DESC2,DESC3,FOOTNOTE,UOM,MFN,AUT,…,row_id,UAT,General Tariff,
  CPUKT``, columns in any order. A rate column is one named after a treatment of ``tariff_treatment_codes.csv``
  (``MFN`` and ``General Tariff`` included); a treatment known there without a CBSA code (CPUKT) is skipped.
  Any other column not of the export's own (``CHANGE``, ``row_id`` …) is *unknown*: reported, never fatal.
- ``EFF_DATE`` is ``MM/DD/YY HH:MM:SS`` (``09/01/26 00:00:00`` is 2026-09-01); ``MM/DD/YYYY`` and ISO dates
  (``2026-09-01``, ``2026-09-01 00:00:00``) are read too.
- ``TARIFF`` of fewer than 8 digits, or of 9 (``7407.10.1``), is a grouping row (chapter, heading, subheading):
  counted, no rates. 8 digits is a tariff item, 10 a statistical classification.
- Rate cells as printed (``8 %``, ``0.86 ¢each``, ``N/A`` …, ``pipeline.reference.rates``); empty or ``N/A``:
  not offered. ``UOM`` ``-`` (with or without trailing spaces): no unit.
- UTF-8 or Windows-1252; descriptions quoted over several lines (a row's number is the line it starts on).

A cell that cannot be read never stops the load: it becomes a ``CellFault`` of that row (by treatment code for
a rate cell, ``UNIT_OF_MEASURE`` for the unit, ``WHOLE_ITEM`` for the date or a malformed row), and the tariff
builder (``pipeline.reference.tariff``) makes the item unusable for what the cell decides. A ``TARIFF`` that is
not a tariff number at all is a fault of the file, listed by ``carm refdata check``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pipeline.errors import ReferenceDataError
from pipeline.reference.rates import RateSyntaxError, parse_rate_cell
from pipeline.reference.table import read_header, read_text
from pipeline.reference.types import UNIT_OF_MEASURE, WHOLE_ITEM, CellFault, Rate, Units

#: Columns of the export that are not rate cells.
OWN_COLUMNS = frozenset(
    {"TARIFF", "EFF_DATE", "CHANGE", "SUB_CHAP", "DESC1", "DESC2", "DESC3", "FOOTNOTE", "UOM", "row_id"}
)
REQUIRED_COLUMNS = ("TARIFF", "EFF_DATE", "UOM", "MFN")
DESCRIPTION_COLUMNS = ("DESC1", "DESC2", "DESC3")
#: Rate columns whose header is not the treatment's abbreviation.
COLUMN_ABBREVIATIONS = {"General Tariff": "GT"}
ITEM_DIGITS, CLASSIFICATION_DIGITS = 8, 10
_TARIFF = re.compile(r"[0-9. ]+")
_UNSEEN = object()  # a memo's "not parsed yet" (None is a parsed value: no date, no unit, N/A)
_DATE_FORMATS = ("%m/%d/%y %H:%M:%S", "%m/%d/%y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y")


@dataclass(slots=True)
class TariffRow:
    """One tariff row of either form, before versions and editions are worked out."""

    key: str  # digits
    text: str  # TARIFF as written
    description: str
    unit: str | None
    start: date  # EFF_DATE (date.min when it cannot be read: the row is then unusable as a whole)
    rates: dict[str, Rate]  # treatment code -> rate
    faults: dict[str, CellFault]  # treatment code, UNIT_OF_MEASURE or WHOLE_ITEM -> the cell
    has_rates: bool  # any rate cell filled (readable or not)
    general_given: bool
    source: str
    row: int
    cells: tuple[str, ...] = ()  # as read, to tell a duplicate row from a conflicting one


@dataclass(slots=True)
class ExportFile:
    """What reading one export gave: its tariff rows and what the check reports about the file itself."""

    rows: list[TariffRow] = field(default_factory=list)
    data_rows: int = 0
    headings: int = 0
    unknown_columns: tuple[str, ...] = ()
    faults: list[CellFault] = field(default_factory=list)  # rows that are no tariff row at all


def parse_export_date(text: str) -> date | None:
    """``MM/DD/YY HH:MM:SS`` (Access via mdb-export), ``MM/DD/YYYY``, or ISO; None when it is none of them."""
    text = text.strip()
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    for form in _DATE_FORMATS:
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    return None


def is_no_unit(text: str) -> bool:
    return text == "" or text.strip("-–") == ""


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where a row's cells are, from the header."""

    width: int
    tariff: int
    eff_date: int
    uom: int
    descriptions: tuple[int, ...]
    rates: tuple[tuple[int, str, str], ...]  # (index, column, treatment code)
    unknown: tuple[str, ...]

    @classmethod
    def of(cls, header: list[str], codes: Mapping[str, str | None]) -> _Layout:
        rates, unknown = [], []
        for index, column in enumerate(header):
            if column in OWN_COLUMNS:
                continue
            abbreviation = COLUMN_ABBREVIATIONS.get(column, column)
            if abbreviation not in codes:
                unknown.append(column)
            elif codes[abbreviation] is not None:
                rates.append((index, column, codes[abbreviation]))
        position = {column: index for index, column in enumerate(header)}
        return cls(
            width=len(header),
            tariff=position["TARIFF"],
            eff_date=position["EFF_DATE"],
            uom=position["UOM"],
            descriptions=tuple(position[c] for c in DESCRIPTION_COLUMNS if c in position),
            rates=tuple(rates),
            unknown=tuple(unknown),
        )


class _RowReader:
    """One export's rows into ``TariffRow``; cell texts are parsed once each (an export repeats "Free", "8 %"
    and its dates thousands of times)."""

    def __init__(self, path: Path, layout: _Layout, units: Units, general_code: str) -> None:
        self.layout, self.units, self.general_code = layout, units, general_code
        self.where = path.name  # a fault names the file only: messages go back to senders, paths stay here
        self.source = f"{path.name} (CBSA tariff export)"
        self.rates: dict[str, Rate | None | RateSyntaxError] = {}
        self.dates: dict[str, date | None] = {}
        self.unit_codes: dict[str, str | None] = {}
        self.items_with_rates: dict[str, bool] = {}

    def read(self, cells: list[str], line: int) -> TariffRow | CellFault | None:
        """The row starting on ``line``: a tariff row, a fault when it is no tariff row at all, None for a
        grouping row."""
        layout = self.layout
        text = cells[layout.tariff].strip() if layout.tariff < len(cells) else ""
        key = text.replace(".", "").replace(" ", "")
        if not _TARIFF.fullmatch(text) or not key or len(key) > CLASSIFICATION_DIGITS:
            return CellFault(self.where, line, "TARIFF", text, f"{text!r} is not a tariff number")
        if len(key) not in (ITEM_DIGITS, CLASSIFICATION_DIGITS):
            return None
        faults: dict[str, CellFault] = {}
        if len(cells) != layout.width:
            faults[WHOLE_ITEM] = CellFault(
                self.where, line, "TARIFF", text,
                f"the row has {len(cells)} cells but the header has {layout.width} columns; the row is not used",
            )
            cells = (cells + [""] * layout.width)[: layout.width]
        # A classification's own rate cells are stale copies: read only when no tariff item row with rates came
        # before it (CBSA's export always lists the item first; the builder decides what a row without one gets).
        rates: dict[str, Rate] = {}
        has_rates = False
        if len(key) == ITEM_DIGITS or not self.items_with_rates.get(key[:ITEM_DIGITS], False):
            rates, has_rates = self._rates(cells, faults, line)
        if len(key) == ITEM_DIGITS:
            self.items_with_rates[key] = self.items_with_rates.get(key, False) or has_rates
        return TariffRow(
            key=key,
            text=text,
            description=" ".join(" ".join([cells[i] for i in layout.descriptions]).split()),
            unit=self._unit(cells[layout.uom].strip(), faults, line),
            start=self._date(cells[layout.eff_date].strip(), faults, line),
            rates=rates,
            faults=faults,
            has_rates=has_rates,
            general_given=self.general_code in rates or self.general_code in faults,
            source=self.source,
            row=line,
            cells=tuple(cells),
        )

    def _date(self, text: str, faults: dict[str, CellFault], line: int) -> date:
        found = self.dates.get(text, _UNSEEN)
        if found is _UNSEEN:
            found = self.dates[text] = parse_export_date(text)
        if found is None:
            faults[WHOLE_ITEM] = CellFault(
                self.where, line, "EFF_DATE", text, f"{text!r} is not a date MM/DD/YY HH:MM:SS"
            )
            return date.min
        return found

    def _unit(self, text: str, faults: dict[str, CellFault], line: int) -> str | None:
        if is_no_unit(text):
            return None
        found = self.unit_codes.get(text, _UNSEEN)
        if found is _UNSEEN:
            found = self.unit_codes[text] = self.units.canonical(text)
        if found is None:
            faults[UNIT_OF_MEASURE] = CellFault(
                self.where, line, "UOM", text, f"{text!r} is not a UN/ECE Rec 20 unit code nor a CBSA alias"
            )
        return found

    def _rates(self, cells: list[str], faults: dict[str, CellFault], line: int) -> tuple[dict[str, Rate], bool]:
        """The row's rates by treatment code, and whether any rate cell is filled; unreadable cells go to
        ``faults``."""
        rates: dict[str, Rate] = {}
        filled = False
        for index, column, code in self.layout.rates:
            cell = cells[index]
            if not cell or cell.isspace():
                continue
            filled = True
            found = self.rates.get(cell, _UNSEEN)
            if found is _UNSEEN:
                try:
                    found = parse_rate_cell(cell)
                except RateSyntaxError as error:
                    found = error
                self.rates[cell] = found
            if isinstance(found, RateSyntaxError):
                faults[code] = CellFault(self.where, line, column, cell.strip(), found.problem)
            elif found is not None:
                rates[code] = found
        return rates, filled


def read_export(path: Path, codes: Mapping[str, str | None], units: Units, general_code: str) -> ExportFile:
    """The rows of one export. ``codes`` maps treatment abbreviations to CBSA codes (None: known, skipped)."""
    name = str(path)
    text = read_text(path, legacy_encoding=True)
    if "\x00" in text:  # the csv module refuses a NUL anywhere; as U+FFFD it spoils only its own cell
        text = text.replace("\x00", "\ufffd")
    reader = csv.reader(io.StringIO(text, newline=""))
    layout = _Layout.of(read_header(reader, name, REQUIRED_COLUMNS), codes)
    rows = _RowReader(path, layout, units, general_code)
    result = ExportFile(unknown_columns=layout.unknown)
    line = 1
    while True:
        start = line + 1  # a quoted description may span lines: a row is named by the line it starts on
        try:
            cells = next(reader)
        except StopIteration:
            return result
        except csv.Error as error:
            raise ReferenceDataError(name, reader.line_num, None, f"not CSV: {error}") from None
        line = reader.line_num
        if not cells or not "".join(cells).strip():
            continue
        result.data_rows += 1
        found = rows.read(cells, start)
        if found is None:
            result.headings += 1
        elif isinstance(found, CellFault):
            result.faults.append(found)
        else:
            result.rows.append(found)
