"""The prescribed interest rate of a quarter, computed as the Interest Rate for Customs Purposes Regulations
(SOR/86-1121) s. 4 says (spec/reference-data.md): the simple mean of the average equivalent yields of
3-month Government of Canada Treasury Bills sold at auctions during the first month of the preceding quarter,
rounded to the nearest 0.1 % (a tie goes up). Arrears interest is charged at that rate + 6 % (billing.md).

The yields file (``billing/tbill_yields.csv`` of the reference data; none is shipped, as no real auction
results were available to this project) is plain CSV, UTF-8, header on row 1::

    auction_date,term,average_yield_percent,source,example
    2026-01-06,3M,2.245,illustration (not a real auction result),true

- ``auction_date``: the auction's date, YYYY-MM-DD;
- ``term``: ``3M`` (3-month bills, the only term used), ``6M``, ``12M`` or ``1Y`` (read and left aside, so
  the Bank's results for every term can be pasted as they are);
- ``average_yield_percent``: the average equivalent yield, % a year, as published (e.g. ``2.245``);
- ``source``: where the figure comes from (required); ``example``: ``true`` for invented figures (optional,
  yes/no also read).

A quarter is computed only when its month's auctions are known to be complete, that is, when the file also
holds a later auction (of any term); otherwise its rate comes from the table. Exact arithmetic throughout (the
mean is a fraction; rounding is done on it, never on a float).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from math import floor

from pipeline.errors import ReferenceDataError
from pipeline.reference.table import Row

YIELDS_FILE = "billing/tbill_yields.csv"
THREE_MONTHS = "3M"
_TERM = re.compile(r"(\d{1,2})M|1Y")
_COLUMNS = ("auction_date", "term", "average_yield_percent", "source")


@dataclass(frozen=True, slots=True)
class Auction:
    on: date
    term: str  # "3M", "6M", "12M"
    average_yield: Decimal  # % a year
    source: str
    example: bool
    row: int


@dataclass(frozen=True, slots=True)
class ComputedRate:
    """The prescribed rate of a quarter and the auctions it was computed from."""

    quarter: date  # first day of the quarter
    rate: Decimal  # % a year, one decimal
    mean: Fraction  # the exact mean before rounding
    auctions: tuple[Auction, ...]

    @property
    def example(self) -> bool:
        return any(auction.example for auction in self.auctions)


def parse_yields(text: str, source_name: str = YIELDS_FILE) -> tuple[Auction, ...]:
    """The auctions of a yields file; ``ReferenceDataError`` names the file, row (header = 1) and column."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = [cell.strip() for cell in next(reader, [])]
    for column in _COLUMNS:
        if column not in header:
            raise ReferenceDataError(source_name, 1, column, "missing column")
    auctions = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        row = Row(source_name, reader.line_num, dict(zip(header, cells, strict=False)))
        term = row.text("term").upper().replace(" ", "")
        if not _TERM.fullmatch(term):
            raise row.error("term", f"expected 3M, 6M, 12M or 1Y: {row.values['term']!r}")
        auctions.append(Auction(row.date("auction_date"), term, row.decimal("average_yield_percent"),
                                row.text("source"), row.flag("example"), row.number))
    return tuple(auctions)


def round_to_tenth(value: Fraction) -> Decimal:
    """To the nearest 0.1, a tie going up (SOR/86-1121 as spec/reference-data.md reads it)."""
    return Decimal(floor(value * 10 + Fraction(1, 2))) / 10


def prescribed_rates(auctions: Iterable[Auction]) -> dict[date, ComputedRate]:
    """Quarter (first day) -> its rate, for every quarter whose preceding quarter's first month has 3-month
    auctions and is complete (a later auction is known)."""
    auctions = tuple(auctions)
    if not auctions:
        return {}
    last = max(auction.on for auction in auctions)
    by_month: dict[tuple[int, int], list[Auction]] = {}
    for auction in auctions:
        if auction.term == THREE_MONTHS and auction.on.month in (1, 4, 7, 10):
            by_month.setdefault((auction.on.year, auction.on.month), []).append(auction)
    rates = {}
    for (year, month), used in sorted(by_month.items()):
        if last.replace(day=1) <= date(year, month, 1):
            continue  # the month may still have auctions to come
        mean = sum((Fraction(auction.average_yield) for auction in used), Fraction(0)) / len(used)
        quarter = date(year + (month == 10), (month + 3 - 1) % 12 + 1, 1)
        rates[quarter] = ComputedRate(quarter, round_to_tenth(mean), mean, tuple(sorted(used, key=_auction_key)))
    return rates


def _auction_key(auction: Auction) -> tuple[date, int]:
    return auction.on, auction.row


def describe(rates: Mapping[date, ComputedRate]) -> list[str]:
    """One line per quarter: how its rate was computed (for reports and ``refdata`` commands)."""
    lines = []
    for quarter, computed in sorted(rates.items()):
        yields = ", ".join(f"{a.on} {a.average_yield}" for a in computed.auctions)
        name = f"{quarter.year}-Q{(quarter.month - 1) // 3 + 1}"
        mean = Decimal(computed.mean.numerator) / Decimal(computed.mean.denominator)
        lines.append(f"{name}: {computed.rate}% = mean {mean:.4f} of 3-month auction yields "
                     f"({yields}){' (EXAMPLE figures)' if computed.example else ''}")
    return lines
