"""The billing calendar: harmonized billing periods, statement and due dates, business days (spec/billing.md).

Pure date arithmetic over a :class:`HolidayCalendar` that the caller builds once (``holidays_table``) and passes
in; nothing here reads the clock.

Two different day counts live here and must not be confused:

- the **due date** counts *weekdays*, Monday to Friday *including* holidays (SOR/86-1062 ss. 2 and 10.1), and
  only then moves off a holiday to the next day that is neither a holiday nor a weekend (Interpretation Act
  s. 26);
- **late accounting** (W02) counts *business days*, which exclude Saturdays, Sundays and holidays.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

from pipeline.errors import ReferenceDataError

__all__ = [
    "CLVS_CAD_TYPE",
    "DUE_DATE_WEEKDAYS",
    "LATE_ACCOUNTING_BUSINESS_DAYS",
    "Holiday",
    "HolidayCalendar",
    "business_days_after",
    "due_date",
    "holidays_by_name",
    "is_late",
    "parse_period",
    "period_bounds",
    "period_name",
    "period_of_release",
    "shift_period",
    "statement_date",
]

#: CAD type of a courier low-value shipment (spec/cad-edifact.md, BGM 1001).
CLVS_CAD_TYPE = "C"
#: A period ends on this day of its month; the next one starts the day after.
PERIOD_LAST_DAY = 17
#: The statement of account is dated this day of the period's month.
STATEMENT_DAY = 25
#: The payment is due on this many weekdays after the period's last day (SOR/86-1062 s. 10.1).
DUE_DATE_WEEKDAYS = 10
#: A CAD accepted more than this many business days after release is late (W02, AMPS C288).
LATE_ACCOUNTING_BUSINESS_DAYS = 5

_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_SATURDAY, _SUNDAY = 5, 6


@dataclass(frozen=True, slots=True)
class Holiday:
    """One holiday and where it comes from (the ``holidays`` package, the Interpretation Act, a user file)."""

    on: date
    name: str
    source: str


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """The holidays of some years. Sundays are always holidays (Interpretation Act s. 35).

    ``years`` are the years the table was built for; asking about another year is a configuration fault (a
    silently empty year would make every due date and late-accounting count wrong), so it raises.
    """

    holidays: Mapping[date, Holiday]
    years: frozenset[int]
    source: str = ""
    # Differences between the package and the statutory list, kept for the provenance of the table.
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def of(
        cls, holidays: Iterable[Holiday], years: Iterable[int], source: str = "", notes: Iterable[str] = ()
    ):
        table: dict[date, Holiday] = {}
        for holiday in sorted(holidays, key=lambda h: (h.on, h.name)):
            if holiday.on in table:  # two names for one day: keep both, the day is a holiday once
                first = table[holiday.on]
                if holiday.name not in first.name.split("; "):
                    holiday = Holiday(
                        holiday.on, f"{first.name}; {holiday.name}", f"{first.source}; {holiday.source}"
                    )
                else:
                    continue
            table[holiday.on] = holiday
        return cls(MappingProxyType(table), frozenset(years), source, tuple(notes))

    def _covered(self, day: date) -> None:
        if day.year not in self.years:
            covered = ", ".join(str(year) for year in sorted(self.years)) or "no year"
            raise ReferenceDataError(
                "holidays", None, None, f"the holiday calendar covers {covered}, not {day.year}"
            )

    def is_holiday(self, day: date) -> bool:
        """Sunday or a listed holiday."""
        self._covered(day)
        return day.weekday() == _SUNDAY or day in self.holidays

    def holiday_name(self, day: date) -> str | None:
        self._covered(day)
        if day in self.holidays:
            return self.holidays[day].name
        return "Sunday" if day.weekday() == _SUNDAY else None

    def is_business_day(self, day: date) -> bool:
        """Monday to Friday and not a holiday."""
        return day.weekday() < _SATURDAY and not self.is_holiday(day)

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def in_year(self, year: int) -> tuple[Holiday, ...]:
        """The listed holidays of a year (Sundays not included), in date order."""
        return tuple(h for d, h in sorted(self.holidays.items()) if d.year == year)


# --- periods -------------------------------------------------------------------------------------------------


def parse_period(period: str) -> tuple[int, int]:
    """``"2025-06"`` → ``(2025, 6)``; raises ``ValueError`` for anything else."""
    match = _PERIOD.fullmatch(period)
    if not match:
        raise ValueError(f"not a billing period (YYYY-MM): {period!r}")
    return int(match.group(1)), int(match.group(2))


def period_name(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def shift_period(period: str, months: int) -> str:
    """The period ``months`` later (negative: earlier): ``shift_period("2025-01", -1) == "2024-12"``."""
    year, month = parse_period(period)
    index = year * 12 + (month - 1) + months
    return period_name(index // 12, index % 12 + 1)


def period_of_release(release_date: date, cad_type: str) -> str:
    """The billing period a CAD belongs to, by its release date.

    Period ``MM`` runs from the 18th of the previous month through the 17th of ``MM``, so a release on the 18th
    or later belongs to the next month's period. CLVS CADs (type ``C``) belong to the period of the month after
    their calendar release month, whatever the day (goods released in October are on the November statement).
    """
    month_period = period_name(release_date.year, release_date.month)
    if cad_type.strip().upper() == CLVS_CAD_TYPE or release_date.day > PERIOD_LAST_DAY:
        return shift_period(month_period, 1)
    return month_period


def last_ended_period(day: date) -> str:
    """The latest period whose last day is before ``day``: the one a close on ``day`` is for by default."""
    return shift_period(period_of_release(day, "AB"), -1)


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a period, both inclusive: 18th of the previous month, 17th of ``MM``."""
    year, month = parse_period(period)
    end = date(year, month, PERIOD_LAST_DAY)
    before_year, before_month = parse_period(shift_period(period, -1))
    return date(before_year, before_month, PERIOD_LAST_DAY + 1), end


