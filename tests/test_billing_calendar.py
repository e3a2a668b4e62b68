"""Billing calendar: periods, statement and due dates, the holiday table, late accounting (spec/billing.md)."""

from __future__ import annotations

from datetime import date, timedelta

import holidays as holidays_package
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.billing.calendar import (
    Holiday,
    business_days_after,
    due_date,
    is_late,
    period_bounds,
    period_of_release,
    shift_period,
    statement_date,
)
from pipeline.billing.holidays_table import federal_holidays, load_holiday_additions, parse_holiday_additions
from pipeline.billing.interest import late_accounting_penalty
from pipeline.errors import ReferenceDataError

CALENDAR = federal_holidays(range(2022, 2030))


# --- periods --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("release", "cad_type", "period"),
    [
        (date(2024, 11, 17), "AB", "2024-11"),  # the last day of period 2024-11
        (date(2024, 11, 18), "AB", "2024-12"),  # the first day of period 2024-12
        (date(2024, 12, 18), "AB", "2025-01"),  # across the year
        (date(2025, 1, 1), "AB", "2025-01"),
        (date(2024, 10, 5), "C", "2024-11"),  # CLVS released in calendar October: November statement
        (date(2024, 10, 31), "C", "2024-11"),
        (date(2024, 12, 1), "c", "2025-01"),  # CLVS in December: January of the next year
    ],
)
def test_period_of_release(release: date, cad_type: str, period: str) -> None:
    assert period_of_release(release, cad_type) == period


def test_period_dates_of_the_close_period_example() -> None:
    # interfaces.md, JSON of close-period: 2025-06 runs 2025-05-18..2025-06-17, statement 06-25, due 07-02.
    assert period_bounds("2025-06") == (date(2025, 5, 18), date(2025, 6, 17))
    assert statement_date("2025-06") == date(2025, 6, 25)
    assert due_date("2025-06", CALENDAR) == date(2025, 7, 2)
    assert period_bounds("2025-01") == (date(2024, 12, 18), date(2025, 1, 17))
    assert shift_period("2025-01", -1) == "2024-12" and shift_period("2024-12", 13) == "2026-01"


@pytest.mark.parametrize("bad", ["2025-13", "2025-6", "25-06", "2025-06-01", ""])
def test_malformed_period_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        period_bounds(bad)


@settings(max_examples=150, deadline=None)
@given(st.dates(min_value=date(2022, 1, 1), max_value=date(2028, 12, 31)))
def test_every_release_day_lies_in_its_period(day: date) -> None:
    start, end = period_bounds(period_of_release(day, "AB"))
    assert start <= day <= end
    # periods tile the calendar: the next period starts the day after this one ends
    assert period_bounds(period_of_release(end + timedelta(days=1), "AB"))[0] == end + timedelta(days=1)


# --- due dates ------------------------------------------------------------------------------------------------


def test_due_date_examples_of_the_spec() -> None:
    assert due_date("2024-11", CALENDAR) == date(2024, 11, 29)
    assert due_date("2025-06", CALENDAR) == date(2025, 7, 2)  # 2025-07-01 is Canada Day
    assert due_date("2025-12", CALENDAR) == date(2025, 12, 31)


