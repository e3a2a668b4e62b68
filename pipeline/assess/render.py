"""The answers of ``carm assess``: the JSON document of spec/interfaces.md and a readable text form.

Document shape (interfaces.md, "JSON of carm assess --json"): ``{"declarations": [...]}``, each declaration
``transaction_number, version (int), importer, status, errors, lines, totals``; amounts are strings with two
decimals, in CAD. One addition to the spec's shape: every declaration also carries ``"warnings"``, a list of
``{code, message, location}`` (validation's W02 and assessment's W01/W03); a rejected declaration has its
``errors`` and no ``lines`` or ``totals``.

The whole document of a run (every file, rejected declarations included) is assembled by ``pipeline.report``
from the per-declaration builders here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pipeline.assess.explain import LABELS, LineExplanation
from pipeline.assess.result import Assessment
from pipeline.assess.rules import AMOUNTS
from pipeline.findings import Finding
from pipeline.model import Declaration
from pipeline.money import format_cents


def declaration_identity(declaration: Declaration) -> dict:
    return {
        "transaction_number": declaration.transaction_number,
        "version": declaration.version_number,
        "importer": declaration.importer.id,
    }


def _findings_json(findings: Iterable[Finding]) -> list[dict[str, str]]:
    return [finding.as_json() for finding in findings]


def accepted_declaration_json(
    assessment: Assessment, index: int, other_warnings: Sequence[Finding] = ()
) -> dict:
    """The document of one assessed declaration; ``other_warnings`` (e.g. validation's W02) come first."""
    declaration = assessment.declarations[index]
    rows = assessment.line_rows(index)
    columns = {name: rows[name].to_numpy() for name in AMOUNTS}
    line_numbers, positions = rows["line"].to_numpy(), rows["position"].to_numpy()
    classifications = rows["classification"].astype(object).to_numpy()
    lines = []
    for k in range(len(rows)):
        source = declaration.lines[int(positions[k])]
        lines.append({
            "line": int(line_numbers[k]),
            "classification": str(classifications[k]),
            "tariff_treatment": source.treatment,
            "origin": source.origin,
            **{name: format_cents(int(columns[name][k])) for name in AMOUNTS},
        })
    totals = assessment.declaration_totals(index)
    return {
        **declaration_identity(declaration),
        "status": "accepted",
        "errors": [],
        "lines": lines,
        "totals": {name: format_cents(totals[name]) for name in AMOUNTS},
        "warnings": _findings_json([*other_warnings, *assessment.warnings[index]]),
    }


def rejected_declaration_json(declaration: Declaration, findings: Sequence[Finding]) -> dict:
    """The document of a declaration validation rejected: its errors, its warnings, no amounts."""
    return {
        **declaration_identity(declaration),
        "status": "rejected",
        "errors": _findings_json(f for f in findings if not f.is_warning),
        "warnings": _findings_json(f for f in findings if f.is_warning),
    }


def assessment_json(assessment: Assessment) -> dict:
    """The document of an assessment alone (every declaration accepted)."""
    return {"declarations": [accepted_declaration_json(assessment, i) for i in range(len(assessment.declarations))]}


# -- text -----------------------------------------------------------------------------------------------------

_HEADINGS = {"vfd": "VFD", "customs_duty": "Duty", "surtax": "Surtax", "sima": "SIMA", "excise_duty": "Excise duty",
             "excise_tax": "Excise tax", "vft": "VFT", "gst": "GST", "total": "Total"}


def _table(rows: list[list[str]], right_from: int) -> list[str]:
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return [
        "  ".join(cell.rjust(widths[c]) if c >= right_from else cell.ljust(widths[c]) for c, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def document_text(document: dict) -> str:
    """A readable rendering of an assess document: per declaration a header, a table of lines with a totals
    row, and its errors or warnings."""
    out: list[str] = []
    for declaration in document["declarations"]:
        out.append(
            f"Transaction {declaration['transaction_number']} version {declaration['version']}, "
            f"importer {declaration['importer']}: {declaration['status']}"
        )
        if declaration["status"] == "accepted":
            rows = [["Line", "Classification", "TT", "Origin", *(_HEADINGS[name] for name in AMOUNTS)]]
            for line in declaration["lines"]:
                rows.append([str(line["line"]), line["classification"], line["tariff_treatment"], line["origin"],
                             *(line[name] for name in AMOUNTS)])
            rows.append(["Total", "", "", "", *(declaration["totals"][name] for name in AMOUNTS)])
            out.extend("  " + text for text in _table(rows, right_from=4))
        for finding in declaration["errors"]:
            out.append(f"  error {finding['code']} at {finding['location']}: {finding['message']}")
        for finding in declaration.get("warnings", ()):
            out.append(f"  warning {finding['code']} at {finding['location']}: {finding['message']}")
        out.append("")
    return "\n".join(out)


def explanation_text(explanation: LineExplanation) -> str:
    """One line's explanation: each amount, its formula, its rounding and the inputs behind it."""
    out = [
        f"Transaction {explanation.transaction_number} line {explanation.line}: classification "
        f"{explanation.classification}, tariff treatment {explanation.treatment}, origin {explanation.origin}"
    ]
    for step in explanation.steps:
        out.append(f"  {LABELS[step.charge]}: {step.amount:.2f}")
        out.append(f"      {step.formula}")
        if step.rounded:
            out.append(f"      {step.rounding}")
        out.extend(f"      {name}: {value}" for name, value in step.inputs)
    return "\n".join(out)
