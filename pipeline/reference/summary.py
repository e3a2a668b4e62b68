"""What ``carm refdata check`` and ``carm refdata show`` report, as plain JSON-ready documents (pure: no I/O).

``check_document``: per table, its rows, where it comes from (shipped or ``CARM_REFDATA_DIR``), whether it is
real or holds examples; for the tariff its editions and every unreadable cell (file, row, column); for exchange
rates the first and last day per currency. ``show_document``: for one classification on one day, every
treatment's rate, the unit, the edition and row, and the surtax, SIMA and excise that cover the goods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

from pipeline.reference.loader import SHIPPED_DATA
from pipeline.reference.types import (
    CellFault,
    Rate,
    ReferenceData,
    TariffEdition,
    TariffItem,
    covers,
    digits,
    in_window,
)

REAL, EXAMPLE, MIXED = "real", "example", "real and examples"


def _day(on: date | None) -> str | None:
    return None if on is None else on.isoformat()


def _number(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def fault_document(fault: CellFault) -> dict:
    return {"file": fault.path, "row": fault.row, "column": fault.column, "text": fault.text,
            "problem": fault.problem}


def _origin(provenance: str) -> str:
    user, shipped = "CARM_REFDATA_DIR" in provenance, "shipped" in provenance
    return "CARM_REFDATA_DIR and shipped" if user and shipped else "CARM_REFDATA_DIR" if user else "shipped"


def _kind(provenance: str, rows: Iterable[object] = ()) -> tuple[str, int]:
    """Real, example, or both; and how many rows are marked as examples."""
    flags = [bool(getattr(row, "example", False)) for row in rows]
    examples = sum(flags)
    if flags:
        return (EXAMPLE if examples == len(flags) else MIXED if examples else REAL), examples
    text = provenance.upper()
    if "EXAMPLES ONLY" in text:
        return EXAMPLE, 0
    return (MIXED if "EXAMPLE" in text else REAL), 0


def _table(name: str, reference: ReferenceData, rows: int, examples_of: Iterable[object] = ()) -> dict:
    provenance = reference.provenance.get(name, "")
    kind, examples = _kind(provenance, examples_of)
    return {"rows": rows, "kind": kind, "example_rows": examples, "from": _origin(provenance), "source": provenance}


def edition_document(edition: TariffEdition) -> dict:
    return {
        "name": edition.name,
        "file": edition.path,
        "form": "CBSA TPHS export" if edition.form == "export" else "printed form",
        "in_force_from": _day(edition.start),
        "in_force_to": _day(edition.end),
        "latest_eff_date": _day(edition.latest_change),
        "rows": edition.rows,
        "headings": edition.headings,
        "tariff_items": edition.items,
        "classifications": edition.classifications,
        "duplicates": edition.duplicates,
        "unknown_columns": list(edition.unknown_columns),
        "unreadable_cells": [fault_document(fault) for fault in edition.faults],
        "notes": list(edition.notes),
    }


def check_document(reference: ReferenceData, directory: str | None) -> dict:
    """The report of ``carm refdata check`` on a loaded reference directory (None: the shipped data)."""
    tariff = reference.tariff
    editions = [edition_document(edition) for edition in tariff.editions]
    tariff_table = _table("tariff", reference, sum(edition.rows for edition in tariff.editions))
    shipped = [edition.path for edition in tariff.editions if Path(edition.path).parent == SHIPPED_DATA]
    tariff_table["from"] = "shipped" if len(shipped) == len(editions) else "CARM_REFDATA_DIR"
    tariff_table.update(editions=editions,
                        unreadable_cells=sum(len(edition["unreadable_cells"]) for edition in editions))
    series = reference.exchange_rates.series
    currencies = {
        currency: {"from": days[0][0].isoformat(), "to": days[-1][0].isoformat(), "days": len(days)}
        for currency, days in sorted(series.items())
        if days
    }
    fx = _table("exchange_rates", reference, sum(len(days) for days in series.values()))
    fx.update(currencies=currencies)
    tables = {
        "tariff": tariff_table,
        "exchange_rates": fx,
        "treatments": _table("treatments", reference, len(reference.treatments)),
        "surtaxes": _table("surtaxes", reference, len(reference.surtaxes)),
        "sima": _table("sima", reference, len(reference.sima), reference.sima.values()),
        "excise": _table("excise", reference, len(reference.excise), reference.excise.values()),
        "gst_exemptions": _table(
            "gst_exemptions", reference, len(reference.gst_exemptions), reference.gst_exemptions.values()
        ),
        "special_authorities": _table("special_authorities", reference, len(reference.special_authorities)),
        "clvs": _table("clvs", reference, len(reference.clvs.thresholds)),
        "units": _table("units", reference, len(reference.units.known) + len(reference.units.aliases)),
        "currencies": _table("currencies", reference, len(reference.currencies)),
        "countries": _table("countries", reference, len(reference.countries)),
        "gst_rate": _table("gst_rate", reference, 1),
    }
    return {"directory": directory, "tables": tables, "unreadable_cells": tariff_table["unreadable_cells"]}


# -- show ------------------------------------------------------------------------------------------------------


def rate_document(rate: Rate) -> dict:
    return {
        "text": rate.text,
        "ad_valorem_percent": _number(rate.ad_valorem),
        "specific_dollars": _number(rate.specific),
        "specific_unit": rate.specific_unit,
        "combine": rate.combine,
    }


def _treatments(reference: ReferenceData, item: TariffItem) -> list[dict]:
    found = []
    for code in sorted(reference.treatments, key=int):
        treatment = reference.treatments[code]
        rate = item.rates.get(code)
        fault = item.unusable.get(code) or item.unusable.get("*")
        found.append({
            "code": code,
            "abbreviation": treatment.abbreviation,
            "name": treatment.name,
            "offered": rate is not None and fault is None,
            "rate": None if rate is None or fault is not None else rate_document(rate),
            "unusable": None if fault is None else fault_document(fault),
            "unit": item.unit,
            "edition": item.edition,
        })
    return found


def _window(start: date | None, end: date | None) -> dict:
    return {"from": _day(start), "to": _day(end)}


def show_document(reference: ReferenceData, classification: str, on: date) -> dict:
    """Everything that applies to ``classification`` on ``on``; ``item`` is None when the tariff in force has
    no such classification."""
    code = digits(classification)
    item = reference.tariff.lookup(code, on)
    document: dict = {"classification": code, "on": on.isoformat(), "item": None}
    if item is None:
        return document
    document["item"] = {
        "classification": item.classification,
        "description": item.description,
        "unit": item.unit,
        "edition": item.edition,
        "row": item.row,
        "tariff_item_row": item.rates_row,
        "eff_date": _day(item.changed),
        "in_force": _window(item.effective_from, item.effective_to),
        "source": item.source,
        "unusable": {key: fault_document(fault) for key, fault in sorted(item.unusable.items())},
    }
    document["treatments"] = _treatments(reference, item)
    document["surtaxes"] = [
        {"order": rule.order, "schedule": rule.schedule, "rate_percent": _number(rule.rate),
         "countries": sorted(rule.countries), "in_force": _window(rule.start, rule.end), "source": rule.source}
        for rule in reference.surtaxes
        if in_window(on, rule.start, rule.end) and covers(rule.goods, code)
    ]
    document["sima"] = [
        {"code": measure.code, "description": measure.description, "countries": sorted(measure.countries),
         "percent": _number(measure.percent), "per_unit": _number(measure.per_unit), "unit": measure.unit,
         "in_force": _window(measure.start, measure.end), "example": measure.example}
        for measure in _sorted(reference.sima)
        if in_window(on, measure.start, measure.end) and covers(measure.goods, code)
    ]
    document["excise"] = [
        {"code": excise.code, "kind": excise.kind, "description": excise.description,
         "per_unit": _number(excise.per_unit), "unit": excise.unit, "goods": "listed" if excise.goods else "any",
         "in_force": _window(excise.start, excise.end), "example": excise.example}
        for excise in _sorted(reference.excise)
        if in_window(on, excise.start, excise.end) and covers(excise.goods, code)
    ]
    return document


def _sorted(table: Mapping[str, object]) -> list:
    return [table[key] for key in sorted(table)]