# Worked out by hand. Ten weekdays after a weekday 17th are exactly two weeks later (the 31st, or the 1st of
# the next month in a 30-day month, the 3rd (2nd in a leap year) of March after February); after a Saturday
# 17th they end on Friday the 30th, after a Sunday 17th on Friday the 29th. Then move off a holiday. Examples:
# - 2024-02: Sat 17 Feb; Mon 19 (1) .. Fri 23 (5), Mon 26 (6) .. Thu 29 (9, leap day), Fri 1 Mar (10).
# - 2024-03: Sun 17 Mar; Mon 18 (1) .. Fri 29 (10) = Good Friday; Sat, Sun, Mon 1 Apr is Easter Monday
#   (a holiday the package's government category lacks): due Tue 2 Apr.
# - 2024-06: Mon 17 Jun; Mon 1 Jul (10) = Canada Day: due Tue 2 Jul. Likewise 2026-06 (Wed 1 Jul -> Thu 2)
#   and 2027-06 (Thu 1 Jul -> Fri 2).
# - 2026-01: Sat 17 Jan; Fri 30 Jan (10), not a holiday.
# - 2025-11: Mon 17 Nov; Mon 1 Dec (10).
HAND_DUE_DATES = {
    "2024-01": "2024-01-31", "2024-02": "2024-03-01", "2024-03": "2024-04-02", "2024-04": "2024-05-01",
    "2024-05": "2024-05-31", "2024-06": "2024-07-02", "2024-07": "2024-07-31", "2024-08": "2024-08-30",
    "2024-09": "2024-10-01", "2024-10": "2024-10-31", "2024-11": "2024-11-29", "2024-12": "2024-12-31",
    "2025-01": "2025-01-31", "2025-02": "2025-03-03", "2025-03": "2025-03-31", "2025-04": "2025-05-01",
    "2025-05": "2025-05-30", "2025-06": "2025-07-02", "2025-07": "2025-07-31", "2025-08": "2025-08-29",
    "2025-09": "2025-10-01", "2025-10": "2025-10-31", "2025-11": "2025-12-01", "2025-12": "2025-12-31",
    "2026-01": "2026-01-30", "2026-02": "2026-03-03", "2026-03": "2026-03-31", "2026-04": "2026-05-01",
    "2026-05": "2026-05-29", "2026-06": "2026-07-02", "2026-07": "2026-07-31", "2026-08": "2026-08-31",
    "2026-09": "2026-10-01", "2026-10": "2026-10-30", "2026-11": "2026-12-01", "2026-12": "2026-12-31",
    "2027-01": "2027-01-29", "2027-02": "2027-03-03", "2027-03": "2027-03-31", "2027-04": "2027-04-30",
    "2027-05": "2027-05-31", "2027-06": "2027-07-02", "2027-07": "2027-07-30", "2027-08": "2027-08-31",
    "2027-09": "2027-10-01", "2027-10": "2027-10-29", "2027-11": "2027-12-01", "2027-12": "2027-12-31",
}  # fmt: skip


@pytest.mark.parametrize(("period", "expected"), sorted(HAND_DUE_DATES.items()))
def test_due_dates_2024_to_2027(period: str, expected: str) -> None:
    assert due_date(period, CALENDAR) == date.fromisoformat(expected)


def test_due_date_moves_off_national_day_for_truth_and_reconciliation() -> None:
    # 2022-09: Sat 17 Sep; 10th weekday Fri 30 Sep = NDTR; Sat, Sun: due Mon 3 Oct.
    assert due_date("2022-09", CALENDAR) == date(2022, 10, 3)


def test_a_user_holiday_moves_the_due_date() -> None:
    # A (hypothetical) provincial day on 2025-12-31: next is 1 Jan (holiday), so Fri 2 Jan 2026.
    additions = parse_holiday_additions("date,name,source\n2025-12-31,Test Day,test\n", "additions.csv")
    calendar = federal_holidays([2025, 2026], additions)
    assert due_date("2025-12", calendar) == date(2026, 1, 2)
    assert due_date("2025-12", CALENDAR) == date(2025, 12, 31)


# --- the holiday table ----------------------------------------------------------------------------------------

