"""Payments: the file, when a payment counts (Eastern time), application oldest-first, credits, idempotence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.billing.holidays_table import federal_holidays
from pipeline.billing.payments import (
    Allocation,
    Debt,
    Payment,
    apply_payments,
    effective_date,
    parse_payments_csv,
)

CALENDAR = federal_holidays([2025, 2026])
IMPORTER = "123456782RM0001"
EDT = timezone(timedelta(hours=-4))


def payment(payment_id: str, cents: int, received_at: datetime, method: str = "electronic") -> Payment:
    return Payment(payment_id, IMPORTER, cents, received_at, method)


# --- the file -------------------------------------------------------------------------------------------------


def test_parse_a_good_file() -> None:
    text = (
        "payment_id,importer,amount,received_at,method\n"
        f"P-1,{IMPORTER},1250.00,2025-06-30T15:59:00-04:00,electronic\n"
        f"P-2,123456782 RM 0001,0.05,2025-06-30T20:01:00Z,Cheque\n"
        "\n"
    )
    payments, problems = parse_payments_csv(text, "pay.csv")
    assert problems == []
    assert [(p.payment_id, p.importer, p.amount_cents, p.method, p.row) for p in payments] == [
        ("P-1", IMPORTER, 125_000, "electronic", 2),
        ("P-2", IMPORTER, 5, "cheque", 3),
    ]
    assert payments[1].received_at == datetime(2025, 6, 30, 20, 1, tzinfo=UTC)
    assert payments[1].kind == "cheque"


def test_problems_name_file_row_and_column() -> None:
    text = (
        "payment_id,importer,amount,received_at,method\n"
        f"P-1,{IMPORTER},100.00,2025-06-30T10:00:00-04:00,eft\n"
        f"P-2,123456789RM0001,100.00,2025-06-30T10:00:00-04:00,eft\n"  # check digit wrong
        f"P-3,{IMPORTER},12.345,2025-06-30T10:00:00-04:00,eft\n"  # three decimals
        f"P-4,{IMPORTER},-5.00,2025-06-30T10:00:00-04:00,eft\n"
        f"P-5,{IMPORTER},100.00,2025-06-30T10:00:00,eft\n"  # no time zone
        f"P-6,{IMPORTER},100.00,30/06/2025,bitcoin\n"  # two problems in one row
        f"P-1,{IMPORTER},100.00,2025-06-30T10:00:00-04:00,eft\n"  # repeats row 2
        f"P-8,{IMPORTER},100.00\n"
    )
    payments, problems = parse_payments_csv(text, "pay.csv")
    assert [p.payment_id for p in payments] == ["P-1"]
    assert [(p.row, p.column) for p in problems] == [
        (3, "importer"),
        (4, "amount"),
        (5, "amount"),
        (6, "received_at"),
        (7, "received_at"),
        (7, "method"),
        (8, "payment_id"),
        (9, None),
    ]
    assert str(problems[0]).startswith("pay.csv, row 3, column importer:")
    assert "repeats row 2" in problems[6].message


def test_missing_columns_and_empty_file() -> None:
    _, problems = parse_payments_csv("payment_id,importer,amount,method\n", "p.csv")
    assert [(p.row, p.column) for p in problems] == [(1, "received_at")]
    _, problems = parse_payments_csv("", "p.csv")
    assert problems and problems[0].row == 1


# --- timeliness -----------------------------------------------------------------------------------------------


def test_electronic_counts_the_eastern_day_up_to_235959() -> None:
    assert effective_date(datetime(2025, 6, 30, 23, 59, 59, tzinfo=EDT), "electronic", CALENDAR) == date(
        2025, 6, 30
    )
    # 03:59:59 UTC on 1 Jul is 23:59:59 EDT on 30 Jun; a second later it is 1 Jul in Toronto.
    assert effective_date(datetime(2025, 7, 1, 3, 59, 59, tzinfo=UTC), "eft", CALENDAR) == date(2025, 6, 30)
    assert effective_date(datetime(2025, 7, 1, 4, 0, 0, tzinfo=UTC), "eft", CALENDAR) == date(2025, 7, 1)
    # electronic payments count on weekends and holidays too
    assert effective_date(datetime(2025, 7, 1, 12, 0, tzinfo=EDT), "wire", CALENDAR) == date(2025, 7, 1)


def test_cheque_by_1600_eastern_else_next_business_day() -> None:
    assert effective_date(datetime(2025, 6, 27, 16, 0, 0, tzinfo=EDT), "cheque", CALENDAR) == date(
        2025, 6, 27
    )
    # Fri 27 Jun 16:01: Monday 30 Jun
    assert effective_date(datetime(2025, 6, 27, 16, 1, 0, tzinfo=EDT), "cheque", CALENDAR) == date(
        2025, 6, 30
    )
    # Mon 30 Jun 16:01: Tue 1 Jul is Canada Day, so Wed 2 Jul
    assert effective_date(datetime(2025, 6, 30, 20, 1, tzinfo=UTC), "cheque", CALENDAR) == date(2025, 7, 2)
    # a cheque received on a Saturday morning is processed Monday
    assert effective_date(datetime(2025, 6, 28, 9, 0, tzinfo=EDT), "cheque", CALENDAR) == date(2025, 6, 30)
    # in winter Eastern is UTC-5: 21:00 UTC is 16:00 EST (on time), 21:01 UTC is late
    assert effective_date(datetime(2026, 1, 15, 21, 0, tzinfo=UTC), "cheque", CALENDAR) == date(2026, 1, 15)
    assert effective_date(datetime(2026, 1, 15, 21, 1, tzinfo=UTC), "cheque", CALENDAR) == date(2026, 1, 16)


# --- application ----------------------------------------------------------------------------------------------

# C and A are due the same day; C was posted first, so it is the older.
DEBT_A = Debt("A", due_date=date(2025, 7, 2), posting_date=date(2025, 6, 10), amount_cents=30_000)
DEBT_B = Debt("B", due_date=date(2025, 7, 31), posting_date=date(2025, 7, 5), amount_cents=20_000)
DEBT_C = Debt("C", due_date=date(2025, 7, 2), posting_date=date(2025, 6, 1), amount_cents=10_000)


def test_partial_payment_goes_to_the_oldest_first() -> None:
    result = apply_payments(
        [DEBT_A, DEBT_B, DEBT_C], [payment("P1", 25_000, datetime(2025, 7, 10, 9, tzinfo=EDT))], CALENDAR
    )
    assert result.allocations == (
        Allocation("P1", "C", 10_000, date(2025, 7, 10)),
        Allocation("P1", "A", 15_000, date(2025, 7, 10)),
    )
    assert dict(result.outstanding) == {"C": 0, "A": 15_000, "B": 20_000}
    assert result.credit_cents == 0 and result.owing_cents == 35_000


def test_over_payment_becomes_a_credit_offset_against_a_later_debt() -> None:
    debt_d = Debt("D", due_date=date(2025, 8, 29), posting_date=date(2025, 7, 20), amount_cents=8_000)
    payments = [
        payment("P1", 25_000, datetime(2025, 7, 10, 9, tzinfo=EDT)),
        payment("P2", 40_000, datetime(2025, 7, 11, 9, tzinfo=EDT)),
    ]
    # before D exists: A 150 + B 200 are paid by P2, $50 is left as credit
    first = apply_payments([DEBT_A, DEBT_B, DEBT_C], payments, CALENDAR)
    assert first.credit_cents == 5_000 and first.credit_sources == (("P2", 5_000),)
    assert first.owing_cents == 0 and first.refundable_cents == 5_000
    # with D posted on 20 Jul, the credit settles $50 of it that day
    second = apply_payments([DEBT_A, DEBT_B, DEBT_C, debt_d], payments, CALENDAR)
    assert second.allocations[-1] == Allocation("P2", "D", 5_000, date(2025, 7, 20))
    assert second.outstanding["D"] == 3_000 and second.credit_cents == 0
    assert second.refundable_cents == 0


def test_a_carried_credit_is_offset_against_a_new_debt_and_never_paid_out_while_owing() -> None:
    result = apply_payments([DEBT_B], [], CALENDAR, existing_credit_cents=5_000)
    assert result.allocations == (Allocation(None, "B", 5_000, date(2025, 7, 5)),)
    assert result.outstanding["B"] == 15_000 and result.credit_cents == 0
    big = apply_payments([DEBT_C], [], CALENDAR, existing_credit_cents=25_000)
    assert (
        big.credit_cents == 15_000
        and big.credit_sources == ((None, 15_000),)
        and big.refundable_cents == 15_000
    )


def test_a_payment_before_the_debt_waits_as_credit_until_the_debt_is_posted() -> None:
    result = apply_payments([DEBT_A], [payment("P0", 10_000, datetime(2025, 6, 5, 9, tzinfo=EDT))], CALENDAR)
    assert result.allocations == (Allocation("P0", "A", 10_000, date(2025, 6, 10)),)


def test_duplicate_payment_ids_are_ignored() -> None:
    received = datetime(2025, 7, 10, 9, tzinfo=EDT)
    payments = [
        payment("P1", 10_000, received),
        payment("P1", 10_000, received),
        payment("OLD", 10_000, received),
    ]
    result = apply_payments([DEBT_A], payments, CALENDAR, already_applied={"OLD"})
    assert result.applied == ("P1",)
    assert result.ignored == ("P1", "OLD")
    assert result.outstanding["A"] == 20_000


def test_cheque_at_1601_counts_the_next_business_day() -> None:
    late_cheque = payment("CHQ", 30_000, datetime(2025, 7, 2, 16, 1, tzinfo=EDT), "cheque")
    result = apply_payments([DEBT_A], [late_cheque], CALENDAR)
    assert result.effective["CHQ"] == date(2025, 7, 3)  # a day after A's due date: A was not paid on time
    assert result.allocations == (Allocation("CHQ", "A", 30_000, date(2025, 7, 3)),)


debts_strategy = st.lists(
    st.tuples(st.integers(0, 60), st.integers(0, 60), st.integers(1, 50_000)), min_size=0, max_size=6
)
payments_strategy = st.lists(st.tuples(st.integers(0, 60), st.integers(1, 60_000)), min_size=0, max_size=6)


@settings(max_examples=120, deadline=None)
@given(debts_strategy, payments_strategy, st.integers(0, 30_000))
def test_every_cent_is_accounted_for(debts, payments, credit) -> None:
    base = date(2025, 9, 1)
    debt_list = [
        Debt(f"D{i}", base + timedelta(days=due), base + timedelta(days=posted), cents)
        for i, (due, posted, cents) in enumerate(debts)
    ]
    payment_list = [
        payment(f"P{i}", cents, datetime(2025, 9, 1, 12, tzinfo=EDT) + timedelta(days=day))
        for i, (day, cents) in enumerate(payments)
    ]
    result = apply_payments(debt_list, payment_list, CALENDAR, existing_credit_cents=credit)
    allocated = sum(a.amount_cents for a in result.allocations)
    # payments loaded + credit carried in = applied to debts + credit left
    assert sum(p.amount_cents for p in payment_list) + credit == allocated + result.credit_cents
    for debt in debt_list:
        settled = sum(a.amount_cents for a in result.allocations if a.debt_id == debt.debt_id)
        assert result.outstanding[debt.debt_id] == debt.amount_cents - settled >= 0
    # a credit is left only when nothing is owing
    assert result.credit_cents == 0 or result.owing_cents == 0
    # nothing is applied to a debt before it is posted
    posted = {d.debt_id: d.posting_date for d in debt_list}
    assert all(a.on >= posted[a.debt_id] for a in result.allocations)
