"""The result of validating a file: its own findings and one verdict per declaration."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.findings import Finding
from pipeline.model import Declaration, Interchange


@dataclass(frozen=True, slots=True)
class DeclarationVerdict:
    declaration: Declaration
    findings: tuple[Finding, ...]  # its own errors and warnings; file-level findings are on the submission

    @property
    def errors(self) -> tuple[Finding, ...]:
        if not self.findings:  # most declarations: asked for often, on every judging and booking step
            return ()
        return tuple(f for f in self.findings if not f.is_warning)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_warning)


@dataclass(frozen=True, slots=True)
class SubmissionVerdict:
    interchange: Interchange | None
    file_findings: tuple[Finding, ...]  # S codes, A01, A03: they reject every declaration of the file
    declarations: tuple[DeclarationVerdict, ...]

    @property
    def file_rejected(self) -> bool:
        return any(not f.is_warning for f in self.file_findings)

    def accepted(self, verdict: DeclarationVerdict) -> bool:
        return not self.file_rejected and not verdict.errors