# The Interpretation Act s. 35 list, written out by hand for each year.
ACT_HOLIDAYS = {
    2024: ["01-01", "03-29", "04-01", "05-20", "07-01", "09-02", "09-30", "10-14", "11-11", "12-25"],
    2025: ["01-01", "04-18", "04-21", "05-19", "07-01", "09-01", "09-30", "10-13", "11-11", "12-25"],
    2026: ["01-01", "04-03", "04-06", "05-18", "07-01", "09-07", "09-30", "10-12", "11-11", "12-25"],
    # Christmas 2027 is a Saturday: the Act moves only a *Sunday* holiday, so 27 Dec is a working day.
    2027: ["01-01", "03-26", "03-29", "05-24", "07-01", "09-06", "09-30", "10-11", "11-11", "12-25"],
}


@pytest.mark.parametrize("year", sorted(ACT_HOLIDAYS))
def test_holiday_table_is_the_interpretation_act_list(year: int) -> None:
    listed = [holiday.on for holiday in CALENDAR.in_year(year)]
    assert listed == [date.fromisoformat(f"{year}-{md}") for md in ACT_HOLIDAYS[year]]
    names = {holiday.name for holiday in CALENDAR.in_year(year)}
    assert "Easter Monday" in names and "Boxing Day" not in names


def test_what_the_package_gives_and_how_it_is_resolved() -> None:
    # The differences the table resolves: if a new `holidays` release changes them, this says so.
    package = holidays_package.Canada(
        years=2025, categories=("government",), observed=False, language="en_CA"
    )
    assert "Boxing Day" in package.get_list(date(2025, 12, 26))
    assert date(2025, 4, 21) not in package  # no Easter Monday in the government category
    assert not CALENDAR.is_holiday(date(2025, 12, 26))
    assert CALENDAR.is_holiday(date(2025, 4, 21))
    assert any("Boxing Day" in note for note in CALENDAR.notes)


def test_sunday_holidays_and_the_monday_after() -> None:
    assert CALENDAR.is_holiday(date(2023, 1, 2))  # New Year's Day 2023 was a Sunday
    assert CALENDAR.is_holiday(date(2022, 12, 26))  # Christmas 2022 was a Sunday: Monday 26th
    assert not CALENDAR.is_holiday(
        date(2022, 12, 27)
    )  # the package observes Christmas on the Tuesday; the Act doesn't
    assert CALENDAR.is_holiday(date(2029, 7, 2))  # Canada Day 2029 is a Sunday
    assert not CALENDAR.is_holiday(date(2029, 11, 12))  # Remembrance Day on a Sunday is not moved by the Act
    assert not CALENDAR.is_holiday(date(2027, 12, 27))  # Christmas 2027 is a Saturday
    assert CALENDAR.is_holiday(date(2025, 6, 22))  # every Sunday is a holiday
    assert CALENDAR.holiday_name(date(2025, 6, 22)) == "Sunday"
    assert not CALENDAR.is_business_day(date(2025, 6, 21))  # Saturday: not a holiday, not a business day


def test_a_year_outside_the_table_is_a_fault() -> None:
    with pytest.raises(ReferenceDataError, match="2031"):
        CALENDAR.is_holiday(date(2031, 3, 3))


def test_shipped_additions_file_loads() -> None:
    assert load_holiday_additions() == ()  # shipped empty: a header and comments telling the user how


def test_additions_name_row_and_column_of_a_fault() -> None:
    with pytest.raises(ReferenceDataError, match=r"prov\.csv, row 3, column date"):
        parse_holiday_additions(
            "date,name,source\n2025-06-24,Fête nationale,QC\n2025-02-30,X,Y\n", "prov.csv"
        )
    with pytest.raises(
        ReferenceDataError, match=r"row 4, column date"
    ):  # the file's line, blank lines counted
        parse_holiday_additions("date,name,source\n2025-06-24,A,B\n\n2025-13-01,X,Y\n", "prov.csv")
    with pytest.raises(ReferenceDataError, match="column source"):
        parse_holiday_additions("date,name,source\n2025-06-24,Fête nationale,\n", "prov.csv")
    with pytest.raises(ReferenceDataError, match="column name"):
        parse_holiday_additions("date,source\n", "prov.csv")


