"""The explanation stored with each assessed line (``line_assessments.explanation``), built for a whole batch.

``pipeline.assess.explain`` writes the full, readable explanation of a line (formulas, rounding, every input)
at about a millisecond a line: fine for ``carm assess --explain``, too slow for 50,000 lines an intake run.
Intake stores instead, per line, the same facts in compact form, read straight from the engine's trail with
array operations: the reference rows the engine used (exchange rate with its series and publication date,
tariff item and rate text, surtax order, SIMA measure, excise code, CLVS threshold, GST relief) and the exact
value of every charge before it was rounded to the cent. The full explanation can always be produced again
from the archived file (``carm assess --explain``): assessment is pure and deterministic.

``versions`` says which reference data the line was assessed with, so that a replay with other data shows and
``carm refdata impact`` can tell which posted declarations a change of reference data would affect: the tariff
edition and the SHA-256 of its file, the exchange rate's series, publication day and value (with the Valet file
and its SHA-256 when the reference data is given), and the shipment date the rate was chosen for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.assess import Assessment
from pipeline.reference.types import ExchangeRate, ReferenceData, TariffItem

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


def _by_row(assessment: Assessment, column: str, table: str, describe: Callable[[Any], Any]) -> Iterator[tuple[int, Any]]:
    """``(row, description)`` of every line that used a row of a trail table; each table row is described once."""
    trail = assessment.trail
    if column not in trail.columns or table not in trail.tables:
        return
    ids = trail.columns[column].to_numpy()
    used = np.flatnonzero(ids >= 0)
    entries = trail.tables[table]
    described = {int(i): describe(entries[int(i)]) for i in np.unique(ids[used])}
    for row, identifier in zip(used.tolist(), ids[used].tolist(), strict=True):
        yield row, described[identifier]


def _tariff_version(item: TariffItem) -> dict[str, str]:
    return {"edition": item.edition, "sha256": item.edition_sha256}


def _fx_version(rate: ExchangeRate, reference: ReferenceData | None) -> dict[str, str]:
    version = {"series": rate.series, "published": rate.published.isoformat(), "rate": str(rate.rate)}
    source = reference.exchange_rates.file_of(rate.currency, rate.published) if reference is not None else None
    if source is not None:
        version.update(file=Path(source.path).name, sha256=source.sha256)
    return version


def _versions(assessment: Assessment, explanations: list[dict[str, Any]], reference: ReferenceData | None) -> None:
    """Each line's ``versions``: one document per distinct tariff item and exchange rate, shared by its lines."""
    shipped_of = [declaration.shipment_date for declaration in assessment.declarations]
    declaration = assessment.lines["declaration"].to_numpy()
    for row, index in enumerate(declaration.tolist()):
        explanations[row]["versions"] = {"shipped": shipped_of[index]}
    for column, table, key, version_of in (
        ("item_id", "items", "tariff", _tariff_version),
        ("fx_id", "fx", "exchange_rate", lambda rate: _fx_version(rate, reference)),
    ):
        for row, document in _by_row(assessment, column, table, version_of):
            explanations[row]["versions"][key] = document


def line_explanations(assessment: Assessment, reference: ReferenceData | None = None) -> list[dict[str, Any]]:
    """One compact explanation per row of ``assessment.lines``, in row order. ``reference``, the data the batch
    was assessed with, adds the Valet file (and its SHA-256) each exchange rate was read from."""
    trail = assessment.trail
    columns = trail.columns
    rows = len(assessment.lines)
    explanations: list[dict[str, Any]] = [{"reference": {}, "exact": {}} for _ in range(rows)]
    for column, (table, key) in REFERENCE_COLUMNS.items():
        for row, label in _by_row(assessment, column, table, lambda entry, table=table: _label(table, entry)):
            explanations[row]["reference"][key] = label
    for column, charge in EXACT_COLUMNS.items():
        if column not in columns or column not in trail.exponents:
            continue
        exponent = trail.exponents[column]
        values = columns[column].to_numpy()
        used = np.flatnonzero(values != 0)
        for row, value in zip(used.tolist(), values[used].tolist(), strict=True):
            explanations[row]["exact"][charge] = _decimal_text(int(value), exponent)
    _versions(assessment, explanations, reference)
    return explanations
