"""Arrears interest and the billing penalties (spec/billing.md "Interest and penalties").

- **Rate.** The *specified rate* is the prescribed rate of the calendar quarter plus 6 points a year (Customs
  Act s. 2 "specified rate"; quarterly prescribed rates under SOR/86-1121 are reference data).
- **Compounding.** Daily: each day's interest is ``(unpaid principal + interest accrued so far) × rate / 100 /
  365``. The divisor is **365 in every year**, leap years included (the Actual/365 Fixed convention of Canadian
  rates; a rate "per year" over 366 days then yields slightly more than the nominal rate, which is what daily
  compounding at an annual rate does anyway). It is a parameter (``days_in_year``; ``None`` = 365 or 366 by
  the year of the day) should CBSA's own figures show otherwise.
- **Days.** From the day after the due date (or a debt's ``interest_from``) through the last day of the window,
  on the balance as it stands at the end of each day: a payment effective on a day reduces that day's balance.
  No interest accrues for a day before the waiver date (default 2026-01-31, CARM transition), whenever the
  amount became overdue.
- **Rounding point.** Exact ``Decimal`` internally; rounded **once per window** (one interest posting per
  importer per period) to the cent with :func:`pipeline.money.round_cents`. The rounded, posted amount is what
  bears interest in later periods (the caller includes unpaid posted interest in the overdue balance).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path

from pipeline.billing.calendar import HolidayCalendar, is_late
from pipeline.billing.payments import Allocation, Debt
from pipeline.config import DEFAULT_INTEREST_WAIVER_UNTIL
from pipeline.errors import ReferenceDataError
from pipeline.money import MONEY_CONTEXT, from_cents, parse_amount, round_cents, to_cents
from pipeline.reference.prescribed_rate import YIELDS_FILE, parse_yields, prescribed_rates

__all__ = [
    "DEFAULT_WAIVER_UNTIL",
    "INTEREST_DAYS_IN_YEAR",
    "LATE_ACCOUNTING_PENALTY_CENTS",
    "LATE_PAYMENT_PENALTY_CENTS",
    "RATES_FILE",
    "SPECIFIED_RATE_MARGIN",
    "DailyInterest",
    "InterestAccrual",
    "PrescribedRates",
    "accrue_interest",
    "daily_interest",
    "interest_on_debts",
    "late_accounting_penalty",
    "late_payment_penalty",
    "load_prescribed_rates",
    "overdue_balance_by_day",
    "parse_prescribed_rates",
    "quarter_start",
]

#: Customs Act s. 2, "specified rate": the prescribed rate plus 6% a year.
SPECIFIED_RATE_MARGIN = Decimal(6)
#: The divisor of the annual rate for one day's interest (see the module's docstring).
INTEREST_DAYS_IN_YEAR = 365
#: CBSA's CARM transition waiver: no arrears interest or late-payment penalty for a day before this one (defined
#: once, with the setting that overrides it: ``CARM_INTEREST_WAIVER_UNTIL``).
DEFAULT_WAIVER_UNTIL = DEFAULT_INTEREST_WAIVER_UNTIL
#: AMPS C336: late payment, per statement whose balance was not paid by its due date.
LATE_PAYMENT_PENALTY_CENTS = 20_000
#: AMPS C288: late accounting (W02), per CAD.
LATE_ACCOUNTING_PENALTY_CENTS = 10_000

RATES_FILE = "billing/prescribed_interest_rates.csv"
SHIPPED_DATA = Path(__file__).resolve().parent.parent / "reference" / "data"
_QUARTER = re.compile(r"(\d{4})-?Q([1-4])", re.IGNORECASE)


def quarter_start(on: date) -> date:
    return date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)


@dataclass(frozen=True, slots=True)
class PrescribedRates:
    """The prescribed rate (annual %, SOR/86-1121) of each calendar quarter. A day whose quarter is missing is
    a reference-data fault, never the previous quarter's rate."""

    by_quarter: Mapping[date, Decimal]  # first day of the quarter -> annual rate %
    source: str
    example: bool  # True: values for tests and the demo, not CBSA's published rates
    example_quarters: frozenset[date] = frozenset()  # the quarters whose rate is an example

    def prescribed_on(self, on: date) -> Decimal:
        start = quarter_start(on)
        if start not in self.by_quarter:
            raise ReferenceDataError(
                self.source,
                None,
                "quarter",
                f"no prescribed rate for {start.year}-Q{(start.month - 1) // 3 + 1}",
            )
        return self.by_quarter[start]

    def specified_on(self, on: date) -> Decimal:
        """The specified rate (annual %) in force on ``on``."""
        return self.prescribed_on(on) + SPECIFIED_RATE_MARGIN


def _parse_quarter(text: str) -> date | None:
    match = _QUARTER.fullmatch(text.strip())
    if match:
        return date(int(match.group(1)), 3 * int(match.group(2)) - 2, 1)
    try:
        start = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return start if start == quarter_start(start) else None


