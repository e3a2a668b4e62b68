"""Intake summaries through XCom: each mapped batch pushes plain data, the summary task adds them up.

A batch pushes ``IntakeSummary.counts()`` (the ``carm intake --json`` document plus rejections by code, files
already processed and failures) and its failures, so that nothing the run log and the logs need is lost on
the way; the summary task turns them back into ``IntakeSummary`` and adds them with ``IntakeSummary.merge``,
the one place where intake counts are added.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from pipeline.errors import TransientError
from pipeline.intake.summary import FileFailure, IntakeSummary, RejectedFile
from pipeline.money import to_cents


def to_xcom(summary: IntakeSummary) -> dict[str, Any]:
    return {
        **summary.counts(),
        "failures": [
            {"inbox_id": f.inbox_id, "key": f.key, "error": f.error, "retryable": f.retryable,
             "quarantined": f.quarantined}
            for f in summary.failures
        ],
        "rejected_files": [
            {"key": r.key, "codes": dict(r.codes), "rejected": r.rejected, "declarations": r.declarations}
            for r in summary.rejected_files
        ],
    }


def from_xcom(data: Mapping[str, Any]) -> IntakeSummary:
    declarations = data.get("declarations", {})
    return IntakeSummary(
        files=int(data.get("files", 0)),
        interchanges=int(data.get("interchanges", 0)),
        accepted=int(declarations.get("accepted", 0)),
        rejected=int(declarations.get("rejected", 0)),
        duplicate=int(declarations.get("duplicate", 0)),
        quarantined=int(data.get("quarantined", 0)),
        already_processed=int(data.get("already_processed", 0)),
        posted_cents=to_cents(Decimal(str(data.get("posted_total", "0.00")))),
        seconds=float(data.get("seconds", 0.0)),
        rejected_by_code=MappingProxyType({str(k): int(v) for k, v in (data.get("rejected_by_code") or {}).items()}),
        failures=tuple(
            FileFailure(int(f["inbox_id"]), str(f["key"]), str(f["error"]), bool(f["retryable"]),
                        bool(f.get("quarantined", False)))
            for f in data.get("failures", ())
        ),
        rejected_files=tuple(
            RejectedFile(str(r["key"]), {str(k): int(v) for k, v in r["codes"].items()}, int(r["rejected"]),
                         int(r["declarations"]))
            for r in data.get("rejected_files", ())
        ),
    )


def combine(batches: Iterable[Mapping[str, Any]], *, quarantined_at_discovery: int = 0) -> IntakeSummary:
    """The run's summary: every batch's, plus the files discovery quarantined."""
    total = IntakeSummary(quarantined=quarantined_at_discovery)
    for data in batches:
        total = total.merge(from_xcom(data))
    return total


def retry_if_files_failed(summary: IntakeSummary, label: str) -> None:
    """Raise ``TransientError`` (so Airflow retries the batch with backoff) when some of its files hit a fault
    that may pass: the files that got through are done for good, and the retry takes up only the others. Files
    that failed for good (e.g. vanished from the bucket) are reported, not retried."""
    retryable = [failure for failure in summary.failures if failure.retryable]
    if retryable:
        names = ", ".join(failure.key for failure in retryable[:5]) + (" …" if len(retryable) > 5 else "")
        raise TransientError(f"{label}: {len(retryable)} file(s) hit a store or database fault ({names})")
