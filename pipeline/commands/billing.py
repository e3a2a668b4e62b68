"""``carm notices``, ``carm payments`` and ``carm close-period``: the billing use cases from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.commands.common import AsOfOption, JsonOption, date_option, print_json, read_inputs, run, stdout
from pipeline.config import DEFAULT_INTEREST_WAIVER_UNTIL


def register(app: typer.Typer) -> None:
    app.command("notices")(notices)
    app.command("payments")(payments)
    app.command("close-period")(close_period)


def _runtime():  # noqa: ANN202
    from pipeline.runtime import open_runtime

    return open_runtime()


def notices(
    on: Annotated[str, typer.Option("--date", help="The posting date whose notices to issue: YYYY-MM-DD.")],
    json_output: JsonOption = False,
) -> None:
    """Daily notices: one XML per importer with postings on that date (none without activity)."""

    def body() -> int:
        from pipeline.billing import issue_daily_notices

        day = date_option(on, "--date")
        runtime = _runtime()
        summary = issue_daily_notices(runtime, day)
        if json_output:
            print_json(summary.as_json())
            return 0
        console = stdout()
        if not summary.notices:
            console.print(f"No postings on {day.isoformat()}: no daily notice issued.")
            return 0
        console.print(
            f"{len(summary.notices)} daily notice(s) for {day.isoformat()} "
            f"({sum(n.postings for n in summary.notices)} postings) in {runtime.buckets.outbound.url}:"
        )
        for notice in summary.notices:
            console.print(f"  {notice.key}  {notice.postings} posting(s)")
        return 0

    run(body)


def payments(
    file: Annotated[Path, typer.Argument(help="Payments CSV: payment_id, importer, amount, received_at, method.")],
    json_output: JsonOption = False,
    as_of: AsOfOption = None,
) -> None:
    """Load a payments file: each payment once, applied to the oldest debts first, credits carried forward."""

    def body() -> int:
        from pipeline.billing import load_payments
        from pipeline.money import format_cents_grouped

        ((name, data),) = read_inputs([file])
        runtime = _runtime()
        summary = load_payments(runtime, data, name, as_of=as_of)
        if json_output:
            print_json(summary.as_json())
        else:
            console = stdout()
            console.print(
                f"{name}: {summary.rows} row(s); {len(summary.loaded)} payment(s) loaded "
                f"({format_cents_grouped(summary.loaded_cents)}: {format_cents_grouped(summary.applied_cents)} applied to debts, "
                f"{format_cents_grouped(summary.credit_cents)} carried forward as credit); "
                f"{len(summary.already_loaded)} already loaded; {len({p.row for p in summary.problems})} rejected."
            )
            for payment in summary.loaded:
                console.print(
                    f"  {payment.payment_id}  {payment.importer}  {format_cents_grouped(payment.amount_cents)}  "
                    f"counts on {summary.effective[payment.payment_id].isoformat()}"
                )
            for problem in summary.problems:
                console.print(f"  [red]rejected[/] {problem}")
            console.print(f"  archived as {summary.archive_key} in {runtime.buckets.archive.url}")
        return 1 if summary.problems else 0

    run(body)


def close_period(
    period: Annotated[
        str | None,
        typer.Option("--period", help="The billing period to close, YYYY-MM. Default: the last one that has ended."),
    ] = None,
    json_output: JsonOption = False,
    as_of: AsOfOption = None,
    waiver_until: Annotated[
        str | None,
        typer.Option(
            "--waiver-until",
            help="First day arrears interest and late-payment penalties accrue (CARM transition). "
            f"Default: CARM_INTEREST_WAIVER_UNTIL, else {DEFAULT_INTEREST_WAIVER_UNTIL.isoformat()}.",
        ),
    ] = None,
    pdf_workers: Annotated[int, typer.Option("--pdf-workers", min=1, help="Processes rendering the PDFs.")] = 2,
) -> None:
    """Close a billing period: interest and penalties, statements (importer and broker), security review,
    reconciliation. Closing a closed period again changes nothing."""

    def body() -> int:
        from pipeline.billing import close_period as close
        from pipeline.billing.calendar import last_ended_period

        # None (no option, or an empty one as before): the runtime's CARM_INTEREST_WAIVER_UNTIL, as in the DAG.
        waiver = date_option(waiver_until, "--waiver-until") if waiver_until else None
        runtime = _runtime()
        chosen = period or last_ended_period(runtime.business_moment(as_of).date())
        if period is None and not json_output:
            stdout().print(f"Closing period {chosen}, the last one that has ended (choose another with --period).")
        summary = close(runtime, chosen, as_of=as_of, waiver_until=waiver, pdf_workers=pdf_workers)
        if json_output:
            print_json(summary.as_json())
        else:
            _print_close(summary)
        return 0

    run(body)


def _print_close(summary) -> None:  # noqa: ANN001
    from pipeline.money import format_cents_grouped

    console = stdout()
    window = summary.window
    where = summary.outbound_url.rstrip("/")
    if summary.already_closed:
        console.print(f"Period {window.period} was already closed: its outputs were issued again, unchanged.")
    console.print(
        f"Billing period {window.period} ({window.start.isoformat()} to {window.end.isoformat()}): statements dated "
        f"{window.statement_date.isoformat()}, payment due {window.due_date.isoformat()}."
    )
    total_due = sum(s.amount_due_cents for s in summary.statements)
    console.print(
        f"  {len(summary.statements)} importer statement(s), {format_cents_grouped(total_due)} due: "
        f"{where}/importers/<BN15>/statements/{window.period}.xml | .csv | .pdf"
    )
    console.print(f"  {len(summary.broker_keys)} broker statement(s): {where}/brokers/<BN9>/statements/{window.period}.xml")
    console.print(
        f"  interest posted for {len(summary.interest_cents)} importer(s), {format_cents_grouped(sum(summary.interest_cents.values()))}; "
        f"late-payment penalties {len(summary.penalty_cents)}, {format_cents_grouped(sum(summary.penalty_cents.values()))}"
    )
    console.print(
        f"  RPP security review: {len(summary.security_review)} importer(s) short of the required security: "
        f"{where}/finance/{window.period}/security-review.csv"
    )
    console.print(
        f"  reconciliation: {summary.reconciliation.status} {where}/finance/{window.period}/reconciliation.csv | .html"
    )
    for difference in summary.reconciliation.differences[:20]:
        console.print(f"    [red]{difference.importer} {difference.check}[/]: {difference.message}")
    if summary.pdf_count:
        console.print(
            f"  PDFs: {summary.pdf_count} in {summary.pdf_seconds:.1f} s ({summary.pdf_rate:.1f} per second, "
            f"{summary.pdf_workers} worker process(es))"
        )
