"""Run summaries as log lines for operations: what came in, what was accepted and rejected (by code), amounts.

The summaries are the JSON documents the use cases return (``as_json()``; shapes in spec/interfaces.md). These
functions only lay them out (amounts thousands-separated) and at most add up the document's own amounts, in
integer cents, so a line never disagrees with the document it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pipeline.money import format_cents_grouped, group_thousands, parse_amount, to_cents

#: Rejected files named one by one in a summary; the rest are counted (each batch's log names its own).
NAMED_FILES = 50


def _plural(count: int, word: str) -> str:
    if count == 1:
        return f"{count} {word}"
    return f"{count} {word}" + ("es" if word.endswith(("s", "sh", "ch", "x")) else "s")


def by_code(counts: Mapping[str, int] | None) -> str:
    """``{"B10": 2, "S08": 1}`` → ``B10 ×2, S08 ×1`` (codes in order); ``none`` when empty."""
    if not counts:
        return "none"
    return ", ".join(f"{code} ×{counts[code]}" for code in sorted(counts))


def intake_lines(summary: Mapping[str, Any], title: str) -> list[str]:
    """The lines of an intake summary (a batch or the whole run)."""
    declarations = summary.get("declarations", {})
    lines = [
        f"{title}: {_plural(int(summary.get('files', 0)), 'file')}, "
        f"{_plural(int(summary.get('interchanges', 0)), 'interchange')}, "
        f"{int(summary.get('quarantined', 0))} quarantined",
        f"{title}: declarations accepted {declarations.get('accepted', 0)}, rejected "
        f"{declarations.get('rejected', 0)}, duplicate {declarations.get('duplicate', 0)}",
        f"{title}: rejections by code: {by_code(summary.get('rejected_by_code'))}",
        f"{title}: posted {_amount(summary.get('posted_total'))} CAD",
    ]
    lines += rejected_file_lines(summary.get("rejected_files", ()), title)
    if summary.get("already_processed"):
        lines.append(f"{title}: {_plural(int(summary['already_processed']), 'file')} already processed before "
                     "(same name and content): not processed again")
    for failure in summary.get("failures", ()):
        again = "retried" if failure.get("retryable") else "NOT retried (needs operations)"
        what = "quarantined (its own fault, not retried)" if failure.get("quarantined") else f"failed, {again}"
        lines.append(f"{title}: inbox {failure.get('inbox_id')} {failure.get('key')} {what}: "
                     f"{failure.get('error')}")
    return lines


def rejected_file_lines(rejected: list[Mapping[str, Any]] | tuple, title: str) -> list[str]:
    """One line per answered file with errors, naming it and its codes (at most ``NAMED_FILES``)."""
    lines = []
    for item in rejected[:NAMED_FILES]:
        codes = by_code(item.get("codes"))
        declarations = int(item.get("declarations", 0))
        if declarations:
            lines.append(f"{title}: {item.get('key')}: {item.get('rejected', 0)} of "
                         f"{_plural(declarations, 'declaration')} rejected: {codes}")
        else:
            lines.append(f"{title}: {item.get('key')}: rejected as a whole: {codes}")
    if len(rejected) > NAMED_FILES:
        lines.append(f"{title}: … and {len(rejected) - NAMED_FILES} more files with rejections "
                     "(each batch's log names its own)")
    return lines


def failed_batches_line(batches: int, succeeded: int) -> str | None:
    """A warning line when some mapped batches failed (their files stay pending for the next run)."""
    failed = batches - succeeded
    if failed <= 0:
        return None
    return (f"{_plural(failed, 'batch')} of {batches} FAILED: their files were not counted above and stay "
            "pending; see the failed process_batch instances, fix the cause and clear them (or wait for the next run)")


def notices_lines(result: Mapping[str, Any]) -> list[str]:
    """The lines of a daily-notices run: how many, then one per importer notified."""
    on = result.get("date")
    importers = result.get("importers", [])
    if not importers:
        return [f"daily notices for {on}: none (no postings that day)"]
    lines = [f"daily notices for {on}: {_plural(len(importers), 'importer')} notified, "
             f"{_plural(int(result.get('postings', 0)), 'posting')}"]
    lines += [f"daily notice {n.get('key')}: {_plural(int(n.get('postings', 0)), 'posting')}, total "
              f"{_amount(n.get('total'))} CAD" for n in importers]
    return lines


def close_lines(result: Mapping[str, Any], outputs: Mapping[str, Any] | None = None) -> list[str]:
    """The lines of a close: the period, its totals, its statements, review and reconciliation, and where each
    output was written. ``outputs`` (``close_outputs``): what the close wrote, which its JSON document omits."""
    period = result.get("period")
    statements = result.get("statements", [])
    review = result.get("security_review", [])
    differences = (result.get("reconciliation") or {}).get("differences", [])
    out = outputs or {}
    where = str(out.get("outbound", "")).rstrip("/")
    closing = [to_cents(parse_amount(s.get("closing_balance", "0.00"))) for s in statements]
    lines = [
        f"period {period} ({result.get('start')} to {result.get('end')}): "
        f"{_plural(len(statements), 'statement')} dated {result.get('statement_date')}, due {result.get('due_date')}"
        + (" (closed before: outputs issued again, unchanged)" if out.get("already_closed") else ""),
        f"period {period}: total due {format_cents_grouped(sum(c for c in closing if c > 0))} CAD, credit balances "
        f"{format_cents_grouped(-sum(c for c in closing if c < 0))} CAD; charges "
        f"{_total(statements, 'charges')} CAD, payments {_total(statements, 'payments')} CAD, interest "
        f"{_total(statements, 'interest')} CAD, penalties {_total(statements, 'penalties')} CAD",
        f"period {period}: security review lists {_plural(len(review), 'importer')} short of security, shortfall "
        f"{format_cents_grouped(sum(to_cents(parse_amount(r.get('shortfall', '0.00'))) for r in review))} CAD",
        f"period {period}: reconciliation "
        + ("balances, no differences" if not differences else f"has {_plural(len(differences), 'difference')}"),
    ]
    if where:
        lines += [
            f"period {period}: importer statements: {where}/importers/<BN15>/statements/{period}.xml | .csv | .pdf "
            f"({_plural(int(out.get('statement_files', 0)), 'file')})",
            f"period {period}: broker statements: {where}/brokers/<BN9>/statements/{period}.xml "
            f"({_plural(int(out.get('broker_files', 0)), 'file')})",
        ]
        lines += [f"period {period}: {_FINANCE_FILES.get(key.rsplit('/', 1)[-1], 'finance file')}: {where}/{key}"
                  for key in out.get("finance_keys", ())]
    return lines


_FINANCE_FILES = {"reconciliation.csv": "reconciliation (CSV)", "reconciliation.html": "reconciliation (page)",
                  "security-review.csv": "security review"}


def close_outputs(summary: Any) -> dict[str, Any]:
    """What a close wrote, as plain data for ``close_lines`` (a ``billing.CloseSummary``, read, not imported:
    parsing the DAG files must not import billing)."""
    return {"outbound": summary.outbound_url, "already_closed": summary.already_closed,
            "statement_files": len(summary.statement_keys), "broker_files": len(summary.broker_keys),
            "finance_keys": list(summary.finance_keys)}


def _total(statements: list[Mapping[str, Any]], section: str) -> str:
    """The sum of one section over the statements (``charges``: every charge type), thousands separated."""
    cents = 0
    for statement in statements:
        value = statement.get(section, "0.00")
        amounts = value.values() if isinstance(value, Mapping) else [value]
        cents += sum(to_cents(parse_amount(amount)) for amount in amounts)
    return format_cents_grouped(cents)


def payments_lines(result: Mapping[str, Any]) -> list[str]:
    """The lines of a payments run: per file what was loaded, applied and carried as credit, and each problem."""
    files = result.get("files", [])
    lines = [f"payments: {_plural(len(files), 'new file')}, {_plural(int(result.get('loaded', 0)), 'payment')} "
             f"loaded, {_plural(int(result.get('problems', 0)), 'problem')}; "
             f"{_plural(len(result.get('skipped', [])), 'file')} skipped (loaded before, or not *.csv)"]
    for item in files:
        lines.append(
            f"payments file {item.get('file')}: {_plural(int(item.get('rows', 0)), 'row')}, "
            f"{item.get('loaded', 0)} loaded for "
            f"{_amount(item.get('amount'))} CAD (applied {_amount(item.get('applied'))}, credit "
            f"{_amount(item.get('credit'))}), {item.get('already_loaded', 0)} already loaded, "
            f"{item.get('rejected', 0)} rejected"
        )
        for problem in item.get("problems", []):
            lines.append(f"payments file {problem.get('file')}, row {problem.get('row')}, column "
                         f"{problem.get('column')}: {problem.get('message')}")
    return lines


def discovery_line(inbound: str, new: int, quarantined: int, pending: int, batches: int, size: int,
                   as_of: str) -> str:
    """What discovery found in the inbound bucket, and how the work was cut; ``as_of``: ``as_of_label``."""
    return (f"inbound {inbound}: {_plural(new, 'new file')} listed, {quarantined} quarantined (outside a "
            f"registered sender's folder), {_plural(pending, 'file')} pending in {_plural(batches, 'batch')} of at "
            f"most {size} (as of {as_of})")


def as_of_label(requested: str | None, configured: datetime | None) -> str:
    """The business moment a run acts at, and where it comes from: the run configuration's ``as_of``, else
    ``CARM_AS_OF`` (``Settings.as_of``), else now."""
    if requested:
        return f"{requested} (run configuration)"
    if configured is not None:
        return f"{configured:%Y-%m-%dT%H:%M} (CARM_AS_OF)"
    return "now"


def _amount(text: str | None) -> str:
    """A two-decimal amount of a summary document, thousands separated."""
    return group_thousands(text or "0.00")
