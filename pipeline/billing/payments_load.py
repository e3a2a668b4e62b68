"""Loading payments files into the ledger (``carm payments FILE`` and the payments DAG).

Decisions (billing.md leaves them open):

- **Good rows are loaded, bad rows reported.** A row with a problem (file, row, column, message) is left out;
  the other rows are loaded, because money received must be credited on time — holding every payment back for
  one typo would make importers late. A corrected row is sent again in a new file (its id is still unused).
  ``carm payments`` then exits 1 (input processed, some of it rejected).
- **Exactly once.** A payment id is loaded once: the ``payments`` row (unique id) and its ``payment`` posting
  (unique source) are written in one transaction with the applications, so a crash leaves all or nothing and a
  reload skips the ids already there. An id seen again with a different importer, amount, time or method is a
  problem (never a second payment).
- **Posting.** The credit is posted on the payment's effective date (Eastern cut-offs, ``effective_date``), with
  the period of the first statement dated on or after that date (the 25th); the file is archived byte for byte first (``archive/<yyyy>/<mm>/<dd>/
  <sha256>``) and the load recorded in the run log with its hash, which is how the DAG knows a file was loaded.
- **Applications** are recomputed for the importers concerned (oldest debt first, credits carried forward) and
  stored in ``payment_applications``, a derived table: rows that no longer hold are replaced.
- A payment received after the business moment of the load, for an unregistered importer, or with an id longer
  than 64 characters is a problem.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.exc import IntegrityError

import pipeline
from pipeline.billing.accounts import build_accounts, settle
from pipeline.billing.calendar import HolidayCalendar, due_date, shift_period, statement_date
from pipeline.billing.ledger_read import payments_frame, posting_frame
from pipeline.billing.payments import Application, Payment, PaymentProblem, effective_date, parse_payments_csv
from pipeline.clock import real_now
from pipeline.errors import TransientError
from pipeline.money import format_cents, from_cents
from pipeline.storage import layout

__all__ = [
    "PaymentsBatchSummary",
    "PaymentsSummary",
    "load_payments",
    "load_payments_from_bucket",
    "loaded_payment_files",
    "record_applications",
]

RUN_KIND = "payments"
MAX_PAYMENT_ID = 64
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class PaymentsSummary:
    source: str
    sha256: str
    rows: int  # data rows read, good and bad
    loaded: tuple[Payment, ...]  # newly loaded, in file order
    effective: Mapping[str, date]  # payment id -> effective date (newly loaded)
    already_loaded: tuple[str, ...]  # ids loaded before (by this file or another): skipped
    problems: tuple[PaymentProblem, ...]
    applied_cents: int  # of the newly loaded payments, applied to debts
    credit_cents: int  # of the newly loaded payments, carried forward as credit
    archive_key: str | None = None

    @property
    def loaded_cents(self) -> int:
        return sum(payment.amount_cents for payment in self.loaded)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "sha256": self.sha256,
            "rows": self.rows,
            "loaded": len(self.loaded),
            "already_loaded": len(self.already_loaded),
            "rejected": len({problem.row for problem in self.problems}),
            "amount": format_cents(self.loaded_cents),
            "applied": format_cents(self.applied_cents),
            "credit": format_cents(self.credit_cents),
            "archive_key": self.archive_key,
            "payments": [
                {
                    "payment_id": payment.payment_id,
                    "importer": payment.importer,
                    "amount": format_cents(payment.amount_cents),
                    "effective_date": self.effective[payment.payment_id].isoformat(),
                }
                for payment in self.loaded
            ],
            "already_loaded_ids": list(self.already_loaded),
            "problems": [
                {"file": problem.source, "row": problem.row, "column": problem.column, "message": problem.message}
                for problem in self.problems
            ],
        }


@dataclass(frozen=True, slots=True)
class PaymentsBatchSummary:
    """What the DAG's run did with the payments folder of the inbound bucket."""

    files: tuple[PaymentsSummary, ...]
    skipped: tuple[str, ...] = field(default=())  # keys already loaded (same sha256) or not ``*.csv``

    def as_json(self) -> dict[str, Any]:
        return {
            "files": [summary.as_json() for summary in self.files],
            "skipped": list(self.skipped),
            "loaded": sum(len(summary.loaded) for summary in self.files),
            "problems": sum(len(summary.problems) for summary in self.files),
        }


def statement_period_of_day(day: date) -> str:
    """The period of a payment posting: the first statement dated on or after its effective date (statements
    are dated the 25th), so a payment received between a period's end and its statement date is on that
    statement, as "payments received since the previous statement"."""
    period = f"{day.year:04d}-{day.month:02d}"
    return period if day <= statement_date(period) else shift_period(period, 1)


