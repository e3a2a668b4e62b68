"""The machine-readable documents of ``carm validate --json`` and ``carm assess --json`` (spec/interfaces.md),
and their human summaries.

The spec fixes ``{"declarations": [...]}``. Two additive keys carry what a file-level rejection needs:
``"files"`` (one entry per file, with its S/A01/A03 errors) and, on each declaration, ``"file"``. A declaration
of a rejected file is ``"rejected"`` and lists the file's errors before its own, so a tool that reads only
``declarations`` still sees why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pipeline.checking import CheckedFile
from pipeline.findings import Finding
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


def declaration_entry(checked: CheckedFile, verdict: DeclarationVerdict) -> dict[str, Any]:
    declaration = verdict.declaration
    file_errors = [f for f in checked.verdict.file_findings if not f.is_warning]
    errors = file_errors + list(verdict.errors)
    return {
        "file": checked.name,
        "transaction_number": declaration.transaction_number,
        "version": declaration.version_number if declaration.version.isdigit() else declaration.version,
        "importer": declaration.importer.id,
        "status": "rejected" if errors else "accepted",
        "errors": [f.as_json() for f in errors],
        "warnings": [f.as_json() for f in verdict.warnings],
    }


def validation_document(files: Sequence[CheckedFile]) -> dict[str, Any]:
    return {
        "files": [file_entry(c) for c in files],
        "declarations": [declaration_entry(c, v) for c in files for v in c.verdict.declarations],
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
        own = d["errors"][len(_file_errors(document, d["file"])) :]
        counts.update(e["code"] for e in own)
    return counts


def _file_errors(document: Mapping[str, Any], name: str) -> list[Any]:
    for f in document["files"]:
        if f["file"] == name:
            return f["errors"]
    return []


def describe(findings: Iterable[Finding]) -> list[str]:
    return [f"{f.code} at {f.location}: {f.message}" for f in findings]
