"""Period close, piece by piece: the reconciliation's difference list, interest and penalties around the CARM
waiver date, and the order periods close in (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from decimal import Decimal, localcontext
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.billing import close_period
from pipeline.config import Settings
from pipeline.errors import TerminalError
from pipeline.ledger import Posting, PostingKind
from pipeline.money import format_cents
from pipeline.storage import layout
from tests.billing_usecase_helpers import LedgerScript, make_runtime

A = "123456782RM0001"


@pytest.fixture
def ledger(ledger_url: str, tmp_path: Path):  # noqa: ANN201
    runtime = make_runtime(ledger_url, tmp_path)
    script = LedgerScript(runtime.engine)
    script.importer(A, "Maple Imports Ltd")
    yield runtime, script
    runtime.engine.dispose()


def test_reconciliation_is_empty_for_a_consistent_ledger_and_names_the_transaction_that_disagrees(ledger) -> None:  # noqa: ANN001
    runtime, script = ledger
    june = dict(period="2025-06", due=date(2025, 7, 2))
    script.cad(A, "10207000000201", 1, accepted_on=date(2025, 6, 2), **june,
               postings={"customs_duty": "92.00", "gst": "62.10"}, lines={"customs_duty": "92.00", "gst": "62.10"})
    consistent = close_period(runtime, "2025-06", as_of="2025-06-25", pdf_workers=1)
    assert consistent.as_json()["reconciliation"] == {"differences": []}
    report = runtime.buckets.outbound.read(layout.finance_key("2025-06", "reconciliation.csv")).decode()
    assert report.splitlines()[-1].startswith("status,,ALL,,,,agrees,No differences")

    # July: a CAD whose line says 100.00 of duty while 90.00 was posted.
    july = dict(period="2025-07", due=date(2025, 7, 31))
    (wrong,) = script.cad(A, "10207000000202", 1, accepted_on=date(2025, 7, 2), **july,
                          postings={"customs_duty": "90.00"}, lines={"customs_duty": "100.00"})
    script.cad(A, "10207000000203", 1, accepted_on=date(2025, 7, 3), **july,
               postings={"customs_duty": "5.00"}, lines={"customs_duty": "5.00"})
    summary = close_period(runtime, "2025-07", as_of="2025-07-25", pdf_workers=1)
    (difference,) = summary.as_json()["reconciliation"]["differences"]
    assert difference["check"] == "assessed_vs_posted" and difference["importer"] == A
    assert (difference["expected"], difference["actual"], difference["difference"]) == ("100.00", "90.00", "-10.00")
    assert difference["transactions"] == ["10207000000202", f"posting {wrong}"]
    rows = list(csv.DictReader(io.StringIO(
        runtime.buckets.outbound.read(layout.finance_key("2025-07", "reconciliation.csv")).decode()
    )))
    assert [(r["record"], r["check"], r["transactions"]) for r in rows if r["record"] == "difference"] == [
        ("difference", "assessed_vs_posted", f"10207000000202 posting {wrong}")
    ]
    assert {(r["check"], r["expected"], r["actual"]) for r in rows if r["importer"] == A} >= {
        ("assessed_vs_posted", "105.00", "95.00")
    }
    page = runtime.buckets.outbound.read(layout.finance_key("2025-07", "reconciliation.html")).decode()
    assert "10207000000202" in page and "No differences" not in page


def test_interest_and_penalty_start_on_the_waiver_date(ledger) -> None:  # noqa: ANN001
    runtime, script = ledger
    # 1,000.00 of period 2025-12, due 2025-12-31, never paid.
    script.cad(A, "10207000000301", 1, accepted_on=date(2025, 12, 1), period="2025-12", due=date(2025, 12, 31),
               postings={"customs_duty": "1000.00"}, lines={"customs_duty": "1000.00"})
    close_period(runtime, "2025-12", as_of="2025-12-25", pdf_workers=1)
    # Period 2026-01 (2025-12-18 .. 2026-01-17): overdue from 2026-01-01, but every day is before the waiver date
    # 2026-01-31, and statement 2025-12 was late on 2026-01-01, also before it: no interest, no penalty.
    january = close_period(runtime, "2026-01", as_of="2026-01-25", pdf_workers=1)
    assert (january.interest_cents, january.penalty_cents) == ({}, {})
    # Period 2026-02 (2026-01-18 .. 2026-02-17): interest for 2026-01-31 .. 2026-02-17, 18 days at 9 % on
    # 1,000.00: 1000 x ((1 + 9/36500)^18 - 1) = 4.4477.. -> 4.45. Statement 2026-01 (due 2026-01-30, late from
    # 2026-01-31) was not paid: 200.00.
    with localcontext() as context:
        context.prec = 40
        by_hand = Decimal(1000) * ((1 + Decimal(9) / 36500) ** 18 - 1)
    assert abs(by_hand - Decimal("4.4477")) < Decimal("0.0001")
    february = close_period(runtime, "2026-02", as_of="2026-02-25", pdf_workers=1)
    assert february.interest_cents == {A: 445} and february.penalty_cents == {A: 20_000}
    (statement,) = february.as_json()["statements"]
    assert (statement["previous_balance"], statement["interest"], statement["penalties"], statement["closing_balance"]) == (
        "1000.00", "4.45", "200.00", "1204.45"
    )
    with Session(runtime.engine) as session:
        posted = session.execute(
            select(Posting.kind, Posting.amount, Posting.period, Posting.due_date, Posting.posting_date)
            .where(Posting.kind.in_([PostingKind.INTEREST, PostingKind.PENALTY])).order_by(Posting.kind)
        ).all()
    assert [(str(k.value), a, p, d, on) for k, a, p, d, on in posted] == [
        ("interest", Decimal("4.45"), "2026-02", date(2026, 3, 3), date(2026, 2, 25)),
        ("penalty", Decimal("200.00"), "2026-02", date(2026, 3, 3), date(2026, 2, 25)),
    ]


def test_the_waiver_date_is_a_parameter(ledger) -> None:  # noqa: ANN001
    runtime, script = ledger
    script.cad(A, "10207000000301", 1, accepted_on=date(2025, 12, 1), period="2025-12", due=date(2025, 12, 31),
               postings={"customs_duty": "1000.00"}, lines={"customs_duty": "1000.00"})
    close_period(runtime, "2025-12", as_of="2025-12-25", pdf_workers=1)
    # With no waiver after 2026-01-01: 2026-01-01 .. 2026-01-17 bear interest, 17 days at 9 %:
    # 1000 x ((1 + 9/36500)^17 - 1) = 4.2001.. -> 4.20; statement 2025-12 was late: 200.00.
    january = close_period(runtime, "2026-01", as_of="2026-01-25", waiver_until=date(2026, 1, 1), pdf_workers=1)
    assert january.interest_cents == {A: 420} and january.penalty_cents == {A: 20_000}


def test_without_a_waiver_date_the_close_takes_its_runtimes_setting(ledger) -> None:  # noqa: ANN001
    """The carm_close_period DAG passes no waiver date: CARM_INTEREST_WAIVER_UNTIL reaches it through the runtime's
    Settings, so Airflow closes with the waiver date ``carm close-period`` uses."""
    runtime, script = ledger
    script.cad(A, "10207000000301", 1, accepted_on=date(2025, 12, 1), period="2025-12", due=date(2025, 12, 31),
               postings={"customs_duty": "1000.00"}, lines={"customs_duty": "1000.00"})
    waived_from_new_year = replace(
        runtime,
        settings=Settings.from_env({"CARM_HOME": str(runtime.settings.home), "CARM_DB_URL": runtime.settings.db_url,
                                    "CARM_INTEREST_WAIVER_UNTIL": "2026-01-01"}),
    )
    close_period(waived_from_new_year, "2025-12", as_of="2025-12-25", pdf_workers=1)
    # As the DAG task calls it. Same figures as test_the_waiver_date_is_a_parameter: 17 days of interest, 200.00.
    january = close_period(waived_from_new_year, "2026-01", as_of="2026-01-25", pdf_workers=1)
    assert january.interest_cents == {A: 420} and january.penalty_cents == {A: 20_000}


def test_an_explicit_waiver_date_wins_over_the_runtimes_setting(ledger) -> None:  # noqa: ANN001
    runtime, script = ledger
    script.cad(A, "10207000000301", 1, accepted_on=date(2025, 12, 1), period="2025-12", due=date(2025, 12, 31),
               postings={"customs_duty": "1000.00"}, lines={"customs_duty": "1000.00"})
    waived_from_new_year = replace(runtime, settings=replace(runtime.settings, interest_waiver_until=date(2026, 1, 1)))
    close_period(waived_from_new_year, "2025-12", as_of="2025-12-25", pdf_workers=1)
    january = close_period(
        waived_from_new_year, "2026-01", as_of="2026-01-25", waiver_until=date(2026, 1, 31), pdf_workers=1
    )
    assert (january.interest_cents, january.penalty_cents) == ({}, {})


def test_a_period_cannot_close_before_it_ends_nor_after_a_later_one(ledger) -> None:  # noqa: ANN001
    runtime, _ = ledger
    with pytest.raises(TerminalError, match="can be closed from 2025-06-18"):
        close_period(runtime, "2025-06", as_of="2025-06-17", pdf_workers=1)
    close_period(runtime, "2025-07", as_of="2025-07-25", pdf_workers=1)
    with pytest.raises(TerminalError, match="periods close in order"):
        close_period(runtime, "2025-06", as_of="2025-07-25", pdf_workers=1)
    with pytest.raises(TerminalError, match="not a billing period"):
        close_period(runtime, "2025-13", as_of="2025-07-25", pdf_workers=1)


def test_changes_to_an_earlier_period_are_corrections_on_time_and_adjustments_late(ledger) -> None:  # noqa: ANN001
    runtime, script = ledger
    june = dict(period="2025-06", due=date(2025, 7, 2))
    for txn in ("10207000000501", "10207000000502", "10207000000503"):
        script.cad(A, txn, 1, accepted_on=date(2025, 6, 2), **june, postings={"customs_duty": "100.00"},
                   lines={"customs_duty": "100.00"})
    close_period(runtime, "2025-06", as_of="2025-06-25", pdf_workers=1)
    # After the June statement: one correction on time (by 07-02, still period 2025-06), one cancellation on
    # time, one cancellation late (07-10: booked in period 2025-07, due with it), and a new July CAD.
    script.cad(A, "10207000000501", 2, accepted_on=date(2025, 6, 30), **june, kind="correction",
               postings={"customs_duty": "-10.00"}, lines={"customs_duty": "90.00"})
    script.cad(A, "10207000000502", 2, accepted_on=date(2025, 7, 2), **june, kind="cancellation",
               postings={"customs_duty": "-100.00"})
    script.cad(A, "10207000000503", 2, accepted_on=date(2025, 7, 10), period="2025-07", due=date(2025, 7, 31),
               kind="cancellation", postings={"customs_duty": "-100.00"})
    script.cad(A, "10207000000504", 1, accepted_on=date(2025, 7, 3), period="2025-07", due=date(2025, 7, 31),
               postings={"customs_duty": "50.00"}, lines={"customs_duty": "50.00"})
    (statement,) = close_period(runtime, "2025-07", as_of="2025-07-25", pdf_workers=1).as_json()["statements"]
    # 300.00 - 10.00 - 100.00 (corrections) + 50.00 (charges) - 100.00 (adjustment) = 140.00
    assert (statement["previous_balance"], statement["corrections"], statement["charges"]["customs_duty"],
            statement["adjustments"], statement["closing_balance"]) == ("300.00", "-110.00", "50.00", "-100.00", "140.00")


def test_an_adjustment_without_a_recorded_interest_start_bears_interest_from_the_original_due_date() -> None:
    from pipeline.billing.accounts import build_accounts
    from pipeline.billing.ledger_read import POSTING_COLUMNS

    def row(posting_id: int, kind: str, cents: int, posting_date: str, period: str, due: str, start: str | None):
        return (posting_id, A, posting_date, kind, "customs_duty", cents, "10207000000601", 1, 1, period, due,
                "test", start)

    frame = pd.DataFrame([
        row(1, "assessment", 10_000, "2026-02-02", "2026-02", "2026-03-03", None),
        row(2, "adjustment", 4_000, "2026-03-10", "2026-03", "2026-03-31", None),  # derived: 2026-03-04
        row(3, "adjustment", 1_000, "2026-03-11", "2026-03", "2026-03-31", "2026-03-05"),  # as recorded
    ], columns=list(POSTING_COLUMNS), dtype=object).astype({"id": "int64", "cents": "int64"})
    accounts = build_accounts(frame, pd.DataFrame(columns=["payment_id", "received_at", "method"]), lambda p: date(2026, 1, 1))
    starts = {debt.debt_id: debt.interest_start for debt in accounts.by_importer[A].debts}
    assert starts == {"000000000001": date(2026, 3, 4), "000000000002": date(2026, 3, 4), "000000000003": date(2026, 3, 5)}


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-10**15, max_value=10**15))
def test_amount_text_in_integer_arithmetic_is_the_decimal_text(cents: int) -> None:
    assert format_cents(cents) == f"{Decimal(cents).scaleb(-2):.2f}"