def load_payments(
    runtime: Any, data: bytes, source_name: str, *, as_of: str | datetime | None = None
) -> PaymentsSummary:
    """Load one payments file: archive it, post every new payment once, and apply the importers' credits."""
    moment = runtime.business_moment(as_of)
    sha256 = hashlib.sha256(data).hexdigest()
    archive_key = layout.archive_key(moment.date(), sha256)
    if not runtime.buckets.archive.exists(archive_key):
        runtime.buckets.archive.write(archive_key, data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as fault:
        problem = PaymentProblem(source_name, 1, None, f"not UTF-8 text (byte {fault.start})")
        return _record(runtime, moment, PaymentsSummary(
            source_name, sha256, 0, (), {}, (), (problem,), 0, 0, archive_key
        ))
    payments, problems = parse_payments_csv(text, source_name)
    rows = max(0, sum(1 for row in csv.reader(io.StringIO(text.removeprefix("\ufeff"))) if any(map(str.strip, row))) - 1)
    for attempt in range(2):
        try:
            with runtime.engine.begin() as connection:
                summary = replace(
                    _load(connection, runtime.calendar, payments, list(problems), moment, source_name),
                    sha256=sha256, rows=rows, archive_key=archive_key,
                )
                _insert_run(connection, moment, summary)
            return summary
        except IntegrityError as fault:  # another load inserted the same ids meanwhile: they are loaded now
            if attempt:
                raise TransientError(f"{source_name}: payments could not be loaded: {fault.orig}") from fault
    raise AssertionError("unreachable")  # pragma: no cover


def _record(runtime: Any, moment: datetime, summary: PaymentsSummary) -> PaymentsSummary:
    with runtime.engine.begin() as connection:
        _insert_run(connection, moment, summary)
    return summary


def _insert_run(connection: Connection, moment: datetime, summary: PaymentsSummary) -> None:
    from sqlalchemy import insert

    from pipeline.ledger import Run

    now = real_now()
    counts = {
        key: value
        for key, value in summary.as_json().items()
        if key not in ("payments", "already_loaded_ids", "problems")
    }
    connection.execute(
        insert(Run).values(
            kind=RUN_KIND, business_date=moment.date(), started_at=now, finished_at=now, counts=counts
        )
    )


def _load(
    connection: Connection,
    calendar: HolidayCalendar,
    payments: list[Payment],
    problems: list[PaymentProblem],
    moment: datetime,
    source_name: str,
) -> PaymentsSummary:
    from pipeline.ledger import Importer
    from pipeline.ledger import Payment as PaymentRow

    candidates: list[Payment] = []
    for payment in payments:
        if len(payment.payment_id) > MAX_PAYMENT_ID:
            problems.append(PaymentProblem(
                payment.source, payment.row, "payment_id", f"longer than {MAX_PAYMENT_ID} characters"
            ))
        elif payment.received_at > moment:
            problems.append(PaymentProblem(
                payment.source, payment.row, "received_at",
                f"received after the business moment of this load ({moment.isoformat(timespec='minutes')})",
            ))
        else:
            candidates.append(payment)

    registered = set()
    wanted = sorted({payment.importer for payment in candidates})
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        registered.update(connection.scalars(select(Importer.bn15).where(Importer.bn15.in_(chunk))))
    existing: dict[str, tuple[str, Decimal, datetime, str]] = {}
    ids = [payment.payment_id for payment in candidates]
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        for row in connection.execute(
            select(
                PaymentRow.payment_id, PaymentRow.importer_bn15, PaymentRow.amount, PaymentRow.received_at,
                PaymentRow.method,
            ).where(PaymentRow.payment_id.in_(chunk))
        ):
            existing[row[0]] = (row[1], row[2], row[3], row[4])

    fresh: list[Payment] = []
    already: list[str] = []
    for payment in candidates:
        if payment.importer not in registered:
            problems.append(PaymentProblem(
                payment.source, payment.row, "importer", f"{payment.importer} is not a registered importer"
            ))
            continue
        before = existing.get(payment.payment_id)
        if before is None:
            fresh.append(payment)
            continue
        same = (
            before[0] == payment.importer
            and before[1] == from_cents(payment.amount_cents)
            and before[2] == payment.received_at
            and before[3] == payment.method
        )
        if same:
            already.append(payment.payment_id)
        else:
            problems.append(PaymentProblem(
                payment.source, payment.row, "payment_id",
                f"payment id {payment.payment_id!r} was loaded before with other details; it is not loaded again",
            ))

    effective = {payment.payment_id: effective_date(payment.received_at, payment.method, calendar) for payment in fresh}
    _insert_payments(connection, fresh, effective, source_name)
    applications = record_applications(connection, {payment.importer for payment in fresh}, calendar)
    applied = {payment.payment_id: 0 for payment in fresh}
    for application in applications.values():
        for allocation in application.allocations:
            if allocation.payment_id in applied:
                applied[allocation.payment_id] += allocation.amount_cents
    applied_cents = sum(applied.values())
    problems.sort(key=lambda problem: (problem.row, problem.column or ""))
    return PaymentsSummary(
        source_name, "", 0, tuple(fresh), effective, tuple(already), tuple(problems), applied_cents,
        sum(payment.amount_cents for payment in fresh) - applied_cents,
    )


def _insert_payments(
    connection: Connection, fresh: list[Payment], effective: Mapping[str, date], source_name: str
) -> None:
    from sqlalchemy import insert

    from pipeline.ledger import ChargeType, Posting, PostingKind
    from pipeline.ledger import Payment as PaymentRow

    if not fresh:
        return
    now = real_now()
    connection.execute(
        insert(PaymentRow),
        [
            {
                "payment_id": payment.payment_id,
                "importer_bn15": payment.importer,
                "amount": from_cents(payment.amount_cents),
                "received_at": payment.received_at,
                "method": payment.method,
                "loaded_at": now,
                "source_file": source_name[-1024:],
            }
            for payment in fresh
        ],
    )
    connection.execute(
        insert(Posting),
        [
            {
                "importer_bn15": payment.importer,
                "posting_date": effective[payment.payment_id],
                "posted_at": now,
                "kind": PostingKind.PAYMENT,
                "charge_type": ChargeType.PAYMENT,
                "amount": -from_cents(payment.amount_cents),
                "transaction_number": None,
                "version": None,
                "declaration_id": None,
                "period": statement_period_of_day(effective[payment.payment_id]),
                "due_date": None,
                "source": payment.payment_id,
                "engine_version": pipeline.__version__,
            }
            for payment in fresh
        ],
    )


def record_applications(
    connection: Connection, importers: Iterable[str], calendar: HolidayCalendar
) -> dict[str, Application]:
    """Apply the importers' credits to their debts over their whole ledger (oldest first) and make
    ``payment_applications`` hold exactly the resulting applications of loaded payments."""
    chosen = sorted(set(importers))
    if not chosen:
        return {}
    postings = posting_frame(connection, importers=chosen)
    payments = payments_frame(connection, importers=chosen)
    accounts = build_accounts(postings, payments, lambda period: due_date(period, calendar))
    applications = {importer: settle(account, calendar) for importer, account in accounts.by_importer.items()}
    store_applications(connection, accounts.posting_allocations(applications), chosen)
    return applications


def store_applications(
    connection: Connection,
    wanted: Mapping[tuple[str, int], tuple[int, date]],
    importers: Iterable[str] | None,
) -> int:
    """Make the recorded applications of ``importers`` (None: every importer) equal ``wanted`` ((payment id,
    posting id) -> (cents, first day applied)): rows that no longer hold are removed, missing ones inserted
    (the table is derived from the ledger). Returns the rows changed."""
    from sqlalchemy import insert

    from pipeline.billing.ledger_read import applications_frame
    from pipeline.ledger import PaymentApplication

    recorded = applications_frame(connection, importers=importers)
    have = {
        (payment_id, int(posting_id)): (int(cents), date.fromisoformat(str(applied_on)), int(row_id))
        for row_id, payment_id, posting_id, cents, applied_on in zip(
            recorded["id"].tolist(), recorded["payment_id"].tolist(), recorded["posting_id"].tolist(),
            recorded["cents"].tolist(), recorded["applied_on"].tolist(), strict=True,
        )
    }
    stale = [have[key][2] for key in have if key not in wanted or have[key][:2] != wanted[key]]
    missing = [key for key in wanted if key not in have or have[key][:2] != wanted[key]]
    for start in range(0, len(stale), _CHUNK):
        connection.execute(
            delete(PaymentApplication).where(PaymentApplication.id.in_(stale[start:start + _CHUNK]))
        )
    if missing:
        now = real_now()
        connection.execute(
            insert(PaymentApplication),
            [
                {
                    "payment_id": payment_id,
                    "posting_id": posting_id,
                    "amount": from_cents(wanted[(payment_id, posting_id)][0]),
                    "applied_on": wanted[(payment_id, posting_id)][1],
                    "created_at": now,
                }
                for payment_id, posting_id in missing
            ],
        )
    return len(stale) + len(missing)


def loaded_payment_files(connection: Connection) -> set[str]:
    """The sha256 of every payments file loaded so far (from the run log)."""
    from pipeline.ledger import Run

    hashes = set()
    for counts in connection.scalars(select(Run.counts).where(Run.kind == RUN_KIND)):
        if counts and counts.get("sha256"):
            hashes.add(counts["sha256"])
    return hashes


def load_payments_from_bucket(runtime: Any, *, as_of: str | datetime | None = None) -> PaymentsBatchSummary:
    """Load every ``payments/*.csv`` of the inbound bucket not loaded yet (by sha256), oldest key first. A file
    is left in place after loading (its archived copy is the record); loading it again changes nothing."""
    with runtime.engine.connect() as connection:
        done = loaded_payment_files(connection)
    summaries: list[PaymentsSummary] = []
    skipped: list[str] = []
    for info in runtime.buckets.inbound.list(layout.PAYMENTS + "/"):
        if layout.parse_payments_key(info.key) is None:
            skipped.append(info.key)
            continue
        data = runtime.buckets.inbound.read(info.key)
        sha256 = hashlib.sha256(data).hexdigest()
        if sha256 in done:
            skipped.append(info.key)
            continue
        summaries.append(load_payments(runtime, data, info.key, as_of=as_of))
        done.add(sha256)
    return PaymentsBatchSummary(tuple(summaries), tuple(skipped))
