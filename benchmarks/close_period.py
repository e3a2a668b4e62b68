"""Benchmark of the period close: ``.venv/bin/python benchmarks/close_period.py [--importers N] [--postings N]``
(defaults 5,000 importers, 1,000,000 postings in the period closed).

Builds a fresh SQLite ledger directly (bulk inserts, outside the timed part): importers (most with RPP), brokers,
a small previous period (2026-02, 20 postings per importer, closed first — also timed and reported), then the
period closed, 2026-03, with exactly ``--postings`` postings: CAD assessments (customs duty and GST, some excise
tax or surtax), corrections, cancellations, adjustments of February transactions, each version with its line
assessment; payments of the February statements (most on time, some partial, some late cheques — so interest
and late-payment penalties are computed for real, after the 2026-01-31 waiver), with their applications recorded
as ``carm payments`` would have.

Then it times ``close_period`` of 2026-03 without PDFs — reading the ledger, accounts, interest and penalties,
payment applications, statement data, XML and CSV statements, broker statements, security review and the
reconciliation — against the target (<= 60 s on the project's 2-core machine), and separately renders the PDFs
in worker processes and reports their rate (all of them, or ``--pdf-sample`` of them), with one-process and
thread rates on a small sample for comparison.
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.billing import close_period, due_date  # noqa: E402
from pipeline.billing.payments_load import record_applications  # noqa: E402
from pipeline.billing.render_pdf import render_pdfs, statement_pdf  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.runtime import open_runtime  # noqa: E402

TARGET_SECONDS = 60.0
CHARGE_KINDS = ("customs_duty", "gst")
NOW = "2026-03-25 12:00:00.000000"
FEBRUARY = ("2026-02", date(2026, 1, 19), date(2026, 2, 17))
MARCH = ("2026-03", date(2026, 2, 18), date(2026, 3, 17))


def _business_days(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


class LedgerBuilder:
    """Rows for the raw SQLite tables (money in cents, as the Money type stores it on SQLite)."""

    def __init__(self, importers: int, seed: int, calendar) -> None:  # noqa: ANN001
        self.random = random.Random(seed)
        self.importers = [f"{100000000 + n:09d}RM0001" for n in range(importers)]
        self.brokers = [f"{800000000 + n:09d}" for n in range(max(1, importers // 50))]
        self.broker_of = {bn15: self.brokers[n % len(self.brokers)] for n, bn15 in enumerate(self.importers)}
        self.due = {period: due_date(period, calendar) for period in ("2026-02", "2026-03")}
        self.declaration_id = 0
        self.posting_id = 0
        self.transaction = 10207000000000
        self.declarations: list[tuple] = []
        self.lines: list[tuple] = []
        self.postings: list[tuple] = []
        self.payments: list[tuple] = []
        self.february_cads: dict[str, list[tuple[str, int, dict[str, int]]]] = {bn15: [] for bn15 in self.importers}

    def _declaration(self, importer: str, txn: str, version: int, function: str, day: date, period: str,
                     amounts: dict[str, int] | None) -> int:
        self.declaration_id += 1
        did = self.declaration_id
        self.declarations.append((
            did, 1, str(did), txn, version, function, "AB", importer, self.broker_of[importer], day.isoformat(),
            "accepted", "[]", day.isoformat(), day.isoformat(), NOW, period, self.due[period].isoformat(),
            "0" * 64, NOW,
        ))
        if amounts is not None:
            full = {charge: amounts.get(charge, 0) for charge in ("customs_duty", "surtax", "sima", "excise_duty", "excise_tax", "gst")}
            self.lines.append((did, 1, "9503001010", "2", "CN", 100000, *full.values(), 100000, sum(full.values())))
        return did

    def _post(self, importer: str, day: date, kind: str, charge: str, cents: int, txn: str | None, version: int | None,
              did: int | None, period: str, due: date | None, source: str) -> None:
        self.posting_id += 1
        self.postings.append((
            self.posting_id, importer, day.isoformat(), NOW, kind, charge, cents, txn, version, did, period,
            None if due is None else due.isoformat(), source, "bench",
        ))

    def _amounts(self) -> dict[str, int]:
        duty = self.random.randrange(1_000, 500_000)
        amounts = {"customs_duty": duty, "gst": (duty * 5) // 100 + self.random.randrange(0, 5_000)}
        roll = self.random.random()
        if roll < 0.08:
            amounts["excise_tax"] = self.random.randrange(10_000, 150_000)
        elif roll < 0.12:
            amounts["surtax"] = self.random.randrange(1_000, 100_000)
        return amounts

    def cad(self, importer: str, day: date, period: str, charges: int | None = None) -> int:
        """A new CAD version 1; returns the postings it made."""
        self.transaction += 1
        txn = f"{self.transaction:014d}"
        amounts = self._amounts()
        if charges is not None:  # fit the posting count exactly
            amounts = dict(list(amounts.items())[:charges])
        did = self._declaration(importer, txn, 1, "9", day, period, amounts)
        for charge, cents in amounts.items():
            self._post(importer, day, "assessment", charge, cents, txn, 1, did, period, self.due[period], "0" * 64)
        if period == "2026-02":
            self.february_cads[importer].append((txn, 1, amounts))
        return len(amounts)

    def change(self, importer: str, day: date, period: str, kind: str, txn: str, version: int,
               before: dict[str, int], after: dict[str, int]) -> int:
        function = "1" if kind == "cancellation" else "4"
        did = self._declaration(importer, txn, version, function, day, period, None if kind == "cancellation" else after)
        made = 0
        for charge in sorted(set(before) | set(after)):
            diff = after.get(charge, 0) - before.get(charge, 0)
            if diff:
                self._post(importer, day, kind, charge, diff, txn, version, did, period, self.due[period], "0" * 64)
                made += 1
        return made

    def payment(self, importer: str, payment_id: str, cents: int, received_utc: str, method: str,
                effective: date, period: str) -> None:
        self.payments.append((payment_id, importer, cents, received_utc, method, NOW, "bench.csv"))
        self._post(importer, effective, "payment", "payment", -cents, None, None, None, period, None, payment_id)

    def february(self, per_importer: int) -> None:
        _, first, last = FEBRUARY
        days = _business_days(first, last)
        for importer in self.importers:
            made = 0
            while made < per_importer:
                made += self.cad(importer, self.random.choice(days), "2026-02", charges=min(2, per_importer - made))

    def march(self, per_importer: int, closing_feb: dict[str, int]) -> None:
        """Exactly ``per_importer`` postings for each importer in period 2026-03."""
        _, first, last = MARCH
        days = _business_days(first, last)
        for index, importer in enumerate(self.importers):
            made = 0
            owed = closing_feb.get(importer, 0)
            # Payments of the February statement: on time (by 03-03), partial, or a late cheque.
            style = index % 20
            if owed > 0:
                if style < 16:
                    self.payment(importer, f"B{index}-1", owed, "2026-03-02 15:00:00.000000", "electronic", date(2026, 3, 2), "2026-03")
                elif style < 19:
                    self.payment(importer, f"B{index}-1", owed // 2, "2026-03-02 15:00:00.000000", "electronic", date(2026, 3, 2), "2026-03")
                else:
                    self.payment(importer, f"B{index}-1", owed, "2026-03-10 21:30:00.000000", "cheque", date(2026, 3, 11), "2026-03")
                made += 1
            cads: list[tuple[str, dict[str, int]]] = []
            while made < per_importer:
                left = per_importer - made
                roll = self.random.random()
                if roll < 0.04 and cads and left >= 3:  # correction of a March CAD, before its due date
                    txn, amounts = cads.pop(self.random.randrange(len(cads)))
                    after = {c: max(0, v - self.random.randrange(0, v // 3 + 1)) for c, v in amounts.items()}
                    made += self.change(importer, self.random.choice(days), "2026-03", "correction", txn, 2, amounts, after) or 0
                elif roll < 0.05 and cads and left >= 3:  # cancellation
                    txn, amounts = cads.pop(self.random.randrange(len(cads)))
                    made += self.change(importer, self.random.choice(days), "2026-03", "cancellation", txn, 2, amounts, {})
                elif roll < 0.06 and self.february_cads[importer] and left >= 3:  # adjustment after the due date
                    txn, version, amounts = self.february_cads[importer].pop()
                    after = {c: v + self.random.randrange(100, 20_000) for c, v in amounts.items()}
                    made += self.change(importer, date(2026, 3, 10), "2026-03", "adjustment", txn, version + 1, amounts, after)
                else:
                    count = self.cad(importer, self.random.choice(days), "2026-03", charges=min(3, left))
                    cads.append((self.postings[-1][7], {row[5]: row[6] for row in self.postings[-count:]}))
                    made += count
            assert made == per_importer, (importer, made)

    def flush(self, connection) -> None:  # noqa: ANN001
        """Write what was built (raw driver inserts) and clear the buffers."""
        def insert(sql: str, rows: list[tuple]) -> None:
            if rows:
                connection.exec_driver_sql(sql, rows)

        insert(
            "INSERT INTO declarations (id, interchange_id, message_reference, transaction_number, version, function, "
            "cad_type, importer_bn15, broker_bn9, release_date, status, findings, received_on, accepted_on, posted_at, "
            "period, due_date, source_sha256, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            self.declarations,
        )
        insert(
            "INSERT INTO line_assessments (declaration_id, line, classification, treatment, origin, vfd, customs_duty, "
            "surtax, sima, excise_duty, excise_tax, gst, vft, total) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            self.lines,
        )
        insert(
            "INSERT INTO postings (id, importer_bn15, posting_date, posted_at, kind, charge_type, amount, "
            "transaction_number, version, declaration_id, period, due_date, source, engine_version) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            self.postings,
        )
        insert(
            "INSERT INTO payments (payment_id, importer_bn15, amount, received_at, method, loaded_at, source_file) "
            "VALUES (?,?,?,?,?,?,?)",
            self.payments,
        )
        self.declarations, self.lines, self.postings, self.payments = [], [], [], []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--importers", type=int, default=5_000)
    parser.add_argument("--postings", type=int, default=1_000_000, help="postings of the period closed")
    parser.add_argument("--pdf-sample", type=int, default=0, help="PDFs to render (0: all)")
    parser.add_argument("--pdf-workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the ledger and outputs (printed path)")
    arguments = parser.parse_args()
    if arguments.postings % arguments.importers:
        parser.error("--postings must be a multiple of --importers")

    home = Path(tempfile.mkdtemp(prefix="carm-close-bench-"))
    gc.disable()  # building millions of rows: no cycles to collect (close_period pauses collection itself)
    try:
        started = time.perf_counter()
        runtime = open_runtime(Settings.from_env({"CARM_HOME": str(home)}))
        builder = LedgerBuilder(arguments.importers, arguments.seed, runtime.calendar)
        with runtime.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO importers (bn15, name, security, rpp) VALUES (?,?,?,?)",
                [(bn15, f"Importer {n:05d} Ltd", 500_000 if n % 3 else 2_000_000, 1 if n % 10 else 0)
                 for n, bn15 in enumerate(builder.importers)],
            )
            connection.exec_driver_sql(
                "INSERT INTO brokers (bn9, name) VALUES (?,?)", [(bn9, f"Broker {bn9}") for bn9 in builder.brokers]
            )
            connection.exec_driver_sql(
                "INSERT INTO interchanges (id, sender_id, control_reference, sha256, syntax, accepted_at) "
                "VALUES (1, 'BENCH', 'B1', ?, 'edifact', ?)", ("0" * 64, NOW),
            )
            builder.february(20)
            builder.flush(connection)
        print(f"setup: February ledger ({20 * arguments.importers:,} postings) in {time.perf_counter() - started:.1f} s")

        clock = time.perf_counter()
        february = close_period(runtime, "2026-02", as_of="2026-02-25", pdfs=False)
        print(f"setup: close 2026-02 ({len(february.statements):,} statements) in {time.perf_counter() - clock:.1f} s")

        clock = time.perf_counter()
        closings = {s.importer: s.closing_cents for s in february.statements}
        builder.march(arguments.postings // arguments.importers, closings)
        with runtime.engine.begin() as connection:
            builder.flush(connection)
        # The payments were inserted directly: record their applications as loading them would have.
        with runtime.engine.begin() as connection:
            record_applications(connection, builder.importers, runtime.calendar)
        with runtime.engine.connect() as connection:
            count = connection.exec_driver_sql("SELECT count(*) FROM postings WHERE period = '2026-03'").scalar_one()
            total = connection.exec_driver_sql("SELECT count(*) FROM postings").scalar_one()
        print(f"setup: March ledger, {count:,} postings in period 2026-03 ({total:,} in the ledger), "
              f"in {time.perf_counter() - clock:.1f} s")

        if arguments.keep:  # the ledger as it stands before the timed close, for profiling it again
            shutil.copyfile(home / "carm.db", home / "before-close.db")
        clock = time.perf_counter()
        march = close_period(runtime, "2026-03", as_of="2026-03-25", pdfs=False)
        seconds = time.perf_counter() - clock
        lines = len(march.book.rows)
        print(f"\nclose 2026-03 (statement data, XML and CSV statements, broker statements, security review, "
              f"reconciliation; no PDFs): {seconds:.1f} s  (target <= {TARGET_SECONDS:.0f} s: "
              f"{'met' if seconds <= TARGET_SECONDS else 'MISSED'})")
        print(f"  {len(march.statements):,} statements with {lines:,} postings; {len(march.broker_keys):,} broker "
              f"statements; interest for {len(march.interest_cents):,} importers; penalties for "
              f"{len(march.penalty_cents):,}; security review {len(march.security_review):,} rows; reconciliation: "
              f"{march.reconciliation.status}")
        for stage, spent in march.timings.items():
            print(f"    {stage:<24} {spent:6.2f} s")

        chosen = list(march.statements)
        if arguments.pdf_sample:
            chosen = chosen[: arguments.pdf_sample]
        statements = [march.book.with_lines(statement) for statement in chosen]
        sample = statements[: min(100, len(statements))]
        clock = time.perf_counter()
        for statement in sample:
            statement_pdf(statement)
        one = len(sample) / (time.perf_counter() - clock)
        clock = time.perf_counter()
        with ThreadPoolExecutor(max_workers=arguments.pdf_workers) as pool:
            list(pool.map(statement_pdf, sample))
        threads = len(sample) / (time.perf_counter() - clock)
        batch = render_pdfs(statements, arguments.pdf_workers)
        pages = sum(document.count(b"/Type /Page\n") for document in batch.documents[:50])
        print(f"\nPDFs: {len(batch.documents):,} in {batch.seconds:.1f} s = {batch.rate:.1f} PDFs/s with "
              f"{batch.workers} worker processes (one process: {one:.1f}/s; {arguments.pdf_workers} threads: "
              f"{threads:.1f}/s, on {len(sample)}); ~{pages / max(1, min(50, len(batch.documents))):.1f} pages each")
        if arguments.keep:
            print(f"kept: {home}")
        return 0 if seconds <= TARGET_SECONDS else 1
    finally:
        if not arguments.keep:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
