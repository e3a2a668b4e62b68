"""Human summaries printed by the CLI (the JSON documents are in ``pipeline.report``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from pipeline.money import format_cents, group_thousands, parse_amount, to_cents
from pipeline.report import errors_by_code, own_errors
from pipeline.validate import ValidationContext


def print_validation(console: Console, document: Mapping[str, Any], context: ValidationContext) -> None:
    for entry in document["files"]:
        declarations = [d for d in document["declarations"] if d["file"] == entry["file"]]
        accepted = sum(d["status"] == "accepted" for d in declarations)
        mark = "[green]OK[/]" if entry["status"] == "accepted" and accepted == len(declarations) else "[red]REJECTED[/]"
        if entry["status"] == "accepted" and 0 < accepted < len(declarations):
            mark = "[yellow]PARTLY REJECTED[/]"
        console.print(
            f"{mark} {entry['file']} ({entry['syntax'] or 'unreadable'}): "
            f"{accepted} of {len(declarations)} declaration(s) pass"
        )
        for error in entry["errors"]:
            console.print(f"    {error['code']} {error['location']}: {error['message']}")
        for d in declarations:
            own = own_errors(d)
            if not own and not d["warnings"]:
                continue
            console.print(f"  transaction {d['transaction_number']} version {d['version']}:")
            for error in own:
                console.print(f"    {error['code']} {error['location']}: {error['message']}")
            for warning in d["warnings"]:
                console.print(f"    {warning['code']} (warning) {warning['location']}: {warning['message']}")
    skipped = []
    if context.registry is None:
        skipped.append("A01/A02/B02 (no --registry)")
    if context.sender_folder is None:
        skipped.append("A03 (no --sender)")
    if context.history is None:
        skipped.append("B04/B05/B23 (need the ledger: checked at intake)")
    counts = errors_by_code(document)
    if counts:
        table = Table(title="Errors by code")
        table.add_column("code")
        table.add_column("count", justify="right")
        for code, count in sorted(counts.items()):
            table.add_row(code, str(count))
        console.print(table)
    if skipped:
        console.print("[dim]Not checked: " + "; ".join(skipped) + "[/]")


def print_demo(console: Console, report: Mapping[str, Any]) -> None:
    """The closing summary of ``carm demo``: what happened, the statements' amounts, where to look, and the
    commands that explore the demo's own home (it is not the default one)."""
    declarations = report["declarations"]
    period = report["period"]
    console.print(f"\n[bold]Billing period {period}[/] — demo data in {report['home']}")
    read = sum(declarations.get(status, 0) for status in ("accepted", "rejected", "duplicate"))
    unread = report["generated"] - read
    file_level = sorted(code for code in report["rejected_by_code"] if code.startswith("S"))
    console.print(
        f"Files received: {report['files']} (quarantined: {report['quarantined']}), holding {report['generated']} "
        f"CADs: {declarations.get('accepted', 0)} accepted, {declarations.get('rejected', 0)} rejected, "
        f"{declarations.get('duplicate', 0)} duplicate"
        + (f", and {unread} in files rejected whole before any CAD could be read ({', '.join(file_level)})"
           if unread else "")
    )
    if report["rejected_by_code"]:
        console.print("Rejections by code: " + ", ".join(f"{c} ×{n}" for c, n in report["rejected_by_code"].items()))
    table = Table(title=f"Duties and taxes on the {period} statements, by charge type (CAD)")
    table.add_column("charge type")
    table.add_column("amount", justify="right")
    for charge, amount in report["charges"].items():
        table.add_row(charge.replace("_", " "), group_thousands(amount))
    table.add_row("[bold]total[/]", "[bold]" + group_thousands(_sum_amounts(report["charges"].values())) + "[/]")
    console.print(table)
    earlier = {name: amount for name, amount in report["other_periods"].items() if name < period}
    later = {name: amount for name, amount in report["other_periods"].items() if name > period}
    if earlier:
        console.print(
            "The statements (and the reconciliation page) include CADs of earlier, never-closed periods: "
            + ", ".join(f"{group_thousands(amount)} of {name}" for name, amount in earlier.items())
            + " (released before the period began, accounted in it)."
        )
    if later:
        console.print(
            "Not on these statements: "
            + ", ".join(f"{group_thousands(amount)} of {name}" for name, amount in later.items())
            + " (released after the period's 17th, or courier CADs of the month: they go on the next statements)."
        )
    close = report["close_period"]
    statements = close.get("statements", [])
    payments = report["payments"]
    console.print(f"Daily notices issued: {report['daily_notices']}.")
    console.print(
        f"Payments: {payments.get('loaded', 0)} loaded from {payments.get('file')} "
        f"({group_thousands(payments.get('amount') or '0')}), applied {group_thousands(payments.get('applied') or '0')}, "
        f"credit carried forward {group_thousands(payments.get('credit') or '0')}."
    )
    console.print(
        f"Statements of account: {len(statements)} (XML, CSV and PDF), dated {close.get('statement_date')}, "
        f"due {close.get('due_date')}."
    )
    differences = close.get("reconciliation", {}).get("differences", [])
    console.print("Reconciliation: " + ("no differences." if not differences else f"{len(differences)} difference(s)."))
    console.print(f"Security review: {len(close.get('security_review', []))} importer(s) below the required security.")
    console.print("\n[bold]Where to look[/]")
    for what, where in report["outputs"].items():
        console.print(f"  {what}: {where}")
    console.print("\n[bold]Explore it[/] (the demo has its own home: set CARM_HOME as shown, or the commands look in ./var)")
    for command in report["explore"]:
        console.print(f"  {command}", soft_wrap=True)


def _sum_amounts(amounts: Any) -> str:
    return format_cents(sum(to_cents(parse_amount(amount)) for amount in amounts))
