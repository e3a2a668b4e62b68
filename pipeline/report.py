"""The machine-readable documents of ``carm validate --json`` and ``carm assess --json`` (spec/interfaces.md),
and their human summaries.

The spec fixes ``{"declarations": [...]}``. Two additive keys carry what a file-level rejection needs:
``"files"`` (one entry per file, with its S/A01/A03 errors) and, on each declaration, ``"file"``. A declaration
of a rejected file is ``"rejected"`` and lists, before its own errors, the first of the file's errors of each
code (with how many more there are), so a tool that reads only ``declarations`` still sees why, and a file of many
messages and many syntax faults does not repeat every fault in every declaration.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from pipeline.assess.result import Assessment
from pipeline.checking import CheckedFile
from pipeline.findings import Finding, Scope, scope_of
from pipeline.model import Declaration
from pipeline.validate import DeclarationVerdict


def file_entry(checked: CheckedFile) -> dict[str, Any]:
    interchange = checked.parsed.interchange
    return {
        "file": checked.name,
        "syntax": checked.syntax,
        "sender": interchange.sender if interchange else None,
        "interchange": interchange.control_reference if interchange else None,
        "status": "rejected" if checked.verdict.file_rejected else "accepted",
        "errors": [f.as_json() for f in checked.verdict.file_findings if not f.is_warning],
    }


def declaration_entry(checked: CheckedFile, verdict: DeclarationVerdict, assessment: Assessment | None = None,
                      index: int | None = None, file_errors: tuple[Finding, ...] | None = None) -> dict[str, Any]:
    """One declaration of the document: amounts when it was accepted and ``assessment`` holds it (at ``index``).
    ``file_errors``: ``file_errors_by_code`` of its file, which callers compute once per file."""
    from pipeline.assess.render import (
        accepted_declaration_json,
        declaration_identity,
        rejected_declaration_json,
    )

    if not checked.verdict.accepted(verdict):
        file_errors = file_errors_by_code(checked.verdict.file_findings) if file_errors is None else file_errors
        entry = rejected_declaration_json(verdict.declaration, (*file_errors, *verdict.findings))
    elif assessment is not None and index is not None:
        entry = accepted_declaration_json(assessment, index, verdict.warnings)
    else:
        entry = {**declaration_identity(verdict.declaration), "status": "accepted", "errors": [],
                 "warnings": [f.as_json() for f in verdict.warnings]}
    return {"file": checked.name, **entry}


def file_errors_by_code(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """The file's errors as each of its declarations repeats them: the first of each code, saying how many more
    of that code the file's own entry lists."""
    first: dict[str, Finding] = {}
    counts: Counter[str] = Counter()
    for finding in findings:
        if finding.is_warning:
            continue
        first.setdefault(finding.code, finding)
        counts[finding.code] += 1
    return tuple(
        finding if counts[code] == 1
        else replace(finding, message=f"{finding.message} (and {counts[code] - 1:,} more {code} errors of this file, "
                                      "listed in its entry under \"files\")")
        for code, finding in first.items()
    )


def _with_file_errors(files: Sequence[CheckedFile]) -> Iterable[tuple[CheckedFile, tuple[Finding, ...]]]:
    return ((checked, file_errors_by_code(checked.verdict.file_findings)) for checked in files)


def own_errors(declaration: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A declaration entry's own errors, without those it repeats from its file (S codes, A01, A03)."""
    return [error for error in declaration["errors"] if scope_of(error["code"]) is not Scope.FILE]


def validation_document(files: Sequence[CheckedFile]) -> dict[str, Any]:
    """The ``carm validate --json`` document."""
    return {
        "files": [file_entry(c) for c in files],
        "declarations": [
            declaration_entry(c, v, file_errors=repeated) for c, repeated in _with_file_errors(files)
            for v in c.verdict.declarations
        ],
    }


def accepted_declarations(files: Sequence[CheckedFile]) -> list[Declaration]:
    """The declarations to assess, in file order."""
    return [v.declaration for c in files for v in c.verdict.declarations if c.verdict.accepted(v)]


def assessment_document(files: Sequence[CheckedFile], assessment: Assessment) -> dict[str, Any]:
    """The ``carm assess --json`` document: ``assessment`` holds ``accepted_declarations(files)`` in order."""
    accepted = [(f, d) for f, c in enumerate(files) for d, v in enumerate(c.verdict.declarations) if c.verdict.accepted(v)]
    index = {key: position for position, key in enumerate(accepted)}  # (file, declaration) → assessed position
    return {
        "files": [file_entry(c) for c in files],
        "declarations": [
            declaration_entry(c, v, assessment, index.get((f, d)), repeated)
            for f, (c, repeated) in enumerate(_with_file_errors(files)) for d, v in enumerate(c.verdict.declarations)
        ],
    }


def any_rejected(document: Mapping[str, Any]) -> bool:
    return any(f["status"] == "rejected" for f in document["files"]) or any(
        d["status"] == "rejected" for d in document["declarations"]
    )


def errors_by_code(document: Mapping[str, Any]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for f in document["files"]:
        counts.update(e["code"] for e in f["errors"])
    for d in document["declarations"]:
        counts.update(e["code"] for e in own_errors(d))
    return counts


def describe(findings: Iterable[Finding]) -> list[str]:
    return [f"{f.code} at {f.location}: {f.message}" for f in findings]
