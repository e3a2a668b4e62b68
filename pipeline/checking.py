"""Check submitted files without posting: read, then validate. Shared by ``carm validate``, ``carm assess``,
intake and the DAGs, so a service provider's pre-check and the real intake judge a file identically."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.parsers import DEFAULT_MAX_BYTES, ParseResult, read_submission
from pipeline.validate import SubmissionVerdict, ValidationContext, validate_submission


@dataclass(frozen=True, slots=True)
class CheckedFile:
    name: str
    parsed: ParseResult
    verdict: SubmissionVerdict

    @property
    def syntax(self) -> str | None:
        return self.parsed.interchange.syntax if self.parsed.interchange else None


def check_bytes(data: bytes, name: str, context: ValidationContext, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CheckedFile:
    parsed = read_submission(data, max_bytes=max_bytes)
    return CheckedFile(name, parsed, validate_submission(parsed, context))