def statement_date(period: str) -> date:
    """The date of the period's statement of account: the 25th of ``MM``."""
    year, month = parse_period(period)
    return date(year, month, STATEMENT_DAY)


def due_date(period: str, calendar: HolidayCalendar) -> date:
    """The payment due date of a period.

    The 10th weekday after the 17th of ``MM``, counting Monday to Friday *including* holidays; if that day is a
    holiday, the next day that is neither a holiday nor a Saturday or Sunday.
    """
    _, end = period_bounds(period)
    day, counted = end, 0
    while counted < DUE_DATE_WEEKDAYS:
        day += timedelta(days=1)
        if day.weekday() < _SATURDAY:
            counted += 1
    if calendar.is_holiday(day):
        day = calendar.next_business_day(day)
    return day


# --- late accounting ------------------------------------------------------------------------------------------


def business_days_after(release: date, n: int, calendar: HolidayCalendar) -> date:
    """The ``n``-th business day after ``release`` (the release day is day 0, whatever kind of day it is;
    counting starts the next business day). ``n == 0`` gives ``release`` itself."""
    if n < 0:
        raise ValueError(f"n must be >= 0, not {n}")
    day = release
    for _ in range(n):
        day = calendar.next_business_day(day)
    return day


def is_late(release_date: date, accepted_on: date, calendar: HolidayCalendar) -> bool:
    """Whether a CAD accepted on ``accepted_on`` is late accounting (W02): more than 5 business days have passed
    since release, i.e. the acceptance is on or after the 6th business day after release. Acceptance on the 5th
    business day, or on the weekend or holiday that follows it, is on time: no 6th business day has begun."""
    if (accepted_on - release_date).days <= LATE_ACCOUNTING_BUSINESS_DAYS:  # the 6th business day is later still
        return False
    return accepted_on >= business_days_after(release_date, LATE_ACCOUNTING_BUSINESS_DAYS + 1, calendar)


def holidays_by_name(calendar: HolidayCalendar, year: int) -> Mapping[str, date]:
    """``{name: date}`` of a year's listed holidays (for reports and tests)."""
    return {h.name: h.on for h in calendar.in_year(year)}
