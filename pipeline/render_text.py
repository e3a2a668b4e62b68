"""Human summaries printed by the CLI (the JSON documents are in ``pipeline.report``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from pipeline.report import errors_by_code
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
        file_error_count = len(entry["errors"])
        for d in declarations:
            own = d["errors"][file_error_count:]
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
    """The closing summary of ``carm demo``: what happened, amounts by charge type, and where to look."""
    declarations = report["declarations"]
    console.print(f"\n[bold]Billing period {report['period']}[/] — demo data in {report['home']}")
    console.print(
        f"Files received: {report['files']} (quarantined: {report['quarantined']}); declarations accepted "
        f"{declarations.get('accepted', 0)}, rejected {declarations.get('rejected', 0)}, "
        f"duplicate {declarations.get('duplicate', 0)}"
    )
    if report["rejected_by_code"]:
        console.print("Rejections by code: " + ", ".join(f"{c} ×{n}" for c, n in report["rejected_by_code"].items()))
    table = Table(title="Amounts posted in the period, by charge type (CAD)")
    table.add_column("charge type")
    table.add_column("amount", justify="right")
    for charge, amount in report["charges"].items():
        if charge not in ("payment", "interest", "penalty"):
            table.add_row(charge.replace("_", " "), amount)
    console.print(table)
    close = report["close_period"]
    statements = close.get("statements", [])
    payments = report["payments"]
    console.print(f"Daily notices issued: {report['daily_notices']}.")
    console.print(
        f"Payments: {payments.get('loaded', 0)} loaded from {payments.get('file')} ({payments.get('amount')}), "
        f"applied {payments.get('applied')}, credit carried forward {payments.get('credit')}."
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
