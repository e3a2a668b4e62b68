"""The explanation stored with each assessed line (``line_assessments.explanation``), built for a whole batch.

``pipeline.assess.explain`` writes the full, readable explanation of a line (formulas, rounding, every input)
at about a millisecond a line: fine for ``carm assess --explain``, too slow for 50,000 lines an intake run.
Intake stores instead, per line, the same facts in compact form, read straight from the engine's trail with
array operations: the reference rows the engine used (exchange rate with its series and publication date,
tariff item and rate text, surtax order, SIMA measure, excise code, CLVS threshold, GST relief) and the exact
value of every charge before it was rounded to the cent. The full explanation can always be produced again
from the archived file (``carm assess --explain``): assessment is pure and deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from pipeline.assess import Assessment

#: trail id column → (trail table, key in the stored explanation).
REFERENCE_COLUMNS: Mapping[str, tuple[str, str]] = {
    "fx_id": ("fx", "exchange_rate"),
    "item_id": ("items", "tariff_item"),
    "rate_id": ("rates", "rate"),
    "specific_id": ("specific", "unit_conversion"),
    "surtax_rule": ("surtax_rules", "surtax_order"),
    "surtax_remission": ("surtax_remissions", "surtax_remission"),
    "sima_measure": ("sima_measures", "sima_measure"),
    "sima_unit_id": ("sima_unit", "sima_unit_conversion"),
    "excise_id": ("excise", "excise_code"),
    "excise_unit_id": ("excise_unit", "excise_unit_conversion"),
    "clvs_threshold": ("clvs", "clvs_threshold"),
    "gst_relief": ("gst_reliefs", "gst_relief"),
}
#: trail exact-value column → the charge it is the unrounded value of.
EXACT_COLUMNS: Mapping[str, str] = {
    "vfd_exact": "vfd",
    "duty_exact": "customs_duty",
    "surtax_exact": "surtax",
    "sima_exact": "sima",
    "excise_exact": "excise",
    "gst_exact": "gst",
}


def _conversion(row: tuple) -> str:
    source, target, factor, rate = row
    return f"{rate} per {target}" + ("" if source == target else f", {factor} {target} per {source}")


_LABELS: Mapping[str, Callable[[Any], str]] = {
    "fx": lambda r: f"{r.rate} CAD per {r.currency} ({r.series}, published {r.published.isoformat()})",
    "items": lambda r: f"{r.classification} (row {r.row}, in force from {r.effective_from.isoformat()}; {r.source})",
    "rates": lambda r: r.text,
    "specific": _conversion,
    "surtax_rules": lambda r: f"{r.order} schedule {r.schedule}: {r.rate}% (row {r.row}; {r.source})",
    "surtax_remissions": lambda r: f"{r.code}: {r.description}",
    "sima_measures": lambda r: f"{r.code}: {r.description} ({r.source})",
    "sima_unit": _conversion,
    "excise": lambda r: f"{r.code} ({r.kind}): {r.per_unit} per {r.unit} ({r.source})",
    "excise_unit": _conversion,
    "clvs": lambda r: f"value for duty at most {r.max_vfd}: duty free {r.duty_free}, GST free {r.gst_free} "
                      f"({r.source})",
    "gst_reliefs": lambda r: f"{r.code}: {r.description}",
}


def _label(table: str, row: object) -> str:
    describe = _LABELS.get(table)
    try:
        return describe(row) if describe else str(row)
    except (AttributeError, TypeError, ValueError):  # a reference type changed shape: still say what it was
        return str(row)


def _decimal_text(value: int, exponent: int) -> str:
    """``value × 10**-exponent`` written exactly, without trailing zeros (``7529866984000`` at 8 → ``75298.66984``)."""
    sign, digits = ("-" if value < 0 else ""), str(abs(value))
    if exponent <= 0:
        return sign + digits + "0" * -exponent
    digits = digits.rjust(exponent + 1, "0")
    whole, fraction = digits[:-exponent], digits[-exponent:].rstrip("0")
    return sign + whole + ("." + fraction if fraction else "")


def line_explanations(assessment: Assessment) -> list[dict[str, Any]]:
    """One compact explanation per row of ``assessment.lines``, in row order."""
    trail = assessment.trail
    columns = trail.columns
    rows = len(assessment.lines)
    explanations: list[dict[str, Any]] = [{"reference": {}, "exact": {}} for _ in range(rows)]
    for column, (table, key) in REFERENCE_COLUMNS.items():
        if column not in columns or table not in trail.tables:
            continue
        ids = columns[column].to_numpy()
        used = np.flatnonzero(ids >= 0)
        if not len(used):
            continue
        entries = trail.tables[table]
        labels = {int(i): _label(table, entries[int(i)]) for i in np.unique(ids[used])}
        for row, identifier in zip(used.tolist(), ids[used].tolist(), strict=True):
            explanations[row]["reference"][key] = labels[identifier]
    for column, charge in EXACT_COLUMNS.items():
        if column not in columns or column not in trail.exponents:
            continue
        exponent = trail.exponents[column]
        values = columns[column].to_numpy()
        used = np.flatnonzero(values != 0)
        for row, value in zip(used.tolist(), values[used].tolist(), strict=True):
            explanations[row]["exact"][charge] = _decimal_text(int(value), exponent)
    return explanations
