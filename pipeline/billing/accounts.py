"""An importer's account as the pure billing core sees it: debts and credits built from ledger postings.

The rule (our reading of billing.md "Payments", written down because the spec leaves the details open):

- every debit posting (an assessment, a correction or adjustment that raises a transaction, interest, a
  penalty) is a debt, due on its due date; an adjustment bears interest from the day after the *original* due
  date of its transaction (Customs Act s. 32.2(3)), i.e. the due date of the transaction's assessment;
- a credit posting that is not a payment (a correction, adjustment or cancellation lowering a transaction) first
  takes back what that transaction still has posted for the same charge type, newest debit first, as if that
  amount had never been owed (a cancelled or corrected amount bears no interest); what is left over, and every
  credit posting with no transaction, is a credit of the day it was posted;
- payments count on their effective date (Eastern cut-offs, ``effective_date``) and, with the left-over
  credits, settle the oldest debts first (``apply_payments``); what is left is carried forward.

Everything here is pure: DataFrames from ``ledger_read`` in, frozen dataclasses out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from pipeline.billing.calendar import HolidayCalendar
from pipeline.billing.interest import (
    DEFAULT_WAIVER_UNTIL,
    InterestAccrual,
    PrescribedRates,
    interest_on_debts,
)
from pipeline.billing.payments import EASTERN, Allocation, Application, Debt, Payment, apply_payments

__all__ = [
    "CREDIT_PREFIX",
    "Account",
    "account_interest",
    "build_accounts",
    "debt_id",
    "is_ledger_credit",
    "payment_credit_left",
    "posting_id_of",
    "settle",
]

#: Payment ids of the credits that are not payments: ``posting:<posting id>``.
CREDIT_PREFIX = "posting:"
# A ledger credit counts on its posting date: an electronic "receipt" at noon Eastern has exactly that date.
_NOON = time(12, 0)


def debt_id(posting_id: int) -> str:
    """The debt id of a posting: zero-padded so that ids sort as numbers (the core breaks ties by id)."""
    return f"{int(posting_id):012d}"


def posting_id_of(debt: str) -> int:
    return int(debt)


def is_ledger_credit(payment_id: str | None) -> bool:
    return payment_id is None or payment_id.startswith(CREDIT_PREFIX)


@dataclass(frozen=True, slots=True)
class Account:
    importer: str
    debts: tuple[Debt, ...]
    credits: tuple[Payment, ...]  # loaded payments (their own ids) and ledger credits (CREDIT_PREFIX ids)


def _ledger_credit(importer: str, posting_id: int, on: date, cents: int) -> Payment:
    return Payment(
        f"{CREDIT_PREFIX}{posting_id}", importer, cents, datetime.combine(on, _NOON, EASTERN), "electronic"
    )


def build_accounts(
    postings: pd.DataFrame,
    payments: pd.DataFrame,
    due_of_period: Callable[[str], date],
) -> dict[str, Account]:
    """The accounts of every importer in ``postings`` (``ledger_read.posting_frame``). ``payments``
    (``ledger_read.payments_frame``) gives the time received and the method of payment postings; a payment
    posting without its payment row counts on its posting date. ``due_of_period`` gives the due date of a
    posting that has none."""
    if postings.empty:
        return {}
    is_payment = (postings["kind"] == "payment").to_numpy()
    others = postings[~is_payment]
    debits = others[others["cents"] > 0].copy()
    negatives = others[others["cents"] < 0]

    # Net the credits of a transaction against its own debits of the same charge type, newest debit first.
    keyed_neg = negatives[negatives["transaction_number"].notna()]
    key = ["importer", "transaction_number", "charge_type"]
    taken_back = (-keyed_neg.groupby(key)["cents"].sum()).rename("taken_back")
    last_negative = keyed_neg.groupby(key).agg(last_id=("id", "max"), last_date=("posting_date", "max"))
    debits["taken_back"] = 0
    keyed = debits["transaction_number"].notna()
    if keyed.any() and not taken_back.empty:
        part = debits[keyed].sort_values(key + ["posting_date", "id"], ascending=[True, True, True, False, False])
        part = part.join(taken_back, on=key, rsuffix="_total")
        total = part["taken_back_total"].fillna(0).astype("int64")
        before = part.groupby(key)["cents"].cumsum() - part["cents"]
        netted = np.clip(total - before, 0, part["cents"])
        debits.loc[part.index, "taken_back"] = netted.astype("int64")
    debits["left"] = debits["cents"] - debits["taken_back"]

    # Left-over transaction credits, and credits with no transaction, are credits of the day.
    credits: dict[str, list[Payment]] = {}
    if not taken_back.empty:
        debited = debits[keyed].groupby(key)["cents"].sum()
        over = (taken_back - debited.reindex(taken_back.index).fillna(0).astype("int64"))
        over = over[over > 0]
        for (importer, _txn, _charge), cents in over.items():
            row = last_negative.loc[(importer, _txn, _charge)]
            credits.setdefault(importer, []).append(
                _ledger_credit(importer, int(row["last_id"]), date.fromisoformat(row["last_date"]), int(cents))
            )
    for row in negatives[negatives["transaction_number"].isna()].itertuples(index=False):
        credits.setdefault(row.importer, []).append(
            _ledger_credit(row.importer, row.id, date.fromisoformat(row.posting_date), -int(row.cents))
        )

    received = {
        pid: (received_at, method)
        for pid, received_at, method in zip(
            payments["payment_id"], payments["received_at"], payments["method"], strict=True
        )
    } if not payments.empty else {}
    for row in postings[is_payment].itertuples(index=False):
        if row.cents >= 0:
            continue
        found = received.get(row.source)
        if found is None:
            credits.setdefault(row.importer, []).append(
                _ledger_credit(row.importer, row.id, date.fromisoformat(row.posting_date), -int(row.cents))
            )
        else:
            credits.setdefault(row.importer, []).append(
                Payment(row.source, row.importer, -int(row.cents), found[0], found[1])
            )

    # An adjustment bears interest from the day after its transaction's original due date.
    assessed = postings[(postings["kind"] == "assessment") & postings["due_date"].notna()]
    original_due = assessed.groupby(["importer", "transaction_number"])["due_date"].min()
    owing = debits[debits["left"] > 0]
    due_cache: dict[str, date] = {}
    debts: dict[str, list[Debt]] = {}
    for row in owing.itertuples(index=False):
        if row.due_date is None or row.due_date != row.due_date:  # None or NaN
            due = due_cache.get(row.period) or due_cache.setdefault(row.period, due_of_period(row.period))
        else:
            due = date.fromisoformat(row.due_date)
        interest_from = None
        if row.kind == "adjustment" and row.transaction_number is not None:
            original = original_due.get((row.importer, row.transaction_number))
            if original is not None and date.fromisoformat(original) < due:
                interest_from = date.fromisoformat(original) + timedelta(days=1)
        debts.setdefault(row.importer, []).append(
            Debt(debt_id(row.id), due, date.fromisoformat(row.posting_date), int(row.left), interest_from)
        )

    importers = sorted(set(postings["importer"]))
    return {
        importer: Account(importer, tuple(debts.get(importer, ())), tuple(credits.get(importer, ())))
        for importer in importers
    }


def settle(account: Account, calendar: HolidayCalendar) -> Application:
    """The account's credits applied to its debts, oldest first (the pure core's ``apply_payments``)."""
    return apply_payments(account.debts, account.credits, calendar)


def payment_credit_left(application: Application) -> int:
    """Cents of loaded payments not applied to any debt (credits carried forward), ledger credits excluded."""
    return sum(cents for source, cents in application.credit_sources if not is_ledger_credit(source))


def applied_by_payment(application: Application) -> Mapping[str, int]:
    """Cents applied per loaded payment id."""
    applied: dict[str, int] = {}
    for allocation in application.allocations:
        if not is_ledger_credit(allocation.payment_id):
            applied[allocation.payment_id] = applied.get(allocation.payment_id, 0) + allocation.amount_cents
    return applied


def account_interest(
    account: Account,
    application: Application,
    window: tuple[date, date],
    rates: PrescribedRates,
    *,
    waiver_until: date = DEFAULT_WAIVER_UNTIL,
) -> InterestAccrual | None:
    """The arrears interest of one account for a window (normally a billing period), or None when no day of
    it can bear interest (all before the waiver, or nothing overdue in it)."""
    start, end = window
    if end < waiver_until:
        return None
    settled_before: dict[str, int] = {}
    for allocation in application.allocations:
        if allocation.on < start:
            settled_before[allocation.debt_id] = settled_before.get(allocation.debt_id, 0) + allocation.amount_cents
    # Only debts that can be overdue in the window matter; one settled before the window began is history.
    relevant = [
        debt
        for debt in account.debts
        if debt.interest_start <= end
        and debt.posting_date <= end
        and settled_before.get(debt.debt_id, 0) < debt.amount_cents
    ]
    if not relevant:
        return None
    wanted = {debt.debt_id for debt in relevant}
    allocations: list[Allocation] = [a for a in application.allocations if a.debt_id in wanted]
    accrual = interest_on_debts(relevant, allocations, start, end, rates, waiver_until=waiver_until)
    return accrual if accrual.days else None
