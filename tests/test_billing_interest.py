"""Arrears interest (daily compounding at the specified rate, the transition waiver) and penalties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, localcontext

import pytest

from pipeline.billing.interest import (
    accrue_interest,
    daily_interest,
    interest_on_debts,
    late_payment_penalty,
    load_prescribed_rates,
    overdue_balance_by_day,
    parse_prescribed_rates,
)
from pipeline.billing.payments import Allocation, Debt
from pipeline.errors import ReferenceDataError

# Prescribed 3% in 2026-Q1 and 4% in 2026-Q2: specified 9% and 10%.
RATES = parse_prescribed_rates(
    "quarter,rate_percent,source\n2026-Q1,3,test\n2026-04-01,4,test\n2028-Q1,4,test\n", "rates.csv"
)


def compound(principal: str, *factors: tuple[int, int]) -> Decimal:
    """Closed form of daily compounding: principal × Π (1 + rate/36500)^days − principal, as an independent
    check on the day-by-day loop. ``factors`` are (specified rate %, days)."""
    with localcontext() as context:
        context.prec = 50
        grown = Decimal(principal)
        for rate, days in factors:
            grown *= (1 + Decimal(rate) / 36500) ** days
        return grown - Decimal(principal)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def test_specified_rate_is_prescribed_plus_six() -> None:
    assert RATES.specified_on(date(2026, 3, 31)) == Decimal(9)
    assert RATES.specified_on(date(2026, 4, 1)) == Decimal(10)


def test_daily_compounding_across_a_quarter_change() -> None:
    # $1,000.00 overdue 30 Mar .. 2 Apr 2026: two days at 9%, two at 10%.
    # By hand: 30 Mar 1000 × 9/36500 = 0.246575; 31 Mar 1000.246575 × 9/36500 = 0.246636;
    # 1 Apr 1000.493211 × 10/36500 = 0.274108; 2 Apr 1000.767319 × 10/36500 = 0.274183; total 1.041502 → $1.04.
    balance = {day: 100_000 for day in days(date(2026, 3, 30), date(2026, 4, 2))}
    accrual = accrue_interest(balance, date(2026, 3, 30), date(2026, 4, 2), RATES)
    assert accrual.cents == 104
    assert accrual.amount == Decimal("1.04")
    assert abs(accrual.exact - compound("1000", (9, 2), (10, 2))) < Decimal("1e-20")
    assert abs(accrual.exact - Decimal("1.041502")) < Decimal("0.000001")
    assert [d.annual_rate for d in accrual.days] == [9, 9, 10, 10]


def test_no_interest_for_days_before_the_waiver_date() -> None:
    # $10,000.00 overdue 28 Jan .. 2 Feb 2026; only 31 Jan, 1 Feb, 2 Feb bear interest at 9%.
    # By hand: 10000 × (3r + 3r² + r³), r = 9/36500 = 0.000246575: 7.397260 + 0.001824 + 0 = 7.399084 → $7.40.
    balance = {day: 1_000_000 for day in days(date(2026, 1, 28), date(2026, 2, 2))}
    accrual = accrue_interest(balance, date(2026, 1, 28), date(2026, 2, 2), RATES)
    assert [d.on for d in accrual.days] == [date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 2)]
    assert accrual.cents == 740
    assert abs(accrual.exact - compound("10000", (9, 3))) < Decimal("1e-20")


def test_the_waiver_date_is_a_parameter() -> None:
    # Same balance, waiver ended 1 Jan 2026: six days. 10000 × (6r + 15r² + 20r³) = 14.8036 → $14.80.
    balance = {day: 1_000_000 for day in days(date(2026, 1, 28), date(2026, 2, 2))}
    accrual = accrue_interest(
        balance, date(2026, 1, 28), date(2026, 2, 2), RATES, waiver_until=date(2026, 1, 1)
    )
    assert accrual.cents == 1480
    assert abs(accrual.exact - compound("10000", (9, 6))) < Decimal("1e-20")


def test_a_window_entirely_before_the_waiver_bears_nothing() -> None:
    balance = {day: 1_000_000 for day in days(date(2025, 12, 18), date(2026, 1, 17))}
    accrual = accrue_interest(balance, date(2025, 12, 18), date(2026, 1, 17), RATES)
    assert accrual.exact == 0 and accrual.days == ()


def test_a_payment_reduces_the_balance_on_its_day() -> None:
    # Due Fri 30 Jan 2026: overdue from Sat 31 Jan. $600 of $1,000 settled on 2 Feb; window = period 2026-02.
    # 31 Jan, 1 Feb on $1,000; from 2 Feb on $400 + accrued, through 17 Feb (16 days): all at 9%.
    debt = Debt("cad-1", due_date=date(2026, 1, 30), posting_date=date(2026, 1, 10), amount_cents=100_000)
    paid = [Allocation("pay-1", "cad-1", 60_000, date(2026, 2, 2))]
    balance = overdue_balance_by_day([debt], paid, date(2026, 1, 18), date(2026, 2, 17))
    assert balance[date(2026, 1, 31)] == 100_000 and balance[date(2026, 2, 1)] == 100_000
    assert balance[date(2026, 2, 2)] == 40_000 and balance[date(2026, 2, 17)] == 40_000
    assert date(2026, 1, 30) not in balance  # the due date itself bears no interest
    accrual = interest_on_debts([debt], paid, date(2026, 1, 18), date(2026, 2, 17), RATES)
    with localcontext() as context:
        context.prec = 50
        r = 1 + Decimal(9) / 36500
        expected = (1000 * r**2 - 600) * r**16 - 400
    assert abs(accrual.exact - expected) < Decimal("1e-20")
    assert accrual.cents == 208  # by hand: 0.246575 + 0.246636 + 400.493211 × (16r + 120r²) = 2.076 → $2.08


def test_accrued_interest_compounds_after_the_principal_is_paid() -> None:
    # $1,000 overdue on 1 Feb only; on 2 Feb the principal is paid but the day's interest still bears interest.
    accrual = accrue_interest({date(2026, 2, 1): 100_000}, date(2026, 2, 1), date(2026, 2, 2), RATES)
    assert len(accrual.days) == 2
    first = Decimal(1000) * 9 / 36500
    assert accrual.days[1].base == accrual.days[0].interest
    assert abs(accrual.exact - (first + first * 9 / 36500)) < Decimal("1e-25")


def test_a_back_dated_adjustment_bears_interest_from_the_original_due_date() -> None:
    # Period 2026-03 runs 18 Feb .. 17 Mar. An increase accepted 5 Mar for period 2026-01 (due 30 Jan) is
    # overdue from 31 Jan: 1 day of January + 28 of February + 17 of March = 46 days. An older unpaid debt with
    # the same start was charged at earlier closes and counts only from 18 Feb: 11 + 17 = 28 days.
    window = (date(2026, 2, 18), date(2026, 3, 17))
    adjustment = Debt("adj", date(2026, 3, 31), date(2026, 3, 5), 50_000, interest_from=date(2026, 1, 31))
    older = Debt("old", date(2026, 1, 30), date(2026, 1, 12), 50_000)
    assert len(overdue_balance_by_day([adjustment], [], *window)) == 46
    assert len(overdue_balance_by_day([older], [], *window)) == 28
    later = Debt("later", date(2026, 1, 30), date(2026, 3, 18), 50_000)  # posted after the window: next close
    assert overdue_balance_by_day([later], [], *window) == {}
    accrual = interest_on_debts([adjustment], [], *window, RATES)
    assert accrual.from_day == date(2026, 1, 31)
    assert abs(accrual.exact - compound("500", (9, 46))) < Decimal("1e-20")


def test_days_in_year_is_configurable() -> None:
    # 29 Feb 2028 at specified 10%: $3,660.00 × 10 / 100 / 366 = $1.00 exactly with the actual-days basis.
    on = date(2028, 2, 29)
    actual = accrue_interest({on: 366_000}, on, on, RATES, days_in_year=None)
    fixed = accrue_interest({on: 366_000}, on, on, RATES)
    assert actual.exact == Decimal(1)
    assert abs(fixed.exact - Decimal("1.0027397260273972602739726")) < Decimal("1e-24")  # 366/365
    assert daily_interest(Decimal("365.00"), Decimal(10)) == Decimal("0.1")


def test_a_quarter_without_a_rate_is_a_fault() -> None:
    with pytest.raises(ReferenceDataError, match="2026-Q3"):
        accrue_interest({date(2026, 7, 1): 100}, date(2026, 7, 1), date(2026, 7, 1), RATES)


def test_bad_balances_are_faults() -> None:
    with pytest.raises(ValueError, match="outside"):
        accrue_interest({date(2026, 3, 1): 100}, date(2026, 2, 1), date(2026, 2, 2), RATES)
    with pytest.raises(ValueError, match="negative"):
        accrue_interest({date(2026, 2, 1): -1}, date(2026, 2, 1), date(2026, 2, 2), RATES)


def test_rate_table_loading() -> None:
    shipped = load_prescribed_rates()
    assert shipped.example  # the shipped rates are examples, and say so
    assert shipped.specified_on(date(2026, 2, 1)) == shipped.prescribed_on(date(2026, 2, 1)) + 6
    with pytest.raises(ReferenceDataError, match=r"r\.csv, row 3, column quarter"):
        parse_prescribed_rates("quarter,rate_percent,source\n2026-Q1,3,x\n2026-02-01,3,x\n", "r.csv")
    with pytest.raises(ReferenceDataError, match=r"row 3, column quarter: 2026-Q1 appears twice"):
        parse_prescribed_rates("quarter,rate_percent,source\n2026-Q1,3,x\n2026-Q1,4,x\n", "r.csv")
    with pytest.raises(ReferenceDataError, match=r"row 2, column rate_percent"):
        parse_prescribed_rates("quarter,rate_percent,source\n2026-Q1,three,x\n", "r.csv")
    with pytest.raises(ReferenceDataError, match="column source"):
        parse_prescribed_rates("quarter,rate_percent\n2026-Q1,3\n", "r.csv")


# --- penalties ------------------------------------------------------------------------------------------------


def test_late_payment_penalty() -> None:
    due = date(2026, 3, 3)
    assert late_payment_penalty(500_000, 499_999, due) == 20_000  # one cent short
    assert late_payment_penalty(500_000, 500_000, due) == 0
    assert late_payment_penalty(0, 0, due) == 0
    assert late_payment_penalty(-5_000, 0, due) == 0  # a credit balance owes nothing


def test_late_payment_penalty_and_the_waiver() -> None:
    # Period 2026-01 is due Fri 30 Jan 2026: first late on 31 Jan, the waiver's end: penalty charged.
    assert late_payment_penalty(100_000, 0, date(2026, 1, 30)) == 20_000
    # Period 2025-12 (due 31 Dec 2025) was late from 1 Jan 2026, inside the waiver.
    assert late_payment_penalty(100_000, 0, date(2025, 12, 31)) == 0
    assert late_payment_penalty(100_000, 0, date(2025, 12, 31), waiver_until=date(2025, 1, 1)) == 20_000
