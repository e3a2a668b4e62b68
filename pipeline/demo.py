"""``carm demo``: one whole billing period, on embedded defaults, through the same package functions as the CLI
and the DAGs.

It works in its own folder (``$CARM_HOME/demo``, emptied first) with the embedded defaults only — local buckets and
a SQLite ledger there — so it can never touch a configured production store. The story: register the service
providers and importers of a generated world; drop each business day's submissions (EDIFACT and XML, a few
faulty) into the inbound bucket and run intake for that day; issue that day's daily notices; load a payments
file; close the period; and report where every output is.
"""

from __future__ import annotations

import csv
import io
import os
import shlex
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.billing import period_bounds
from pipeline.config import EASTERN, Settings
from pipeline.money import format_cents, to_cents

DEMO_PERIOD = "2025-06"  # inside the shipped Bank of Canada data (2024-2025)
DEMO_SEED = 2025


@dataclass
class DemoReport:
    """What the demo did and where it put things (built up as the story runs)."""

    home: Path
    period: str
    files: int = 0
    declarations: Counter[str] = field(default_factory=Counter)  # accepted / rejected / duplicate
    rejected_by_code: Counter[str] = field(default_factory=Counter)
    quarantined: int = 0
    generated: int = 0  # CADs written into the submitted files
    notices: int = 0
    payments: dict[str, Any] = field(default_factory=dict)
    charges: dict[str, int] = field(default_factory=dict)  # charge type -> cents on the period's statements
    other_periods: dict[str, int] = field(default_factory=dict)  # period -> cents of CADs of another period
    close: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    explore: list[str] = field(default_factory=list)  # commands to run on the demo's own home

    def as_json(self) -> dict[str, Any]:
        return {
            "home": str(self.home),
            "period": self.period,
            "files": self.files,
            "generated": self.generated,
            "declarations": dict(self.declarations),
            "rejected_by_code": dict(sorted(self.rejected_by_code.items())),
            "quarantined": self.quarantined,
            "daily_notices": self.notices,
            "payments": self.payments,
            "charges": {name: format_cents(cents) for name, cents in self.charges.items()},
            "other_periods": {name: format_cents(cents) for name, cents in self.other_periods.items()},
            "close_period": self.close,
            "outputs": self.outputs,
            "explore": self.explore,
        }


def demo_settings(home: Path) -> Settings:
    """Embedded defaults only, rooted at the demo's own folder."""
    return Settings.from_env({"CARM_HOME": str(home)})


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=EASTERN)