def test_additions_are_holidays_for_business_days() -> None:
    additions = parse_holiday_additions("date,name,source\n2025-06-24,Fête nationale (QC),Quebec\n", "qc.csv")
    quebec = federal_holidays([2025], additions)
    assert additions == (Holiday(date(2025, 6, 24), "Fête nationale (QC)", "Quebec"),)
    assert quebec.is_holiday(date(2025, 6, 24)) and not CALENDAR.is_holiday(date(2025, 6, 24))


# --- late accounting (W02) ------------------------------------------------------------------------------------


def test_business_days_skip_weekends_and_holidays() -> None:
    # Release Fri 27 Jun 2025 (day 0): Mon 30 (1), [Tue 1 Jul Canada Day], Wed 2 (2), Thu 3 (3), Fri 4 (4),
    # Mon 7 (5), Tue 8 (6).
    release = date(2025, 6, 27)
    assert business_days_after(release, 0, CALENDAR) == release
    assert business_days_after(release, 2, CALENDAR) == date(2025, 7, 2)
    assert business_days_after(release, 5, CALENDAR) == date(2025, 7, 7)
    assert not is_late(release, date(2025, 7, 7), CALENDAR)
    assert is_late(release, date(2025, 7, 8), CALENDAR)
    assert late_accounting_penalty(release, date(2025, 7, 8), CALENDAR) == 10_000
    assert late_accounting_penalty(release, date(2025, 7, 7), CALENDAR) == 0


def test_release_on_a_weekend_counts_from_the_next_business_day() -> None:
    # Release Sat 19 Apr 2025 (Easter weekend): [Mon 21 Easter Monday], Tue 22 (1) .. Fri 25 (4), Mon 28 (5).
    release = date(2025, 4, 19)
    assert business_days_after(release, 5, CALENDAR) == date(2025, 4, 28)
    assert not is_late(release, date(2025, 4, 28), CALENDAR)
    assert is_late(release, date(2025, 4, 29), CALENDAR)


def test_acceptance_on_the_weekend_after_the_fifth_business_day_is_on_time() -> None:
    # Release Fri 6 Jun 2025: the 5th business day is Fri 13; Sat 14 and Sun 15 are not a 6th business day.
    release = date(2025, 6, 6)
    assert not is_late(release, date(2025, 6, 14), CALENDAR)
    assert not is_late(release, date(2025, 6, 15), CALENDAR)
    assert is_late(release, date(2025, 6, 16), CALENDAR)


def test_boxing_day_is_a_business_day() -> None:
    # Release Wed 18 Dec 2024: Thu 19 (1), Fri 20 (2), Mon 23 (3), Tue 24 (4), [Wed 25], Thu 26 (5), Fri 27 (6).
    release = date(2024, 12, 18)
    assert not is_late(release, date(2024, 12, 26), CALENDAR)
    assert is_late(release, date(2024, 12, 27), CALENDAR)


def test_a_provincial_addition_extends_late_accounting() -> None:
    # Release Thu 19 Jun 2025; with Fête nationale (Tue 24) added the 5th business day is Fri 27, else Thu 26.
    release, accepted = date(2025, 6, 19), date(2025, 6, 27)
    additions = parse_holiday_additions("date,name,source\n2025-06-24,Fête nationale (QC),Quebec\n", "qc.csv")
    assert is_late(release, accepted, CALENDAR)
    assert not is_late(release, accepted, federal_holidays([2025], additions))


@settings(max_examples=300, deadline=None)
@given(st.dates(date(2022, 1, 1), date(2029, 11, 30)), st.integers(min_value=-3, max_value=40))
def test_late_accounting_is_on_or_after_the_sixth_business_day_after_release(release: date, days: int) -> None:
    accepted_on = release + timedelta(days=days)
    assert is_late(release, accepted_on, CALENDAR) == (accepted_on >= business_days_after(release, 6, CALENDAR))
