"""Loading payments files: each payment applied once whatever happens, oldest debt first, credits carried
forward, the Eastern cut-offs, and every bad row reported with its file, row and column (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.billing import load_payments, load_payments_from_bucket, payments_load
from pipeline.ledger import Payment, PaymentApplication, Posting, PostingKind
from pipeline.storage import layout
from tests.billing_usecase_helpers import LedgerScript, make_runtime, payments_csv

A, B = "123456782RM0001", "111111118RM0001"


@pytest.fixture
def ledger(ledger_url: str, tmp_path: Path):  # noqa: ANN201
    runtime = make_runtime(ledger_url, tmp_path)
    script = LedgerScript(runtime.engine)
    script.importer(A, "Maple Imports Ltd")
    script.importer(B, "Birch Goods Inc")
    yield runtime, script
    runtime.engine.dispose()


def applications(runtime) -> dict[str, list[tuple[int, Decimal]]]:  # noqa: ANN001
    with Session(runtime.engine) as session:
        rows = session.execute(
            select(PaymentApplication.payment_id, PaymentApplication.posting_id, PaymentApplication.amount)
            .order_by(PaymentApplication.payment_id, PaymentApplication.posting_id)
        ).all()
    found: dict[str, list[tuple[int, Decimal]]] = {}
    for payment_id, posting_id, amount in rows:
        found.setdefault(payment_id, []).append((posting_id, amount))
    return found


def counts(runtime) -> tuple[int, int]:  # noqa: ANN001
    with Session(runtime.engine) as session:
        payments = session.scalar(select(func.count()).select_from(Payment))
        postings = session.scalar(select(func.count()).select_from(Posting).where(Posting.kind == PostingKind.PAYMENT))
    return payments, postings


def test_payments_go_to_the_oldest_debt_first_and_the_rest_is_carried_forward(ledger) -> None:  # noqa: ANN001
    runtime, script = ledger
    # Posted in the opposite order of their due dates: the one due first is settled first all the same.
    (newer,) = script.cad(A, "10207000000101", 1, accepted_on=date(2025, 6, 2), period="2025-06",
                          due=date(2025, 7, 2), postings={"customs_duty": "300.00"})
    (older,) = script.cad(A, "10207000000102", 1, accepted_on=date(2025, 6, 3), period="2025-05",
                          due=date(2025, 5, 30), postings={"customs_duty": "200.00"})
    summary = load_payments(runtime, payments_csv(
        ("PAY-1", A, "250.00", "2025-06-05T10:00:00-04:00", "eft"),   # 200.00 to the older, 50.00 to the newer
        ("PAY-2", A, "400.00", "2025-06-06T10:00:00-04:00", "wire"),  # 250.00 to the newer, 150.00 credit
    ), "june.csv", as_of="2025-06-10")
    assert (summary.loaded_cents, summary.applied_cents, summary.credit_cents) == (65_000, 50_000, 15_000)
    assert applications(runtime) == {
        "PAY-1": [(newer, Decimal("50.00")), (older, Decimal("200.00"))],
        "PAY-2": [(newer, Decimal("250.00"))],
    }
    # A later debt takes the credit when payments are next applied (here: the next load, for another payment).
    (later,) = script.cad(A, "10207000000103", 1, accepted_on=date(2025, 6, 12), period="2025-06",
                          due=date(2025, 7, 2), postings={"gst": "100.00"})
    more = load_payments(runtime, payments_csv(("PAY-3", A, "10.00", "2025-06-13T09:00:00-04:00", "eft")),
                         "more.csv", as_of="2025-06-13T12:00")
    assert [p.payment_id for p in more.loaded] == ["PAY-3"]
    assert applications(runtime)["PAY-2"] == [(newer, Decimal("250.00")), (later, Decimal("100.00"))]
    assert "PAY-3" not in applications(runtime)  # nothing left owing: all of it is credit
    with Session(runtime.engine) as session:
        balance = session.scalar(select(func.sum(Posting.amount)).where(Posting.importer_bn15 == A))
    assert balance == Decimal("-60.00")  # 600.00 owed - 660.00 paid: the credit carried forward


def test_the_same_file_twice_applies_each_payment_once(ledger) -> None:  # noqa: ANN001
    runtime, script = ledger
    script.cad(A, "10207000000101", 1, accepted_on=date(2025, 6, 2), period="2025-06", due=date(2025, 7, 2),
               postings={"customs_duty": "300.00"})
    data = payments_csv(("PAY-1", A, "100.00", "2025-06-05T10:00:00-04:00", "eft"),
                        ("PAY-2", B, "50.00", "2025-06-05T11:00:00-04:00", "eft"))
    first = load_payments(runtime, data, "june.csv", as_of="2025-06-10")
    before = applications(runtime)
    again = load_payments(runtime, data, "june.csv", as_of="2025-06-11")
    assert [p.payment_id for p in first.loaded] == ["PAY-1", "PAY-2"]
    assert again.loaded == () and again.already_loaded == ("PAY-1", "PAY-2") and not again.problems
    assert counts(runtime) == (2, 2)
    assert applications(runtime) == before
    # A file that repeats a loaded id with other details is refused for that row, never loaded twice.
    changed = load_payments(runtime, payments_csv(("PAY-1", A, "999.00", "2025-06-05T10:00:00-04:00", "eft")),
                            "changed.csv", as_of="2025-06-12")
    assert [(p.row, p.column) for p in changed.problems] == [(2, "payment_id")]
    assert counts(runtime) == (2, 2)


def test_a_load_that_dies_midway_leaves_nothing_and_the_reload_applies_each_payment_once(
    ledger, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: ANN001
    runtime, script = ledger
    script.cad(A, "10207000000101", 1, accepted_on=date(2025, 6, 2), period="2025-06", due=date(2025, 7, 2),
               postings={"customs_duty": "300.00"})
    data = payments_csv(*[(f"PAY-{n}", A, "10.00", f"2025-06-05T1{n}:00:00-04:00", "eft") for n in range(4)])

    def die(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("the process died after writing payments and postings")

    monkeypatch.setattr(payments_load, "store_applications", die)
    with pytest.raises(RuntimeError):
        load_payments(runtime, data, "june.csv", as_of="2025-06-10")
    assert counts(runtime) == (0, 0)  # one transaction: nothing of it survived
    monkeypatch.undo()

    # An earlier file had loaded two of the four already; the reload adds only the other two.
    load_payments(runtime, payments_csv(*[(f"PAY-{n}", A, "10.00", f"2025-06-05T1{n}:00:00-04:00", "eft")
                                          for n in range(2)]), "part.csv", as_of="2025-06-10")
    reloaded = load_payments(runtime, data, "june.csv", as_of="2025-06-10")
    assert [p.payment_id for p in reloaded.loaded] == ["PAY-2", "PAY-3"]
    assert reloaded.already_loaded == ("PAY-0", "PAY-1")
    assert counts(runtime) == (4, 4)
    assert sum(amount for rows in applications(runtime).values() for _, amount in rows) == Decimal("40.00")


def test_cut_offs_are_eastern_time(ledger) -> None:  # noqa: ANN001
    runtime, _ = ledger
    summary = load_payments(runtime, payments_csv(
        ("CHQ-1", A, "1.00", "2025-06-03T15:59:59-04:00", "cheque"),  # Tue, before 16:00: that day
        ("CHQ-2", A, "1.00", "2025-06-03T16:00:01-04:00", "cheque"),  # Tue, after 16:00: Wednesday
        ("CHQ-3", A, "1.00", "2025-06-06T20:30:00Z", "cheque"),       # Fri 16:30 EDT: Monday
        ("EFT-1", A, "1.00", "2025-06-04T03:30:00Z", "electronic"),   # Tue 23:30 EDT: Tuesday
        ("CHQ-4", A, "1.00", "2025-06-30T12:00:00-04:00", "cheque"),  # Mon 30 June; Tue 1 July is Canada Day
        ("CHQ-5", A, "1.00", "2025-06-30T17:00:00-04:00", "cheque"),  # after 16:00 on the 30th: Wed 2 July
    ), "cutoffs.csv", as_of="2025-07-05")
    assert summary.effective == {
        "CHQ-1": date(2025, 6, 3), "CHQ-2": date(2025, 6, 4), "CHQ-3": date(2025, 6, 9),
        "EFT-1": date(2025, 6, 3), "CHQ-4": date(2025, 6, 30), "CHQ-5": date(2025, 7, 2),
    }
    with Session(runtime.engine) as session:
        posted = dict(session.execute(
            select(Posting.source, Posting.posting_date).where(Posting.kind == PostingKind.PAYMENT)
        ).all())
    assert posted == summary.effective


def test_bad_rows_are_reported_with_file_row_and_column_and_good_rows_are_loaded(ledger) -> None:  # noqa: ANN001
    runtime, _ = ledger
    summary = load_payments(runtime, payments_csv(
        ("OK-1", A, "10.00", "2025-06-05T10:00:00-04:00", "eft"),
        ("BAD-1", A, "ten", "2025-06-05T10:00:00-04:00", "eft"),
        ("BAD-2", "999999999RM0001", "10.00", "2025-06-05T10:00:00-04:00", "eft"),
        ("BAD-3", A, "10.00", "2025-06-05T10:00:00", "eft"),
        ("BAD-4", A, "10.00", "2025-07-05T10:00:00-04:00", "eft"),
        ("OK-2", B, "20.00", "2025-06-05T10:00:00-04:00", "cheque"),
    ), "mixed.csv", as_of="2025-06-10")
    assert [p.payment_id for p in summary.loaded] == ["OK-1", "OK-2"]
    assert [(p.source, p.row, p.column) for p in summary.problems] == [
        ("mixed.csv", 3, "amount"), ("mixed.csv", 4, "importer"), ("mixed.csv", 5, "received_at"),
        ("mixed.csv", 6, "received_at"),
    ]
    document = summary.as_json()
    assert (document["rows"], document["loaded"], document["rejected"], document["amount"]) == (6, 2, 4, "30.00")


def test_the_payments_folder_is_loaded_once_per_file_and_archived(ledger) -> None:  # noqa: ANN001
    runtime, _ = ledger
    inbound = runtime.buckets.inbound
    first = payments_csv(("B-1", A, "10.00", "2025-06-05T10:00:00-04:00", "eft"))
    second = payments_csv(("B-2", B, "20.00", "2025-06-05T10:00:00-04:00", "eft"))
    inbound.write(layout.payments_key("a.csv"), first)
    inbound.write(layout.payments_key("b.csv"), second)
    inbound.write(layout.payments_key("notes.txt"), b"not a payments file")
    batch = load_payments_from_bucket(runtime, as_of="2025-06-10")
    assert [s.source for s in batch.files] == ["payments/a.csv", "payments/b.csv"]
    assert batch.skipped == ("payments/notes.txt",)
    assert all(runtime.buckets.archive.read(s.archive_key) in (first, second) for s in batch.files)
    # The same bytes again, under another name, are recognised by their hash: nothing is loaded twice.
    inbound.write(layout.payments_key("a-copy.csv"), first)
    again = load_payments_from_bucket(runtime, as_of="2025-06-11")
    assert again.files == () and set(again.skipped) >= {"payments/a.csv", "payments/a-copy.csv", "payments/b.csv"}
    assert counts(runtime) == (2, 2)
    assert layout.is_payments_key("payments/a.csv") and not layout.is_payments_key("SP00042/payments.csv")