def parse_prescribed_rates(text: str, source_name: str) -> PrescribedRates:
    """Columns ``quarter`` (``2025-Q3`` or the quarter's first day), ``rate_percent`` (annual %), ``source``,
    and optionally ``example`` (``true``/``false``). Raises :class:`ReferenceDataError` naming the file, row
    (the file's line number, header = 1) and column of a fault."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = [cell.strip() for cell in next(reader, [])]
    for column in ("quarter", "rate_percent", "source"):
        if column not in header:
            raise ReferenceDataError(source_name, 1, column, "missing column")
    rates: dict[date, Decimal] = {}
    examples: set[date] = set()
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        line = reader.line_num
        row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        start = _parse_quarter(row["quarter"])
        if start is None:
            raise ReferenceDataError(source_name, line, "quarter", f"not a quarter: {row['quarter']!r}")
        if start in rates:
            raise ReferenceDataError(source_name, line, "quarter", f"{row['quarter']} appears twice")
        try:
            rate = parse_amount(row["rate_percent"])
        except (InvalidOperation, ValueError):
            raise ReferenceDataError(
                source_name, line, "rate_percent", f"not a number: {row['rate_percent']!r}"
            ) from None
        if rate < 0:
            raise ReferenceDataError(source_name, line, "rate_percent", f"negative: {row['rate_percent']}")
        if not row["source"]:
            raise ReferenceDataError(source_name, line, "source", "empty")
        flag = row.get("example", "").lower()
        if flag not in ("", "true", "false"):
            raise ReferenceDataError(source_name, line, "example", f"expected true or false: {flag!r}")
        if flag == "true":
            examples.add(start)
        rates[start] = rate
    return PrescribedRates(
        dict(sorted(rates.items())), source_name, example=bool(examples), example_quarters=frozenset(examples)
    )


def load_prescribed_rates(
    text: str | None = None,
    source_name: str = RATES_FILE,
    *,
    yields_text: str | None = None,
    yields_source: str = YIELDS_FILE,
) -> PrescribedRates:
    """``text`` when given (the caller read it from ``CARM_REFDATA_DIR``), else the shipped example table.

    With a T-bill yields file (``yields_text``), the quarters it determines are computed (SOR/86-1121 s. 4,
    :mod:`pipeline.reference.prescribed_rate`) and replace the table's example rows; a real table row that
    disagrees with the computed rate is a fault. The result is an example if any quarter left is one."""
    if text is None:
        text = (SHIPPED_DATA / RATES_FILE).read_text(encoding="utf-8")
    table = parse_prescribed_rates(text, source_name)
    if yields_text is None:
        return table
    computed = prescribed_rates(parse_yields(yields_text, yields_source))
    rates, examples = dict(table.by_quarter), set(table.example_quarters)
    for quarter, rate in computed.items():
        listed = rates.get(quarter)
        if listed is not None and quarter not in examples and listed != rate.rate:
            raise ReferenceDataError(
                source_name, None, "rate_percent", f"{quarter.year}-Q{(quarter.month - 1) // 3 + 1}: {listed} in "
                f"the table but {rate.rate} computed from {yields_source} (SOR/86-1121 s. 4)"
            )
        rates[quarter] = rate.rate
        examples.discard(quarter)
        if rate.example:
            examples.add(quarter)
    return PrescribedRates(
        dict(sorted(rates.items())),
        f"{source_name}; quarters computed from {yields_source} (SOR/86-1121 s. 4)",
        example=bool(examples),
        example_quarters=frozenset(examples),
    )


# --- interest -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DailyInterest:
    on: date
    overdue_cents: int  # unpaid principal overdue at the end of the day
    base: Decimal  # principal + interest accrued before this day
    annual_rate: Decimal  # specified rate, %
    interest: Decimal  # exact


@dataclass(frozen=True, slots=True)
class InterestAccrual:
    from_day: date
    to_day: date
    exact: Decimal
    days: tuple[DailyInterest, ...]  # days that bore interest

    @property
    def amount(self) -> Decimal:
        """The interest to post, rounded to the cent."""
        return round_cents(self.exact)

    @property
    def cents(self) -> int:
        return to_cents(self.exact)


def _days_in_year(on: date, days_in_year: int | None) -> int:
    if days_in_year is not None:
        return days_in_year
    return 366 if date(on.year, 12, 31).timetuple().tm_yday == 366 else 365


def daily_interest(
    base: Decimal, annual_rate_percent: Decimal, days_in_year: int = INTEREST_DAYS_IN_YEAR
) -> Decimal:
    """One day's interest on ``base`` at an annual rate in percent; exact to 34 significant digits."""
    with localcontext(MONEY_CONTEXT):
        return base * annual_rate_percent / (100 * days_in_year)


