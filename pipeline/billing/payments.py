"""Payments: reading a payments file, when a payment counts, and applying payments to what is owed
(spec/billing.md "Payments").

- The file is a CSV with a header row: ``payment_id, importer, amount, received_at, method``. Bad rows are
  returned as :class:`PaymentProblem` (file, row, column, message), never raised.
- A payment counts on its *effective date*, in Eastern time (America/Toronto): an electronic payment on the
  day it is received, up to 23:59:59; a cheque on the business day it is received if it arrives by 16:00:00,
  otherwise on the **next business day** (a cheque that arrives after 16:00, or on a weekend or holiday, is
  processed the next day the office works, as banks treat deposits after their cut-off).
- Application goes to the oldest amount owing first (due date, then posting date, then debt id for a stable
  order); what is left is a credit, offset against later debts as they are posted; a credit is never paid out
  while a debt is owing. A payment id is applied once: the caller keeps the ids it has applied and passes
  them as ``already_applied``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import InvalidOperation
from types import MappingProxyType
from zoneinfo import ZoneInfo

from stdnum.exceptions import ValidationError

from pipeline.billing.calendar import HolidayCalendar
from pipeline.identifiers.business_number import validate_import_account
from pipeline.money import parse_amount, scaled

__all__ = [
    "CHEQUE",
    "CHEQUE_CUTOFF",
    "ELECTRONIC",
    "EASTERN",
    "PAYMENT_COLUMNS",
    "PAYMENT_METHODS",
    "Allocation",
    "Application",
    "Debt",
    "Payment",
    "PaymentProblem",
    "apply_payments",
    "effective_date",
    "parse_payments_csv",
]

EASTERN = ZoneInfo("America/Toronto")
#: A cheque received after this Eastern time counts on the next business day.
CHEQUE_CUTOFF = time(16, 0, 0)
ELECTRONIC, CHEQUE = "electronic", "cheque"
#: Accepted ``method`` values (case-insensitive; spaces and hyphens read as ``_``) and how each counts.
PAYMENT_METHODS: Mapping[str, str] = MappingProxyType(
    {
        "electronic": ELECTRONIC,
        "eft": ELECTRONIC,
        "wire": ELECTRONIC,
        "online_banking": ELECTRONIC,
        "credit_card": ELECTRONIC,
        "debit_card": ELECTRONIC,
        "cheque": CHEQUE,
        "check": CHEQUE,
    }
)
#: The file's columns, with the other header spellings accepted for each.
PAYMENT_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "payment_id": ("payment_id", "id"),
        "importer": ("importer", "importer_bn15", "bn15", "importer_bn"),
        "amount": ("amount",),
        "received_at": ("received_at",),
        "method": ("method",),
    }
)


@dataclass(frozen=True, slots=True)
class Payment:
    payment_id: str
    importer: str  # BN15, compact
    amount_cents: int  # > 0
    received_at: datetime  # aware
    method: str  # a key of PAYMENT_METHODS
    source: str = ""
    row: int = 0

    @property
    def kind(self) -> str:
        """``"electronic"`` or ``"cheque"``: which timeliness rule applies."""
        return PAYMENT_METHODS[self.method]


@dataclass(frozen=True, slots=True)
class PaymentProblem:
    """A fault in a payments file: the row (1 = header) and column it is in."""

    source: str
    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        column = f", column {self.column}" if self.column else ""
        return f"{self.source}, row {self.row}{column}: {self.message}"


@dataclass(frozen=True, slots=True)
class Debt:
    """An amount owing (a posting, or what is left of it). ``interest_from`` is the first day it bears interest
    when that is not the day after ``due_date`` (an adjustment bears interest from the day after the *original*
    due date, Customs Act s. 32.2(3))."""

    debt_id: str
    due_date: date
    posting_date: date
    amount_cents: int
    interest_from: date | None = None

    @property
    def interest_start(self) -> date:
        return self.interest_from or self.due_date + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Allocation:
    """``amount_cents`` of a payment (or, when ``payment_id`` is None, of the credit carried in) settles part of
    a debt on ``on``."""

    payment_id: str | None
    debt_id: str
    amount_cents: int
    on: date


@dataclass(frozen=True, slots=True)
class Application:
    allocations: tuple[Allocation, ...]
    outstanding: Mapping[str, int]  # debt id -> what is still owing (0 when settled)
    credit_cents: int  # left over, carried forward
    credit_sources: tuple[
        tuple[str | None, int], ...
    ]  # (payment id, or None for the credit carried in; cents)
    applied: tuple[str, ...]  # payment ids applied by this call, in the order applied
    ignored: tuple[str, ...] = field(
        default=()
    )  # payment ids skipped: already applied, or repeated in the batch
    effective: Mapping[str, date] = field(default_factory=lambda: MappingProxyType({}))  # payment id -> date

    @property
    def owing_cents(self) -> int:
        return sum(self.outstanding.values())

    @property
    def refundable_cents(self) -> int:
        """What may be paid out: the credit, and only when nothing is owing."""
        return self.credit_cents if self.owing_cents == 0 else 0


# --- reading ------------------------------------------------------------------------------------------------


def _normalize(text: str) -> str:
    return text.strip().lower().replace(" ", "_").replace("-", "_")


def parse_payments_csv(text: str, source_name: str) -> tuple[list[Payment], list[PaymentProblem]]:
    """The payments of a file and the problems of its rows. A row with any problem is left out whole; a
    payment id repeated in the file is a problem on the later row."""
    text = text.removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    problems: list[PaymentProblem] = []
    header_index = next((i for i, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if header_index is None:
        return [], [PaymentProblem(source_name, 1, None, "empty file: expected a header row")]
    header = [_normalize(cell) for cell in rows[header_index]]
    position: dict[str, int] = {}
    for column, spellings in PAYMENT_COLUMNS.items():
        found = [i for i, name in enumerate(header) if name in spellings]
        if not found:
            problems.append(
                PaymentProblem(source_name, header_index + 1, column, "column missing from the header")
            )
        else:
            position[column] = found[0]
    if problems:
        return [], problems

    payments: list[Payment] = []
    first_row_of: dict[str, int] = {}
    for index in range(header_index + 1, len(rows)):
        row, row_number = rows[index], index + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(
                PaymentProblem(
                    source_name, row_number, None, f"{len(row)} cells where the header has {len(header)}"
                )
            )
            continue
        payment, row_problems = _read_row(
            {c: row[i].strip() for c, i in position.items()}, source_name, row_number
        )
        if payment is not None and payment.payment_id in first_row_of:
            row_problems.append(
                PaymentProblem(
                    source_name,
                    row_number,
                    "payment_id",
                    f"payment id {payment.payment_id!r} repeats row {first_row_of[payment.payment_id]}",
                )
            )
        if row_problems:
            problems.extend(row_problems)
            continue
        assert payment is not None
        first_row_of[payment.payment_id] = row_number
        payments.append(payment)
    return payments, problems


def _read_row(cells: Mapping[str, str], source: str, row: int) -> tuple[Payment | None, list[PaymentProblem]]:
    problems: list[PaymentProblem] = []

    def problem(column: str, message: str) -> None:
        problems.append(PaymentProblem(source, row, column, message))

    payment_id = cells["payment_id"]
    if not payment_id:
        problem("payment_id", "empty")

    importer = cells["importer"]
    try:
        importer = validate_import_account(importer)
    except ValidationError as fault:
        problem("importer", f"not a valid BN15 import account: {cells['importer']!r} ({fault})")

    amount_cents = 0
    try:
        amount = parse_amount(cells["amount"])
        amount_cents = scaled(amount, 2)
        if amount_cents <= 0:
            problem("amount", f"must be more than zero: {cells['amount']!r}")
    except (InvalidOperation, ValueError):
        problem("amount", f"not an amount with at most two decimals: {cells['amount']!r}")

    received_at = None
    try:
        received_at = datetime.fromisoformat(cells["received_at"])
        if received_at.tzinfo is None or received_at.utcoffset() is None:
            problem("received_at", f"no time zone (e.g. 2025-06-30T15:59:00-04:00): {cells['received_at']!r}")
    except ValueError:
        problem("received_at", f"not an ISO-8601 date and time: {cells['received_at']!r}")

    method = _normalize(cells["method"])
    if method not in PAYMENT_METHODS:
        problem("method", f"unknown method {cells['method']!r}; expected one of {', '.join(PAYMENT_METHODS)}")

    if problems:
        return None, problems
    assert received_at is not None
    return Payment(payment_id, importer, amount_cents, received_at, method, source, row), problems


# --- timeliness ---------------------------------------------------------------------------------------------


def effective_date(received_at: datetime, method: str, calendar: HolidayCalendar) -> date:
    """The day a payment counts for due dates and interest (see the module's docstring)."""
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError(f"received_at must carry a time zone: {received_at!r}")
    kind = PAYMENT_METHODS.get(_normalize(method))
    if kind is None:
        raise ValueError(f"unknown payment method {method!r}")
    local = received_at.astimezone(EASTERN)
    day = local.date()
    if kind == ELECTRONIC:
        return day
    if calendar.is_business_day(day) and local.time() <= CHEQUE_CUTOFF:
        return day
    return calendar.next_business_day(day)


# --- application --------------------------------------------------------------------------------------------


def apply_payments(
    debts: Sequence[Debt],
    payments: Iterable[Payment],
    calendar: HolidayCalendar,
    *,
    existing_credit_cents: int = 0,
    already_applied: Collection[str] = frozenset(),
) -> Application:
    """Apply one importer's payments to its debts, in time order.

    Day by day: the debts posted that day first take what credit there is; then that day's payments (by time
    received, then id) go to the oldest debts already posted (due date, then posting date); a remainder joins
    the credit. Payments whose id is in ``already_applied``, or repeats an earlier one of this batch, are
    ignored.
    """
    if existing_credit_cents < 0:
        raise ValueError("existing credit cannot be negative")
    ids = [debt.debt_id for debt in debts]
    if len(set(ids)) != len(ids):
        raise ValueError("debt ids must be unique")
    if any(debt.amount_cents <= 0 for debt in debts):
        raise ValueError("a debt's amount must be positive; a credit is passed as existing_credit_cents")

    seen: set[str] = set(already_applied)
    applied: list[tuple[date, Payment]] = []
    ignored: list[str] = []
    for payment in payments:
        if payment.payment_id in seen:
            ignored.append(payment.payment_id)
            continue
        seen.add(payment.payment_id)
        applied.append((effective_date(payment.received_at, payment.method, calendar), payment))
    applied.sort(key=lambda item: (item[0], item[1].received_at, item[1].payment_id))

    order = sorted(debts, key=lambda d: (d.due_date, d.posting_date, d.debt_id))
    outstanding = {debt.debt_id: debt.amount_cents for debt in order}
    credit: list[list] = (
        [[None, existing_credit_cents]] if existing_credit_cents else []
    )  # [source, cents] FIFO
    allocations: list[Allocation] = []

    def settle(source: str | None, available: int, on: date) -> int:
        """Apply ``available`` to the oldest debts posted by ``on``; return what is left."""
        for debt in order:
            if available == 0:
                break
            owing = outstanding[debt.debt_id]
            if owing == 0 or debt.posting_date > on:
                continue
            amount = min(owing, available)
            outstanding[debt.debt_id] = owing - amount
            available -= amount
            allocations.append(Allocation(source, debt.debt_id, amount, on))
        return available

    def offset_credit(on: date) -> None:
        while credit:
            source, cents = credit[0]
            left = settle(source, cents, on)
            if left:
                credit[0][1] = left
                return
            credit.pop(0)

    days = sorted({debt.posting_date for debt in order} | {on for on, _ in applied})
    pending = list(applied)
    for day in days:
        offset_credit(day)
        while pending and pending[0][0] == day:
            _, payment = pending.pop(0)
            left = settle(payment.payment_id, payment.amount_cents, day)
            if left:
                credit.append([payment.payment_id, left])

    credit_sources = tuple((source, cents) for source, cents in credit)
    return Application(
        allocations=tuple(allocations),
        outstanding=MappingProxyType(outstanding),
        credit_cents=sum(cents for _, cents in credit_sources),
        credit_sources=credit_sources,
        applied=tuple(payment.payment_id for _, payment in applied),
        ignored=tuple(ignored),
        effective=MappingProxyType({payment.payment_id: on for on, payment in applied}),
    )