def run_demo(
    carm_home: Path, *, period: str = DEMO_PERIOD, cads: int = 400, seed: int = DEMO_SEED,
    progress: Callable[[str], None] = lambda message: None,
) -> DemoReport:
    from pipeline.billing import close_period, issue_daily_notices, load_payments
    from pipeline.generate import generate_submissions
    from pipeline.intake import run_intake
    from pipeline.ledger import save_registry
    from pipeline.runtime import open_runtime

    home = (carm_home / "demo").resolve()
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    runtime = open_runtime(demo_settings(home))
    report = DemoReport(home=home, period=period)

    start, end = period_bounds(period)
    days = [d for d in _days(start, end) if runtime.calendar.is_business_day(d)]
    progress(f"generating {cads} CADs over {len(days)} business days of period {period}")
    batch = generate_submissions(
        cads=cads, seed=seed, reference=runtime.reference, start=days[0], days=len(days), format="mixed",
        invalid_rate=0.03, providers=3, cads_per_file=8,
    )
    report.generated = sum(len(generated.declaration_codes) for generated in batch.files)
    with Session(runtime.engine) as session, session.begin():
        save_registry(session, batch.registry)

    by_day: dict[date, list] = {}
    for generated in batch.files:
        by_day.setdefault(generated.business_date, []).append(generated)
    payments_day = sorted(by_day)[len(by_day) // 2]  # mid-period: a bank file pays what was owed that day
    for day in sorted(by_day):
        for generated in by_day[day]:
            runtime.buckets.inbound.write(generated.path, generated.data)
        summary = run_intake(runtime, as_of=_at(day, 17))
        report.files += summary.files
        report.declarations.update(accepted=summary.accepted, rejected=summary.rejected, duplicate=summary.duplicate)
        report.rejected_by_code.update(summary.rejected_by_code)
        report.quarantined += summary.quarantined
        report.notices += issue_daily_notices(runtime, day).as_json().get("notices", 0)
        progress(f"{day}: {summary.files} files, {summary.accepted} CADs accepted, {summary.rejected} rejected")
        if day == payments_day:
            payments_csv = _payments_file(runtime, day)
            payments_key = f"payments/{day.isoformat()}-payments.csv"
            runtime.buckets.inbound.write(payments_key, payments_csv)
            report.payments = load_payments(runtime, payments_csv, payments_key, as_of=_at(day, 18)).as_json()
            progress(f"payments loaded from {payments_key}")

    closed = close_period(runtime, period, as_of=_at(end + timedelta(days=1), 6))
    report.close = closed.as_json()
    # The figures of the statements and of the reconciliation page, which are the same by construction.
    report.charges = dict(closed.reconciliation.by_charge_type)
    report.other_periods = {name: cents for name, cents in _charges_by_period(runtime).items() if name != period}
    progress(f"period {period} closed")

    outbound = runtime.settings.outbound_url
    report.outputs = {
        "answers to service providers": f"{outbound}/<sender>/responses/",
        "daily notices": f"{outbound}/importers/<BN15>/daily-notices/",
        "statements of account": f"{outbound}/importers/<BN15>/statements/{period}.xml|.csv|.pdf",
        "broker statements": f"{outbound}/brokers/<BN9>/statements/{period}.xml",
        "reconciliation": f"{outbound}/finance/{period}/reconciliation.csv|.html",
        "archive": runtime.settings.archive_url,
        "ledger": runtime.settings.db_url,
    }
    report.explore = _commands_to_explore(home, period, report.close, days[len(days) // 2])
    return report


def _commands_to_explore(home: Path, period: str, close: dict[str, Any], day: date) -> list[str]:
    """Commands that work as printed: the demo's home is not the default ``./var``, so each names it."""
    shown = os.path.relpath(home) if home.is_relative_to(Path.cwd()) else str(home)
    prefix = f"CARM_HOME={shlex.quote(shown)} carm"
    importers = [entry["importer"] for entry in close.get("statements", [])]
    commands = [f"{prefix} registry list"]
    if importers:
        commands += [
            f"{prefix} account {importers[0]}",
            f"{prefix} account {importers[0]} --from {day.isoformat()} --json",
        ]
    commands += [
        f"{prefix} replay --date {day.isoformat()} --reanswer",
        f"{prefix} close-period --period {period}   # closed already: issues the same outputs again, unchanged",
        f"open {shlex.quote(str(Path(shown) / 'buckets/outbound/finance' / period / 'reconciliation.html'))}",
    ]
    return commands


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _payments_file(runtime, day: date) -> bytes:  # noqa: ANN001
    """A payments CSV of the kind a bank sends: most importers pay what they owed that day, one only half, one by
    cheque after the 16:00 cut-off; amounts from the ledger."""
    from pipeline.ledger import Posting

    with Session(runtime.engine) as session:
        balances = session.execute(
            select(Posting.importer_bn15, func.sum(Posting.amount)).group_by(Posting.importer_bn15)
            .order_by(Posting.importer_bn15)
        ).all()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["payment_id", "importer", "amount", "received_at", "method"])
    for number, (importer, balance) in enumerate(balances, start=1):
        cents = to_cents(balance)
        if cents <= 0:
            continue
        method, moment = "electronic", _at(day, 11)
        if number % 5 == 0:
            cents //= 2  # a partial payment: the rest stays owing
        if number % 7 == 0:
            method, moment = "cheque", _at(day, 16).replace(minute=30)  # after the cheque cut-off: next business day
        writer.writerow([f"DEMO-{day:%Y%m%d}-{number:04d}", importer, format_cents(cents), moment.isoformat(), method])
    return out.getvalue().encode("utf-8")


def _charges_by_period(runtime) -> dict[str, int]:  # noqa: ANN001
    """Cents of duties and taxes (CADs, not payments, interest or penalties) by the billing period they belong to."""
    from pipeline.ledger import Posting, PostingKind

    cads = (PostingKind.ASSESSMENT, PostingKind.CORRECTION, PostingKind.ADJUSTMENT, PostingKind.CANCELLATION)
    with Session(runtime.engine) as session:
        rows = session.execute(
            select(Posting.period, func.sum(Posting.amount)).where(Posting.kind.in_(cads))
            .group_by(Posting.period).order_by(Posting.period)
        ).all()
    return {period: to_cents(amount) for period, amount in rows}
