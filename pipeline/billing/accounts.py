"""An importer's account as the pure billing core sees it: debts and credits built from ledger postings.

The rule (our reading of billing.md "Payments", written down because the spec leaves the details open):

- every debit posting (an assessment, a correction or adjustment that raises a transaction, interest, a
  penalty) is a debt, due on its due date, bearing interest from the day after it — or from the posting's
  ``interest_from``: an adjustment bears interest from the day after the *original* due date of its transaction
  (Customs Act s. 32.2(3)); where a ledger did not record it, it is taken from the transaction's assessment;
- a credit posting that is not a payment (a correction, adjustment or cancellation lowering a transaction) first
  takes back what that transaction has posted before it for the same charge type, newest debit first, as if
  that amount had never been owed (a cancelled or corrected amount bears no interest); what is left over, and every
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
    "Accounts",
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


@dataclass(frozen=True)
class Accounts:
    """The accounts of a set of importers, and the postings behind each debt.

    Debits due on the same day, posted on the same day (and, for adjustments, bearing interest from the same
    day) are one debt: they are settled together anyway, oldest first, so nothing about interest or what a
    payment settles changes — but a close handles tens of thousands of debts instead of a million postings. A
    debt's id is its first posting's id; within it, postings are settled in id order (``posting_allocations``).
    """

    by_importer: Mapping[str, Account]
    leaders: np.ndarray  # int64, ascending: the debt (first posting id) of each member below
    members: np.ndarray  # int64: posting ids, in (debt, posting id) order
    owed: np.ndarray  # int64: cents each member posting contributes to its debt

    def posting_allocations(
        self, applications: Mapping[str, Application]
    ) -> dict[tuple[str, int], tuple[int, date]]:
        """(payment id, posting id) -> (cents, first day) applied, for loaded payments: each debt's allocations
        spread over its postings in id order. A debt with no member list (added by the caller) is one posting."""
        applied: dict[tuple[str, int], tuple[int, date]] = {}
        for application in applications.values():
            queues: dict[int, list] = {}  # debt -> [members [(posting id, cents)], index, cents left in it]
            for allocation in application.allocations:
                leader = int(allocation.debt_id)
                queue = queues.get(leader)
                if queue is None:
                    low = int(np.searchsorted(self.leaders, leader, "left"))
                    high = int(np.searchsorted(self.leaders, leader, "right"))
                    parts = list(zip(self.members[low:high].tolist(), self.owed[low:high].tolist(), strict=True))
                    parts = parts or [(leader, allocation.amount_cents + 10**15)]
                    queue = queues[leader] = [parts, 0, parts[0][1]]
                amount = allocation.amount_cents
                payment = None if is_ledger_credit(allocation.payment_id) else allocation.payment_id
                while amount:
                    parts, index, left = queue
                    if left == 0:
                        index += 1
                        queue[1], queue[2] = index, parts[index][1]
                        continue
                    take = min(amount, left)
                    if payment is not None:
                        key = (payment, parts[index][0])
                        cents, on = applied.get(key, (0, allocation.on))
                        applied[key] = (cents + take, min(on, allocation.on))
                    queue[2] = left - take
                    amount -= take
        return applied


def _ledger_credit(importer: str, posting_id: int, on: date, cents: int) -> Payment:
    return Payment(
        f"{CREDIT_PREFIX}{posting_id}", importer, cents, datetime.combine(on, _NOON, EASTERN), "electronic"
    )


def _netted(others: pd.DataFrame, debits: pd.DataFrame) -> tuple[np.ndarray, list[tuple[str, int, str, int]]]:
    """What each debit still owes once its transaction's credits took back their share (newest earlier debit of
    the same transaction and charge type first), and the credits left over (importer, posting id, date, cents).
    Only transactions with a credit need it — few — so this is a plain loop over those."""
    left = debits["cents"].to_numpy(dtype=np.int64).copy()
    leftovers: list[tuple[str, int, str, int]] = []
    credit_rows = (others["cents"].to_numpy() < 0) & others["transaction_number"].notna().to_numpy()
    if not credit_rows.any():
        return left, leftovers
    transactions = set(others["transaction_number"].to_numpy(dtype=object)[credit_rows].tolist())
    key = ["importer", "transaction_number", "charge_type"]
    involved = others.loc[
        others["transaction_number"].isin(transactions).to_numpy(),
        ["importer", "transaction_number", "charge_type", "id", "cents", "posting_date"],
    ].sort_values(key + ["id"], kind="stable")
    position = pd.Index(debits["id"].to_numpy(dtype=np.int64))
    taken: dict[int, int] = {}
    stack: list[list[int]] = []
    group = None
    for importer, txn, charge, posting_id, cents, posting_date in zip(
        involved["importer"].tolist(), involved["transaction_number"].tolist(), involved["charge_type"].tolist(),
        involved["id"].tolist(), involved["cents"].tolist(), involved["posting_date"].tolist(), strict=True,
    ):
        if (importer, txn, charge) != group:
            group, stack = (importer, txn, charge), []
        if cents > 0:
            stack.append([posting_id, cents])
            continue
        credit = -cents
        while credit and stack:
            take = min(stack[-1][1], credit)
            stack[-1][1] -= take
            taken[stack[-1][0]] = taken.get(stack[-1][0], 0) + take
            credit -= take
            if stack[-1][1] == 0:
                stack.pop()
        if credit:
            leftovers.append((importer, posting_id, posting_date, credit))
    if taken:
        ids = np.fromiter(taken, dtype=np.int64, count=len(taken))
        left[position.get_indexer(ids)] -= np.fromiter(taken.values(), dtype=np.int64, count=len(taken))
    return left, leftovers


def build_accounts(
    postings: pd.DataFrame,
    payments: pd.DataFrame,
    due_of_period: Callable[[str], date],
) -> Accounts:
    """The accounts of every importer in ``postings`` (``ledger_read.posting_frame``). ``payments``
    (``ledger_read.payments_frame``) gives the time received and the method of payment postings; a payment
    posting without its payment row counts on its posting date. ``due_of_period`` gives the due date of a
    posting that has none."""
    empty = np.zeros(0, dtype=np.int64)
    if postings.empty:
        return Accounts({}, empty, empty, empty)
    days: dict[str, date] = {}  # ISO text -> date: a million postings share a few hundred dates

    def day(text: str) -> date:
        found = days.get(text)
        if found is None:
            found = days[text] = date.fromisoformat(text)
        return found

    kinds = postings["kind"].to_numpy()
    cents = postings["cents"].to_numpy(dtype=np.int64)
    is_payment = kinds == "payment"
    others = postings[~is_payment]
    debits = others[others["cents"].to_numpy() > 0]
    left, leftovers = _netted(others, debits)

    credits: dict[str, list[Payment]] = {}
    for importer, posting_id, posting_date, amount in leftovers:
        credits.setdefault(importer, []).append(_ledger_credit(importer, posting_id, day(posting_date), amount))
    loose = others[(others["cents"].to_numpy() < 0) & others["transaction_number"].isna().to_numpy()]
    for importer, posting_id, posting_date, amount in zip(
        loose["importer"].tolist(), loose["id"].tolist(), loose["posting_date"].tolist(), loose["cents"].tolist(),
        strict=True,
    ):
        credits.setdefault(importer, []).append(_ledger_credit(importer, posting_id, day(posting_date), -amount))
    received = dict(zip(
        payments["payment_id"].tolist(), zip(payments["received_at"].tolist(), payments["method"].tolist(), strict=True),
        strict=True,
    )) if not payments.empty else {}
    paid = postings[is_payment & (cents < 0)]
    for importer, posting_id, posting_date, amount, source in zip(
        paid["importer"].tolist(), paid["id"].tolist(), paid["posting_date"].tolist(), paid["cents"].tolist(),
        paid["source"].tolist(), strict=True,
    ):
        found = received.get(source)
        if found is None:
            credits.setdefault(importer, []).append(_ledger_credit(importer, posting_id, day(posting_date), -amount))
        else:
            credits.setdefault(importer, []).append(Payment(source, importer, -amount, found[0], found[1]))

    # Due dates (a posting without one is due with its period), and the day each debt bears interest from
    # when that is not the day after its due date: an adjustment's, the day after its transaction's original due
    # date (the due date of its assessment). Few adjustments: a loop over those.
    due = debits["due_date"].to_numpy(dtype=object).copy()
    missing = pd.isna(due)
    if missing.any():
        due[missing] = [due_of_period(period).isoformat() for period in debits["period"].to_numpy()[missing]]
    recorded_from = debits["interest_from"].to_numpy(dtype=object)
    interest_from = np.where(pd.isna(recorded_from), "", recorded_from).astype(object)
    adjusted_mask = (
        (debits["kind"].to_numpy() == "adjustment") & debits["transaction_number"].notna().to_numpy()
        & (interest_from == "")
    )
    if adjusted_mask.any():  # a ledger that did not record interest_from: derived from the original due date
        adjusted = debits[adjusted_mask]
        assessed = postings[
            (kinds == "assessment") & postings["due_date"].notna().to_numpy()
            & postings["transaction_number"].isin(set(adjusted["transaction_number"])).to_numpy()
        ]
        original: dict[tuple[str, str], str] = {}
        for importer, txn, text in zip(
            assessed["importer"].tolist(), assessed["transaction_number"].tolist(), assessed["due_date"].tolist(),
            strict=True,
        ):
            if (importer, txn) not in original or text < original[(importer, txn)]:
                original[(importer, txn)] = text
        starts = []
        for importer, txn, text in zip(
            adjusted["importer"].tolist(), adjusted["transaction_number"].tolist(), due[adjusted_mask].tolist(),
            strict=True,
        ):
            first = original.get((importer, txn))
            starts.append((day(first) + timedelta(days=1)).isoformat() if first is not None and first < text else "")
        interest_from[adjusted_mask] = starts

    owing = left > 0
    table = pd.DataFrame({
        "importer": debits["importer"].to_numpy(dtype=object)[owing],
        "due": due[owing],
        "posting_date": debits["posting_date"].to_numpy(dtype=object)[owing],
        "interest_from": interest_from[owing],
        "id": debits["id"].to_numpy(dtype=np.int64)[owing],
        "left": left[owing],
    }, copy=False)
    keys = ["importer", "due", "posting_date", "interest_from"]
    grouped = table.groupby(keys, sort=False)
    table["leader"] = grouped["id"].transform("min").to_numpy(dtype=np.int64)
    debts_table = grouped.agg(leader=("id", "min"), total=("left", "sum")).reset_index()
    order = np.lexsort((table["id"].to_numpy(), table["leader"].to_numpy()))

    debts: dict[str, list[Debt]] = {}
    for importer, due_text, posting_date, start, leader, total in zip(
        debts_table["importer"].tolist(), debts_table["due"].tolist(), debts_table["posting_date"].tolist(),
        debts_table["interest_from"].tolist(), debts_table["leader"].tolist(), debts_table["total"].tolist(),
        strict=True,
    ):
        debts.setdefault(importer, []).append(
            Debt(f"{leader:012d}", day(due_text), day(posting_date), total, day(start) if start else None)
        )
    importers = sorted(set(postings["importer"].tolist()))
    return Accounts(
        {importer: Account(importer, tuple(debts.get(importer, ())), tuple(credits.get(importer, ()))) for importer in importers},
        table["leader"].to_numpy(dtype=np.int64)[order],
        table["id"].to_numpy(dtype=np.int64)[order],
        table["left"].to_numpy(dtype=np.int64)[order],
    )


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
