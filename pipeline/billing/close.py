"""Closing a billing period (``carm close-period --period YYYY-MM`` and the billing DAG).

In one database transaction, holding the postings table against concurrent writers: post each importer's
arrears interest for the period (one posting, daily compounding at prescribed + 6 % from the day after each due
date, nothing before the waiver date, ``CARM_INTEREST_WAIVER_UNTIL``) and the late-payment penalty of the
previous statement ($200 when its balance was not paid by its due date, unless it fell late before the waiver
date), bring the payment applications up to date, and record the close in the run log (kind ``close-period``)
with its high-water mark (the last posting id), cut (the statement date) and every importer's closing balance.
Then, from that fixed set of postings: the statements of account (XML, CSV, PDF — the PDFs rendered in worker
processes), the broker statements, the RPP security review and the finance reconciliation (CSV and an HTML page
with charts).

Closing a period again posts nothing and writes the same bytes: it reads the recorded high-water mark and cut.
Periods are closed in order: a period before the last closed one cannot be closed any more, and none after the
first close is skipped (the first close carries earlier periods' postings on its statements).

Decisions: interest and penalties are dated the earlier of the business date of the close and the statement
date, belong to the period closed and are due on its due date; the interest window runs from the day after the
previous closed period ended (or the period's first day) to the period's last day; the previous statement is
judged "paid by its due date" when payments and credit corrections to earlier periods dated on or before that
due date cover its closing balance.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Date, bindparam, insert, select, text

import pipeline
from pipeline.billing.accounts import Account, account_interest, build_accounts, debt_id, settle
from pipeline.billing.calendar import due_date, parse_period, period_bounds, shift_period, statement_date
from pipeline.billing.interest import late_payment_penalty
from pipeline.billing.ledger_read import (
    append_postings,
    applications_frame,
    cents_sql,
    declarations_frame,
    fetch,
    line_totals_frame,
    max_posting_id,
    payments_frame,
    posting_frame,
)
from pipeline.billing.payments import Application, Debt
from pipeline.billing.payments_load import store_applications
from pipeline.billing.reconcile import Reconciliation, reconcile
from pipeline.billing.render_csv import posting_csv_rows, statement_csv
from pipeline.billing.render_html import reconciliation_csv, reconciliation_html, security_review_csv
from pipeline.billing.render_pdf import render_pdfs
from pipeline.billing.render_xml import amounts_of, broker_statement_xml, posting_elements, statement_xml
from pipeline.billing.security import SECURITY_PERIODS, ReviewRow, security_review
from pipeline.billing.statements import (
    CHARGE_TYPES,
    Statement,
    StatementBook,
    StatementWindow,
    build_book,
    on_statements,
    previous_balances,
    statement_rows,
)
from pipeline.clock import real_now
from pipeline.collector import collector_paused
from pipeline.errors import TerminalError
from pipeline.money import format_cents, from_cents
from pipeline.storage import layout
from pipeline.storage.errors import InvalidKey

__all__ = ["CLOSE_RUN_KIND", "CloseSummary", "close_period", "closed_periods"]

CLOSE_RUN_KIND = "close-period"
RECONCILIATION_CSV = "reconciliation.csv"
RECONCILIATION_HTML = "reconciliation.html"
SECURITY_REVIEW_CSV = "security-review.csv"
_CHARGE_KINDS = ("assessment", "correction", "cancellation", "adjustment")


@dataclass(frozen=True)
class CloseSummary:
    window: StatementWindow
    statements: tuple[Statement, ...]
    security_review: tuple[ReviewRow, ...]
    reconciliation: Reconciliation
    already_closed: bool
    interest_cents: Mapping[str, int]  # importer -> interest posted by this period's close
    penalty_cents: Mapping[str, int]  # importer -> late-payment penalty posted by this period's close
    statement_keys: tuple[str, ...]  # outbound keys, xml/csv/pdf of every statement
    broker_keys: tuple[str, ...]
    finance_keys: tuple[str, ...]
    outbound_url: str
    pdf_count: int = 0
    pdf_seconds: float = 0.0
    pdf_workers: int = 0
    skipped_brokers: tuple[str, ...] = ()
    timings: Mapping[str, float] = field(default_factory=dict)
    book: StatementBook | None = field(default=None, repr=False)  # the statements' postings (for renderers)

    @property
    def pdf_rate(self) -> float:
        """PDFs per second (a measurement)."""
        return self.pdf_count / self.pdf_seconds if self.pdf_seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        """Exactly the document of ``carm close-period --json`` (spec/interfaces.md)."""
        window = self.window
        return {
            "period": window.period,
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "statement_date": window.statement_date.isoformat(),
            "due_date": window.due_date.isoformat(),
            "statements": [statement.as_json() for statement in self.statements],
            "security_review": [
                {
                    "importer": row.importer,
                    "required": format_cents(row.required_cents),
                    "posted": format_cents(row.posted_cents),
                    "shortfall": format_cents(row.shortfall_cents),
                }
                for row in self.security_review
            ],
            "reconciliation": self.reconciliation.as_json(),
        }


@dataclass(frozen=True)
class _Facts:
    """What a close read from the ledger, besides the statements, for its outputs and reconciliation."""

    frame: pd.DataFrame  # every posting up to the high-water mark
    payments: pd.DataFrame
    applications: Mapping[str, Application]
    previous_record: Mapping[str, Any] | None
    recomputed_previous: Mapping[str, int]
    database_totals: Mapping[str, int]
    declarations: pd.DataFrame
    line_totals: pd.DataFrame
    recorded: pd.DataFrame  # payment applications as recorded, of postings up to the high-water mark
    names: Mapping[str, str]
    broker_names: Mapping[str, str]


@dataclass(frozen=True)
class _Written:
    statement_keys: list[str]
    broker_keys: list[str]
    skipped_brokers: list[str]
    reconciliation: Reconciliation
    finance_keys: list[str]
    pdf_count: int = 0
    pdf_seconds: float = 0.0
    pdf_workers: int = 0


class _Outputs:
    """Writes outbound objects from a pool of threads: a local store fsyncs every file and S3 waits on the
    network, both without holding the GIL, so the writes overlap the rendering instead of adding to it."""

    def __init__(self, store: Any, threads: int = 32) -> None:
        self.store = store
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="carm-close-write")
        self.pending: list[Future] = []

    def write(self, key: str, data: bytes) -> None:
        self.pending.append(self.pool.submit(self.store.write, key, data))

    def finish(self) -> None:
        """Wait for every write; the first failure is raised (after the others have finished)."""
        try:
            for future in self.pending:
                future.result()
        finally:
            self.pool.shutdown(wait=True)


def _refuse_a_gap(period: str, closes: Mapping[str, Any]) -> None:
    """After the first close, periods close one after the other: a skipped period would never get its
    statements, interest or penalties. The first close may be of any ended period: postings of earlier periods
    (a ledger started mid-way) are carried on its statements."""
    if not closes:
        return
    expected = shift_period(max(closes), 1)
    if period > expected:
        raise TerminalError(
            f"period {expected} is not closed yet: periods close in order, so close {expected} before {period}"
        )


def closed_periods(connection: Connection) -> dict[str, dict[str, Any]]:
    """Every closed period's record (from the run log), by period."""
    from pipeline.ledger import Run

    records: dict[str, dict[str, Any]] = {}
    for counts in connection.scalars(select(Run.counts).where(Run.kind == CLOSE_RUN_KIND).order_by(Run.id)):
        if counts and counts.get("window"):
            records.setdefault(counts["window"]["period"], counts)
    return records


