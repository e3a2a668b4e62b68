"""Run summaries as log lines for operations: what came in, what was accepted and rejected (by code), amounts.

The summaries are the JSON documents the use cases return (``as_json()``; shapes in spec/interfaces.md). These
functions only lay them out; they compute nothing, so a line never disagrees with the document it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


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
    return lines


def failed_batches_line(batches: int, succeeded: int) -> str | None:
    """A warning line when some mapped batches failed (their files stay pending for the next run)."""
    failed = batches - succeeded
    if failed <= 0:
        return None
    return (f"{_plural(failed, 'batch')} of {batches} FAILED: their files were not counted above and stay "
            "pending; see the failed 'process' instances, fix the cause and clear them (or wait for the next run)")


def notices_lines(result: Mapping[str, Any], on: str) -> list[str]:
    notices = result.get("notices", result.get("importers", []))
    count = len(notices) if isinstance(notices, list) else int(notices or 0)
    if count == 0:
        return [f"daily notices for {on}: none (no postings that day)"]
    return [f"daily notices for {on}: {_plural(count, 'importer')} notified"]


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
