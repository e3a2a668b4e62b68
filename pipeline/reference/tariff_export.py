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


class _Cells:
    """Parsed cell texts, memoised: an export repeats "Free", "8 %" and its dates thousands of times."""

    def __init__(self, units: Units) -> None:
        self.units = units
        self.rates: dict[str, Rate | None | RateSyntaxError] = {}
        self.dates: dict[str, date | None] = {}
        self.unit_codes: dict[str, str | None] = {}

    def rate(self, text: str) -> Rate | None:
        try:
            found = self.rates[text]
        except KeyError:
            try:
                found = parse_rate_cell(text)
            except RateSyntaxError as error:
                found = error
            self.rates[text] = found
        if isinstance(found, RateSyntaxError):
            raise found
        return found

    def date(self, text: str) -> date | None:
        try:
            return self.dates[text]
        except KeyError:
            found = self.dates[text] = parse_export_date(text)
            return found

    def unit(self, text: str) -> str | None:
        try:
            return self.unit_codes[text]
        except KeyError:
            found = self.unit_codes[text] = self.units.canonical(text)
            return found


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


def _rates(
    cells: list[str], rate_columns: list[tuple[int, str, str]], cells_of: _Cells, faults: dict[str, CellFault],
    where: str, line: int,
) -> tuple[dict[str, Rate], bool]:
    """The row's rates by treatment code, and whether any rate cell is filled; unreadable cells go to ``faults``."""
    rates: dict[str, Rate] = {}
    filled = False
    for index, column, code in rate_columns:
        cell = cells[index]
        if not cell or cell.isspace():
            continue
        filled = True
        try:
            rate = cells_of.rate(cell)
        except RateSyntaxError as error:
            faults[code] = CellFault(where, line, column, cell.strip(), error.problem)
            continue
        if rate is not None:
            rates[code] = rate
    return rates, filled


def read_export(path: Path, codes: Mapping[str, str | None], units: Units, general_code: str) -> ExportFile:
    """The rows of one export. ``codes`` maps treatment abbreviations to CBSA codes (None: known, skipped)."""
    name = str(path)
    text = read_text(path, legacy_encoding=True)
    if "\x00" in text:  # the csv module refuses a NUL anywhere; as U+FFFD it spoils only its own cell
        text = text.replace("\x00", "\ufffd")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = read_header(reader, name, REQUIRED_COLUMNS)
    position = {column: index for index, column in enumerate(header)}
    rate_columns: list[tuple[int, str, str]] = []  # (index, column, treatment code)
    unknown = []
    for index, column in enumerate(header):
        abbreviation = COLUMN_ABBREVIATIONS.get(column, column)
        if column in OWN_COLUMNS:
            continue
        if abbreviation in codes:
            code = codes[abbreviation]
            if code is not None:
                rate_columns.append((index, column, code))
        else:
            unknown.append(column)
    result = ExportFile(unknown_columns=tuple(unknown))
    cells_of = _Cells(units)
    tariff_at, date_at, unit_at = position["TARIFF"], position["EFF_DATE"], position["UOM"]
    descriptions = [position[c] for c in DESCRIPTION_COLUMNS if c in position]
    width = len(header)
    source = f"{path.name} (CBSA tariff export)"
    where = path.name  # a fault is named by the file's name: messages go back to senders, paths stay here
    items_with_rates: dict[str, bool] = {}
    line = 1
    while True:
        start_line = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise ReferenceDataError(name, reader.line_num, None, f"not CSV: {error}") from None
        line = reader.line_num
        if not cells or not "".join(cells).strip():
            continue
        result.data_rows += 1
        tariff_text = cells[tariff_at].strip() if tariff_at < len(cells) else ""
        key = tariff_text.replace(".", "").replace(" ", "")
        if not _TARIFF.fullmatch(tariff_text) or not key or len(key) > CLASSIFICATION_DIGITS:
            result.faults.append(
                CellFault(where, start_line, "TARIFF", tariff_text, f"{tariff_text!r} is not a tariff number")
            )
            continue
        if len(key) not in (ITEM_DIGITS, CLASSIFICATION_DIGITS):
            result.headings += 1
            continue
        faults: dict[str, CellFault] = {}
        if len(cells) != width:
            faults[WHOLE_ITEM] = CellFault(
                where, start_line, "TARIFF", tariff_text,
                f"the row has {len(cells)} cells but the header has {width} columns; the row is not used",
            )
            cells = (cells + [""] * width)[:width]
        date_text = cells[date_at].strip()
        start = cells_of.date(date_text)
        if start is None:
            faults[WHOLE_ITEM] = CellFault(
                where, start_line, "EFF_DATE", date_text, f"{date_text!r} is not a date MM/DD/YY HH:MM:SS"
            )
            start = date.min
        unit_text = cells[unit_at].strip()
        unit = None
        if not is_no_unit(unit_text):
            unit = cells_of.unit(unit_text)
            if unit is None:
                faults[UNIT_OF_MEASURE] = CellFault(
                    where, start_line, "UOM", unit_text,
                    f"{unit_text!r} is not a UN/ECE Rec 20 unit code nor a CBSA alias",
                )
        # A classification's own rate cells are stale copies: read only when no tariff item row with rates came
        # before it (CBSA's export always lists the item first; the builder decides what a row without one gets).
        rates: dict[str, Rate] = {}
        has_rates = False
        if len(key) == ITEM_DIGITS or not items_with_rates.get(key[:ITEM_DIGITS], False):
            rates, has_rates = _rates(cells, rate_columns, cells_of, faults, where, start_line)
        if len(key) == ITEM_DIGITS:
            items_with_rates[key] = items_with_rates.get(key, False) or has_rates
        result.rows.append(
            TariffRow(
                key=key,
                text=tariff_text,
                description=" ".join(" ".join([cells[i] for i in descriptions]).split()),
                unit=unit,
                start=start,
                rates=rates,
                faults=faults,
                has_rates=has_rates,
                general_given=general_code in rates or general_code in faults,
                source=source,
                row=start_line,
                cells=tuple(cells),
            )
        )
    return result
