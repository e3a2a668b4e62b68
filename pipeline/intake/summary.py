"""What an intake or replay run did, for the CLI, the DAG logs and the run log (``runs`` table).

``IntakeSummary.as_json()`` is exactly the ``carm intake --json`` document of spec/interfaces.md; the other
fields (rejections by code, files already processed, failures) are for the human summary and the logs.
Summaries of mapped batches add up with ``merge``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline.money import format_cents


@dataclass(frozen=True, slots=True)
class FileFailure:
    """A file the run could not answer. ``quarantined``: for a reason of its own (our code failed on its
    content or its name, or the database could not hold one of its values), it was set aside for good under
    ``quarantine/`` with ``error`` as its reason. Otherwise it stays in the inbox (state ``failed``) and is
    retried by a later run while ``retryable`` (an outage)."""

    inbox_id: int
    key: str
    error: str
    retryable: bool
    quarantined: bool = False

    @property
    def state(self) -> str:
        return "quarantined" if self.quarantined else "retried" if self.retryable else "failed"


@dataclass(frozen=True, slots=True)
class RejectedFile:
    """An answered file with errors, for the logs: rejected as a whole (``declarations`` 0: file-level errors,
    no declaration read), or ``rejected`` of its ``declarations``; ``codes``: its error codes with counts."""

    key: str
    codes: Mapping[str, int]
    rejected: int = 0
    declarations: int = 0


@dataclass(frozen=True, slots=True)
class IntakeSummary:
    files: int = 0  # inbound files answered by this run
    interchanges: int = 0  # files read as an interchange and judged
    accepted: int = 0
    rejected: int = 0
    duplicate: int = 0  # declarations answered DU
    quarantined: int = 0
    already_processed: int = 0  # files dropped again under the same name and content: not processed again
    posted_cents: int = 0  # sum of every posting this run made (debits positive, credits negative)
    seconds: float = 0.0
    rejected_by_code: Mapping[str, int] = field(default_factory=dict)  # a plain dict: summaries cross processes
    failures: tuple[FileFailure, ...] = ()
    answers: tuple[str, ...] = ()  # keys written in the outbound bucket
    rejected_files: tuple[RejectedFile, ...] = ()  # answered files with errors, named in the logs

    @property
    def posted_total(self) -> str:
        return format_cents(self.posted_cents)

    @property
    def failed(self) -> int:
        return len(self.failures)

    def as_json(self) -> dict[str, Any]:
        """The ``carm intake --json`` document (spec/interfaces.md)."""
        return {
            "files": self.files,
            "interchanges": self.interchanges,
            "declarations": {"accepted": self.accepted, "rejected": self.rejected, "duplicate": self.duplicate},
            "quarantined": self.quarantined,
            "posted_total": self.posted_total,
            "seconds": round(self.seconds, 3),
        }

    def not_answered(self) -> list[dict[str, str]]:
        """Files this run could not answer, with what became of them and why (``carm intake --json`` adds it
        as ``not_answered`` when there is any)."""
        return [{"file": f.key, "state": f.state, "reason": f.error} for f in self.failures]

    def counts(self) -> dict[str, Any]:
        """Everything, as plain data: the run log's ``counts``."""
        return {
            **self.as_json(),
            "already_processed": self.already_processed,
            "failed": self.failed,
            "rejected_by_code": dict(sorted(self.rejected_by_code.items())),
        }

    def merge(self, other: IntakeSummary) -> IntakeSummary:
        codes = Counter(self.rejected_by_code)
        codes.update(other.rejected_by_code)
        return IntakeSummary(
            files=self.files + other.files,
            interchanges=self.interchanges + other.interchanges,
            accepted=self.accepted + other.accepted,
            rejected=self.rejected + other.rejected,
            duplicate=self.duplicate + other.duplicate,
            quarantined=self.quarantined + other.quarantined,
            already_processed=self.already_processed + other.already_processed,
            posted_cents=self.posted_cents + other.posted_cents,
            seconds=self.seconds + other.seconds,
            rejected_by_code=dict(codes),
            failures=self.failures + other.failures,
            answers=self.answers + other.answers,
            rejected_files=self.rejected_files + other.rejected_files,
        )

    def timed(self, seconds: float) -> IntakeSummary:
        return replace(self, seconds=seconds)


@dataclass(frozen=True, slots=True)
class ReplaySummary:
    """``carm replay``: archived files selected, how many were processed now, how many were already processed
    (recognised by their sha256: nothing posted again), how many got their answers rewritten, and the intake
    summary of what was processed."""

    selected: int
    processed: int
    already_processed: int
    reanswered: int
    skipped: tuple[str, ...]  # archive keys that cannot be replayed, with the reason
    intake: IntakeSummary

    def as_json(self) -> dict[str, Any]:
        return {
            "selected": self.selected,
            "processed": self.processed,
            "already_processed": self.already_processed,
            "reanswered": self.reanswered,
            "skipped": list(self.skipped),
            "intake": self.intake.as_json(),
        }
