"""Run summaries as log lines for operations: what came in, what was accepted and rejected (by code), amounts.

The summaries are the JSON documents the use cases return (``as_json()``; shapes in spec/interfaces.md). These
functions only lay them out; they compute nothing, so a line never disagrees with the document it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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
        f"{title}: posted {summary.get('posted_total', '0.00')} CAD",
    ]
    if summary.get("already_processed"):
        lines.append(f"{title}: {_plural(int(summary['already_processed']), 'file')} already processed before "
                     "(same name and content): not processed again")
    for failure in summary.get("failures", ()):
        again = "retried" if failure.get("retryable") else "NOT retried (needs operations)"
        what = "quarantined (its own fault, not retried)" if failure.get("quarantined") else f"failed, {again}"
        lines.append(f"{title}: inbox {failure.get('inbox_id')} {failure.get('key')} {what}: "
                     f"{failure.get('error')}")
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
              f"{n.get('total')} CAD" for n in importers]
    return lines


def close_lines(result: Mapping[str, Any]) -> list[str]:
    statements = result.get("statements", [])
    review = result.get("security_review", [])
    differences = (result.get("reconciliation") or {}).get("differences", [])
    return [
        f"period {result.get('period')} ({result.get('start')} to {result.get('end')}): "
        f"{_plural(len(statements), 'statement')} dated {result.get('statement_date')}, due {result.get('due_date')}",
        f"period {result.get('period')}: security review lists {_plural(len(review), 'importer')} short of security",
        f"period {result.get('period')}: reconciliation "
        + ("balances, no differences" if not differences else f"has {_plural(len(differences), 'difference')}"),
    ]


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
            f"{item.get('amount', '0.00')} CAD (applied {item.get('applied', '0.00')}, credit "
            f"{item.get('credit', '0.00')}), {item.get('already_loaded', 0)} already loaded, "
            f"{item.get('rejected', 0)} rejected"
        )
        for problem in item.get("problems", []):
            lines.append(f"payments file {problem.get('file')}, row {problem.get('row')}, column "
                         f"{problem.get('column')}: {problem.get('message')}")
    return lines


def discovery_line(inbound: str, new: int, quarantined: int, pending: int, batches: int, size: int,
                   as_of: str | None) -> str:
    """What discovery found in the inbound bucket, and how the work was cut."""
    return (f"inbound {inbound}: {_plural(new, 'new file')} listed, {quarantined} quarantined (outside a "
            f"registered sender's folder), {_plural(pending, 'file')} pending in {_plural(batches, 'batch')} of at "
            f"most {size} (as of {as_of or 'now'})")