def _lock(connection: Connection) -> None:
    """Hold the postings table against concurrent writers until the close commits (and queue a second close
    behind the first). SQLite's BEGIN IMMEDIATE already does this for the whole database."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE postings IN SHARE ROW EXCLUSIVE MODE"))


def _statement_totals(
    connection: Connection, window: StatementWindow, previous: StatementWindow | None
) -> dict[str, int]:
    """The postings on the statement summed by the database, per importer: the reconciliation's independent
    path to the statement totals."""
    outside = ""
    params: dict[str, Any] = {"hwm": window.high_water_mark, "period": window.period, "cut": window.cut}
    binds = [bindparam("cut", type_=Date)]
    if previous is not None:
        outside = " AND NOT (id <= :qhwm AND period <= :qperiod AND posting_date <= :qcut)"
        params.update(qhwm=previous.high_water_mark, qperiod=previous.period, qcut=previous.cut)
        binds.append(bindparam("qcut", type_=Date))
    sql = text(
        f"SELECT importer_bn15, SUM({cents_sql('amount', connection)}) FROM postings "
        f"WHERE id <= :hwm AND period <= :period AND posting_date <= :cut{outside} GROUP BY importer_bn15"
    ).bindparams(*binds)
    return {importer: int(cents) for importer, cents in connection.execute(sql, params)}


def _penalties(
    postings: pd.DataFrame,
    previous: StatementWindow | None,
    closings: Mapping[str, int],
    posting_day: date,
    waiver_until: date,
) -> dict[str, int]:
    """The late-payment penalty (cents) of each importer whose previous statement was not paid by its due date."""
    if previous is None or previous.due_date >= posting_day:
        return {}
    after = postings[~on_statements(postings, previous)]
    by_due = after[after["posting_date"] <= previous.due_date.isoformat()]
    credits = by_due[
        (by_due["kind"] == "payment")
        | (by_due["kind"].isin(_CHARGE_KINDS) & (by_due["cents"] < 0) & (by_due["period"] <= previous.period))
    ]
    paid = (-credits.groupby("importer")["cents"].sum()).to_dict()
    penalties = {}
    for importer, closing in closings.items():
        cents = late_payment_penalty(int(closing), int(paid.get(importer, 0)), previous.due_date, waiver_until=waiver_until)
        if cents:
            penalties[importer] = cents
    return penalties


def _post(
    connection: Connection, kind: str, amounts: Mapping[str, int], window: StatementWindow, posting_day: date
) -> None:
    from pipeline.ledger import ChargeType, Posting, PostingKind

    if not amounts:
        return
    now = real_now()
    connection.execute(
        insert(Posting),
        [
            {
                "importer_bn15": importer,
                "posting_date": posting_day,
                "posted_at": now,
                "kind": PostingKind(kind),
                "charge_type": ChargeType(kind),
                "amount": from_cents(cents),
                "transaction_number": None,
                "version": None,
                "declaration_id": None,
                "period": window.period,
                "due_date": window.due_date,
                "source": f"close {window.period}",
                "engine_version": pipeline.__version__,
            }
            for importer, cents in sorted(amounts.items())
        ],
    )


def _security_totals(connection: Connection, high_water_mark: int, period: str) -> dict[str, list[int]]:
    """Each importer's total of duties and taxes (every assessed charge type) per period, for the 12 periods up
    to ``period``, oldest first — summed by the database."""
    first = shift_period(period, -(SECURITY_PERIODS - 1))
    kinds = ", ".join(f"'{kind}'" for kind in _CHARGE_KINDS)
    charges = ", ".join(f"'{charge}'" for charge in CHARGE_TYPES)
    sql = (
        f"SELECT importer_bn15, period, SUM({cents_sql('amount', connection)}) FROM postings "
        f"WHERE id <= :hwm AND kind IN ({kinds}) AND charge_type IN ({charges}) "
        "AND period >= :first AND period <= :period GROUP BY importer_bn15, period ORDER BY importer_bn15, period"
    )
    totals: dict[str, list[int]] = {}
    for importer, _period, cents in fetch(connection, sql, {"hwm": high_water_mark, "first": first, "period": period}):
        totals.setdefault(importer, []).append(int(cents))
    return totals


def _security(totals: Mapping[str, list[int]], registry: pd.DataFrame) -> tuple[ReviewRow, ...]:
    """The RPP review: each RPP importer's posted security against 50 % of its highest period of duties and
    taxes over the last 12 periods up to this one."""
    return tuple(
        security_review(
            (bn15, int(security), bool(rpp), totals.get(bn15, []))
            for bn15, security, rpp in zip(
                registry["bn15"].tolist(), registry["security_cents"].tolist(), registry["rpp"].tolist(), strict=True
            )
        )
    )


def _registry(connection: Connection) -> pd.DataFrame:
    sql = f"SELECT bn15, name, {cents_sql('security', connection)}, rpp FROM importers ORDER BY bn15"
    return pd.DataFrame.from_records(
        list(connection.execute(text(sql)).fetchall()), columns=["bn15", "name", "security_cents", "rpp"]
    )


def close_period(
    runtime: Any,
    period: str,
    *,
    as_of: str | datetime | None = None,
    waiver_until: date | None = None,
    pdf_workers: int = 2,
    pdfs: bool = True,
) -> CloseSummary:
    """Close ``period`` (see the module's docstring). ``pdfs=False`` leaves the PDFs out (benchmarks).

    ``waiver_until`` defaults to the runtime's ``CARM_INTEREST_WAIVER_UNTIL`` (``Settings.interest_waiver_until``),
    so the carm_close_period DAG, which passes none, closes with the waiver date ``carm close-period`` uses.
    """
    if waiver_until is None:
        waiver_until = runtime.settings.interest_waiver_until
    # A close builds and keeps millions of small objects (postings, debts, statement lines) and no cycle among
    # them: full collections would walk them all again and again, making the close quadratic.
    with collector_paused():
        return _close_period(runtime, period, as_of, waiver_until, pdf_workers, pdfs)


def _close_period(
    runtime: Any,
    period: str,
    as_of: str | datetime | None,
    waiver_until: date,
    pdf_workers: int,
    pdfs: bool,
) -> CloseSummary:
    try:
        parse_period(period)
    except ValueError as fault:
        raise TerminalError(str(fault)) from None
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = timings.get(name, 0.0) + now - clock
        clock = now

    moment = runtime.business_moment(as_of)
    calendar = runtime.calendar
    start, end = period_bounds(period)
    if moment.date() <= end:
        raise TerminalError(
            f"period {period} runs until {end.isoformat()}: it can be closed from {(end + timedelta(days=1)).isoformat()}"
        )
    statement_on, due = statement_date(period), due_date(period, calendar)
    due_of_period = lambda name: due_date(name, calendar)  # noqa: E731

    with runtime.engine.begin() as connection:
        _lock(connection)
        closes = closed_periods(connection)
        later = sorted(p for p in closes if p > period)
        if period not in closes and later:
            raise TerminalError(f"period {period} comes before {later[-1]}, which is closed: periods close in order")
        if period not in closes:
            _refuse_a_gap(period, closes)
        earlier = sorted(p for p in closes if p < period)
        previous_record = closes[earlier[-1]] if earlier else None
        previous = StatementWindow.from_record(previous_record["window"]) if previous_record else None
        already_closed = period in closes

        if already_closed:
            record = closes[period]
            window = StatementWindow.from_record(record["window"])
            frame = posting_frame(connection, max_id=window.high_water_mark)
            payments = payments_frame(connection, max_posting_id=window.high_water_mark)
            lap("read ledger")
            accounts = build_accounts(frame, payments, due_of_period)
            applications = {importer: settle(account, calendar) for importer, account in accounts.by_importer.items()}
            interest = {k: int(v) for k, v in record.get("interest", {}).items()}
            penalties = {k: int(v) for k, v in record.get("penalties", {}).items()}
            lap("accounts and interest")
        else:
            first_id = max_posting_id(connection)
            frame = posting_frame(connection, max_id=first_id)
            payments = payments_frame(connection, max_posting_id=first_id)
            lap("read ledger")
            accounts = build_accounts(frame, payments, due_of_period)
            by_importer = dict(accounts.by_importer)
            applications = {importer: settle(account, calendar) for importer, account in by_importer.items()}
            window_start = previous.end + timedelta(days=1) if previous is not None else start
            interest = {}
            for importer, account in by_importer.items():
                accrual = account_interest(
                    account, applications[importer], (window_start, end), runtime.prescribed_rates,
                    waiver_until=waiver_until,
                )
                if accrual is not None and accrual.cents > 0:
                    interest[importer] = accrual.cents
            posting_day = min(moment.date(), statement_on)
            draft = StatementWindow(period, start, end, statement_on, due, first_id, statement_on)
            penalties = _penalties(
                frame, previous, (previous_record or {}).get("closings", {}), posting_day, waiver_until
            )
            _post(connection, "interest", interest, draft, posting_day)
            _post(connection, "penalty", penalties, draft, posting_day)
            lap("accounts and interest")
            last_id = max_posting_id(connection)
            if last_id > first_id:
                added = posting_frame(connection, min_id=first_id + 1, max_id=last_id)
                frame = append_postings(frame, added)
                _add_debts(by_importer, applications, added, calendar, posting_day)
            store_applications(connection, accounts.posting_allocations(applications), None)
            window = StatementWindow(period, start, end, statement_on, due, last_id, statement_on)
            lap("post and apply")

        rows = statement_rows(frame, window, previous)
        recomputed_previous = previous_balances(frame, previous).to_dict()
        registry = _registry(connection)
        names = dict(zip(registry["bn15"], registry["name"], strict=True))
        book = build_book(rows, window, recomputed_previous, names)
        statements = list(book.statements)
        lap("statement data")

        if not already_closed:
            from pipeline.ledger import Run

            now = real_now()
            connection.execute(insert(Run).values(
                kind=CLOSE_RUN_KIND, business_date=moment.date(), started_at=now, finished_at=now,
                counts={
                    "window": window.as_record(),
                    "previous_period": previous.period if previous else None,
                    "closings": {s.importer: s.closing_cents for s in statements},
                    "interest": interest,
                    "penalties": penalties,
                    "interest_total": format_cents(sum(interest.values())),
                    "penalties_total": format_cents(sum(penalties.values())),
                },
            ))

        database_totals = _statement_totals(connection, window, previous)
        declarations = declarations_frame(connection)
        line_totals = line_totals_frame(connection)
        recorded = applications_frame(connection)
        broker_names = dict(connection.execute(text("SELECT bn9, name FROM brokers")).all())
        security_totals = _security_totals(connection, window.high_water_mark, period)
        lap("reconciliation reads")

    hwm = window.high_water_mark
    recorded = recorded[recorded["posting_id"] <= hwm]
    posted_ids = set(frame.loc[frame["kind"] == "payment", "source"])
    recorded = recorded[recorded["payment_id"].isin(posted_ids)]
    review = _security(security_totals, registry)
    lap("security review")

    facts = _Facts(
        frame, payments, applications, previous_record, recomputed_previous, database_totals, declarations,
        line_totals, recorded, names, broker_names,
    )
    outbound = runtime.buckets.outbound
    writer = _Outputs(outbound)
    try:
        written = _write_outputs(writer, book, facts, review, pdfs, pdf_workers, lap)
    finally:
        writer.finish()
    lap("waiting for writes")

    return CloseSummary(
        window=window,
        statements=tuple(statements),
        security_review=review,
        reconciliation=written.reconciliation,
        already_closed=already_closed,
        interest_cents=interest,
        penalty_cents=penalties,
        statement_keys=tuple(written.statement_keys),
        broker_keys=tuple(written.broker_keys),
        finance_keys=tuple(written.finance_keys),
        outbound_url=outbound.url,
        pdf_count=written.pdf_count,
        pdf_seconds=written.pdf_seconds,
        pdf_workers=written.pdf_workers,
        skipped_brokers=tuple(written.skipped_brokers),
        timings=timings,
        book=book,
    )


def _write_outputs(
    writer: _Outputs,
    book: StatementBook,
    facts: _Facts,
    review: tuple[ReviewRow, ...],
    pdfs: bool,
    pdf_workers: int,
    lap: Any,
) -> _Written:
    """Render and write every output of a close."""
    window = book.window
    period = window.period
    amounts = amounts_of(book.rows)
    elements = posting_elements(book.rows, amounts)
    csv_rows = posting_csv_rows(book.rows, period, amounts)
    del amounts
    documents: dict[str, tuple[str, bytes, str, bytes]] = {}
    statement_keys: list[str] = []
    for statement in book.statements:
        low, high = book.span(statement.importer)
        xml_key = layout.statement_key(statement.importer, period, "xml")
        csv_key = layout.statement_key(statement.importer, period, "csv")
        xml = statement_xml(statement, elements[low:high])
        csv_document = statement_csv(statement, csv_rows[low:high])
        writer.write(xml_key, xml)
        writer.write(csv_key, csv_document)
        documents[statement.importer] = (xml_key, xml, csv_key, csv_document)
        statement_keys += [xml_key, csv_key]
    del csv_rows
    lap("statement xml and csv")

    broker_keys, skipped = _broker_statements(
        writer, book, elements, facts.frame, facts.declarations, facts.broker_names
    )
    del elements
    lap("broker statements")

    previous_recorded = facts.previous_record
    reconciliation = reconcile(
        book, facts.frame, facts.database_totals,
        None if previous_recorded is None else {k: int(v) for k, v in previous_recorded.get("closings", {}).items()},
        facts.recomputed_previous, facts.declarations, facts.line_totals, facts.payments, facts.recorded,
        facts.applications, documents,
    )
    finance_keys = [
        layout.finance_key(period, RECONCILIATION_CSV),
        layout.finance_key(period, RECONCILIATION_HTML),
        layout.finance_key(period, SECURITY_REVIEW_CSV),
    ]
    writer.write(finance_keys[0], reconciliation_csv(reconciliation))
    writer.write(finance_keys[1], reconciliation_html(reconciliation, review, len(book.statements), len(broker_keys), facts.names))
    writer.write(finance_keys[2], security_review_csv(review, facts.names))
    lap("reconciliation")
    written = _Written(statement_keys, broker_keys, skipped, reconciliation, finance_keys)

    if pdfs and book.statements:
        batch = render_pdfs([book.with_lines(statement) for statement in book.statements], pdf_workers)
        for statement, document in zip(book.statements, batch.documents, strict=True):
            key = layout.statement_key(statement.importer, period, "pdf")
            writer.write(key, document)
            statement_keys.append(key)
        written = replace(written, pdf_count=len(batch.documents), pdf_seconds=batch.seconds, pdf_workers=batch.workers)
        lap("pdf")
    return written


def _add_debts(
    accounts: dict[str, Account],
    applications: dict[str, Application],
    added: pd.DataFrame,
    calendar: Any,
    posting_day: date,
) -> None:
    """Add the close's interest and penalty postings to the accounts as debts, and apply again where that can
    change anything: where a credit is waiting, or something was applied on or after their posting day."""
    changed = set()
    for row in added.itertuples(index=False):
        account = accounts.get(row.importer) or Account(row.importer, (), ())
        debt = Debt(debt_id(row.id), date.fromisoformat(row.due_date), date.fromisoformat(row.posting_date), int(row.cents))
        accounts[row.importer] = Account(row.importer, (*account.debts, debt), account.credits)
        changed.add(row.importer)
    for importer in changed:
        application = applications.get(importer)
        if (
            application is None
            or application.credit_cents
            or any(allocation.on >= posting_day for allocation in application.allocations)
        ):
            applications[importer] = settle(accounts[importer], calendar)


def _broker_statements(
    writer: _Outputs,
    book: StatementBook,
    elements: list[str],
    postings: pd.DataFrame,
    declarations: pd.DataFrame,
    broker_names: Mapping[str, str],
) -> tuple[list[str], list[str]]:
    """One XML per broker BN9: a section per importer the broker has filed for (any accepted declaration in the
    ledger up to the close) that has a statement, with the postings of the transactions this broker filed."""
    if declarations.empty or not book.statements:
        return [], []
    broker_code, brokers = pd.factorize(declarations["broker_bn9"].to_numpy(dtype=object))  # None -> -1
    declaration_ids = declarations["id"].to_numpy(dtype=np.int64)
    broker_of = np.full(int(declaration_ids.max()) + 2, -1, dtype=np.int64)
    broker_of[declaration_ids] = broker_code

    def brokers_of(frame: pd.DataFrame) -> np.ndarray:
        ids = frame["declaration_id"].fillna(-1).to_numpy(dtype=object).astype(np.int64)
        return broker_of[np.where((ids >= 0) & (ids < len(broker_of)), ids, len(broker_of) - 1)]

    importer_names = [statement.importer for statement in book.statements]
    code_of = {importer: code for code, importer in enumerate(importer_names)}
    n = len(importer_names)
    # Which importers each broker has filed for, over the whole ledger up to the close.
    filed = brokers_of(postings)
    frame_importers = np.asarray([code_of.get(i, -1) for i in postings["importer"].tolist()], dtype=np.int64)
    has = (filed >= 0) & (frame_importers >= 0)
    pairs = np.unique(filed[has] * n + frame_importers[has])
    # The positions (in the book's table) of the postings each broker filed, per importer.
    rows = book.rows
    row_brokers = brokers_of(rows)
    row_importers = np.asarray([code_of[i] for i in rows["importer"].tolist()], dtype=np.int64)
    positions = np.flatnonzero(row_brokers >= 0)
    keys = row_brokers[positions] * n + row_importers[positions]
    order = np.argsort(keys, kind="stable")
    positions, keys = positions[order], keys[order]
    bounds = np.searchsorted(keys, pairs, "left"), np.searchsorted(keys, pairs, "right")

    keys_written, skipped = [], []
    by_broker: dict[int, list[tuple[Statement, list[str]]]] = {}
    for pair, low, high in zip(pairs.tolist(), bounds[0].tolist(), bounds[1].tolist(), strict=True):
        broker, importer = divmod(pair, n)
        statement = book.statements[importer]
        by_broker.setdefault(broker, []).append((statement, [elements[i] for i in positions[low:high].tolist()]))
    for broker in sorted(by_broker, key=lambda code: brokers[code]):
        bn9 = brokers[broker]
        try:
            key = layout.broker_statement_key(bn9, book.window.period)
        except InvalidKey:
            skipped.append(bn9)
            continue
        writer.write(key, broker_statement_xml(bn9, broker_names.get(bn9, ""), book.window, by_broker[broker]))
        keys_written.append(key)
    return keys_written, skipped