def accrue_interest(
    overdue_cents_by_day: Mapping[date, int],
    from_day: date,
    to_day: date,
    rates: PrescribedRates,
    *,
    waiver_until: date = DEFAULT_WAIVER_UNTIL,
    days_in_year: int | None = INTEREST_DAYS_IN_YEAR,
) -> InterestAccrual:
    """Daily-compounded interest for each day of ``from_day..to_day`` (inclusive).

    ``overdue_cents_by_day`` is the unpaid overdue principal at the end of each day (a missing day: zero).
    Interest accrued earlier in the window keeps compounding even on days the principal is zero, since it is
    owed too.
    """
    if to_day < from_day:
        raise ValueError(f"empty window: {from_day} .. {to_day}")
    outside = [day for day in overdue_cents_by_day if not from_day <= day <= to_day]
    if outside:
        raise ValueError(f"balances given for days outside {from_day} .. {to_day}: {min(outside)}")
    accrued = Decimal(0)
    days: list[DailyInterest] = []
    day = max(from_day, waiver_until)
    with localcontext(MONEY_CONTEXT):
        while day <= to_day:
            overdue = overdue_cents_by_day.get(day, 0)
            if overdue < 0:
                raise ValueError(f"negative overdue balance on {day}: {overdue}")
            base = from_cents(overdue) + accrued
            if base:
                rate = rates.specified_on(day)
                interest = daily_interest(base, rate, _days_in_year(day, days_in_year))
                accrued += interest
                days.append(DailyInterest(day, overdue, base, rate, interest))
            day += timedelta(days=1)
    return InterestAccrual(from_day, to_day, accrued, tuple(days))


def overdue_balance_by_day(
    debts: Iterable[Debt], settlements: Iterable[Allocation], from_day: date, to_day: date
) -> dict[date, int]:
    """Unpaid overdue principal at the end of each day that has some, for a window ``from_day..to_day``.

    A debt counts from its ``interest_start`` (the day after its due date, or its ``interest_from``). A debt
    posted inside the window counts from that start even when it is *before* ``from_day`` (an adjustment bears
    interest from the day after the original due date, and no earlier period close could have charged it);
    the returned days can then begin before ``from_day``. Debts posted after ``to_day`` are left for a later
    window. Settlements reduce a debt from the day they are effective.
    """
    paid: dict[str, list[Allocation]] = {}
    for allocation in settlements:
        paid.setdefault(allocation.debt_id, []).append(allocation)
    balance: dict[date, int] = {}
    for debt in debts:
        if debt.posting_date > to_day:
            continue
        start = debt.interest_start if debt.posting_date >= from_day else max(debt.interest_start, from_day)
        day = start
        while day <= to_day:
            unpaid = debt.amount_cents - sum(
                a.amount_cents for a in paid.get(debt.debt_id, ()) if a.on <= day
            )
            if unpaid < 0:
                raise ValueError(f"debt {debt.debt_id} is settled beyond its amount by {day}")
            if unpaid:
                balance[day] = balance.get(day, 0) + unpaid
            day += timedelta(days=1)
    return balance


def interest_on_debts(
    debts: Iterable[Debt],
    settlements: Iterable[Allocation],
    from_day: date,
    to_day: date,
    rates: PrescribedRates,
    *,
    waiver_until: date = DEFAULT_WAIVER_UNTIL,
    days_in_year: int | None = INTEREST_DAYS_IN_YEAR,
) -> InterestAccrual:
    """The interest of one importer for a window (normally a billing period): :func:`overdue_balance_by_day`
    then :func:`accrue_interest`, the window widened back to the earliest back-dated day."""
    balance = overdue_balance_by_day(debts, settlements, from_day, to_day)
    start = min([from_day, *balance])
    return accrue_interest(
        balance, start, to_day, rates, waiver_until=waiver_until, days_in_year=days_in_year
    )


# --- penalties ----------------------------------------------------------------------------------------------


def late_payment_penalty(
    statement_balance_cents: int,
    paid_by_due_cents: int,
    due: date,
    *,
    waiver_until: date = DEFAULT_WAIVER_UNTIL,
    penalty_cents: int = LATE_PAYMENT_PENALTY_CENTS,
) -> int:
    """AMPS C336: ``penalty_cents`` when a statement's positive balance was not paid in full by its due date
    (``paid_by_due_cents`` = what was applied to it on or before ``due``), else 0. The statement is late from
    the day after ``due``; under the transition waiver nothing is charged when that day is before
    ``waiver_until``."""
    if statement_balance_cents <= 0 or paid_by_due_cents >= statement_balance_cents:
        return 0
    if due + timedelta(days=1) < waiver_until:
        return 0
    return penalty_cents


def late_accounting_penalty(
    release_date: date,
    accepted_on: date,
    calendar: HolidayCalendar,
    *,
    penalty_cents: int = LATE_ACCOUNTING_PENALTY_CENTS,
) -> int:
    """AMPS C288 (W02): ``penalty_cents`` for a CAD accepted more than 5 business days after release, else 0.
    The CARM transition waiver covers interest and late *payment* only, not this."""
    return penalty_cents if is_late(release_date, accepted_on, calendar) else 0
