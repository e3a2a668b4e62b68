"""Reading one reference table (CSV, UTF-8) row by row, with faults that name the file, row and column.

Row numbers are the file's line numbers, as a spreadsheet or an editor shows them: the header is row 1, the
first data row is row 2.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pipeline.errors import ReferenceDataError

YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0", ""})


@dataclass(frozen=True, slots=True)
class Row:
    path: str
    number: int
    values: dict[str, str]

    def error(self, column: str | None, problem: str) -> ReferenceDataError:
        return ReferenceDataError(self.path, self.number, column, problem)

    def text(self, column: str) -> str:
        """A required, non-empty cell, stripped."""
        value = self.values.get(column, "").strip()
        if not value:
            raise self.error(column, "empty; a value is required")
        return value

    def optional(self, column: str) -> str | None:
        value = self.values.get(column, "").strip()
        return value or None

    def decimal(self, column: str, *, positive: bool = False) -> Decimal:
        text = self.text(column)
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise self.error(column, f"{text!r} is not a decimal number") from None
        if not value.is_finite() or value < 0 or (positive and value == 0):
            raise self.error(
                column, f"{text!r} must be a {'positive' if positive else 'non-negative'} number"
            )
        return value

    def optional_decimal(self, column: str) -> Decimal | None:
        return self.decimal(column) if self.optional(column) is not None else None

    def date(self, column: str) -> date:
        return parse_iso_date(self, column, self.text(column))

    def optional_date(self, column: str) -> date | None:
        text = self.optional(column)
        return None if text is None else parse_iso_date(self, column, text)

    def flag(self, column: str) -> bool:
        text = self.values.get(column, "").strip().lower()
        if text in YES:
            return True
        if text in NO:
            return False
        raise self.error(column, f"{text!r} is not yes or no")

    def window(self, start_column: str, end_column: str) -> tuple[date, date | None]:
        start, end = self.date(start_column), self.optional_date(end_column)
        if end is not None and end < start:
            raise self.error(end_column, f"ends ({end}) before it starts ({start})")
        return start, end

    def goods(self, column: str) -> frozenset[str] | None:
        """Tariff-item prefixes separated by spaces or semicolons, dots allowed; empty = all goods (None)."""
        text = self.optional(column)
        if text is None:
            return None
        prefixes = set()
        for token in text.replace(";", " ").replace(",", " ").split():
            digits = token.replace(".", "")
            if not digits.isdigit() or not 2 <= len(digits) <= 10:
                raise self.error(column, f"{token!r} is not a tariff-item prefix of 2 to 10 digits")
            prefixes.add(digits)
        return frozenset(prefixes)

    def countries(self, column: str, known: frozenset[str]) -> frozenset[str]:
        """ISO 3166-1 alpha-2 codes separated by spaces or semicolons; every one must be known."""
        codes = set()
        for token in self.text(column).replace(";", " ").replace(",", " ").split():
            code = token.upper()
            if code not in known:
                raise self.error(column, f"{token!r} is not an ISO 3166-1 alpha-2 country code")
            codes.add(code)
        return frozenset(codes)


def parse_iso_date(row: Row, column: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise row.error(column, f"{text!r} is not a date YYYY-MM-DD") from None


def file_sha256(path: Path) -> str:
    """The SHA-256 of a reference file's bytes, in hex: the version of the file a posted line records."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as error:
        raise ReferenceDataError(str(path), None, None, f"cannot be read: {error.strerror}") from None


def read_text(path: Path, *, legacy_encoding: bool = False) -> str:
    """The file's text: UTF-8 (a BOM is allowed); ``legacy_encoding`` also accepts Windows-1252, the
    encoding of CBSA's Access exports (its five undefined bytes become U+FFFD, so a cell holding one is
    reported as unreadable instead of stopping the load)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReferenceDataError(str(path), None, None, "file not found") from None
    except OSError as error:
        raise ReferenceDataError(str(path), None, None, f"cannot be read: {error.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if legacy_encoding:
            return data.decode("cp1252", errors="replace")
        raise ReferenceDataError(str(path), None, None, f"not UTF-8 (byte {error.start})") from None


def read_header(reader: Iterator[list[str]], name: str, columns: Sequence[str]) -> list[str]:
    """The first row of a CSV reader, stripped, which must hold at least ``columns``."""
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise ReferenceDataError(name, 1, None, "empty file; a header row is required") from None
    except csv.Error as error:
        raise ReferenceDataError(name, 1, None, f"not CSV: {error}") from None
    for column in columns:
        if column not in header:
            raise ReferenceDataError(name, 1, column, "column missing from the header")
    return header


def read_csv(path: Path, columns: Sequence[str], *, legacy_encoding: bool = False) -> Iterator[Row]:
    """The data rows of a CSV file whose header holds at least ``columns`` (in any order).

    Blank lines are skipped; a row with more cells than the header is a fault.
    """
    text = read_text(path, legacy_encoding=legacy_encoding)
    reader = csv.reader(text.splitlines(keepends=True))
    name = str(path)
    header = read_header(reader, name, columns)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ReferenceDataError(name, reader.line_num, None, f"not CSV: {error}") from None
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            raise ReferenceDataError(
                name, reader.line_num, None, f"{len(cells)} cells but the header has {len(header)} columns"
            )
        yield Row(name, reader.line_num, dict(zip(header, cells, strict=False)))
