"""Courier low-value shipment thresholds and limit (CBSA D8-2-16): ``clvs_thresholds.csv``.

Columns: ``kind`` (``threshold`` | ``shipment_limit``), ``countries`` (origins, space-separated; empty = any
other origin), ``max_vfd`` (C$, inclusive), ``duty_free``, ``gst_free``, ``source``. Thresholds are kept in file
order, which must put the rows naming countries before the catch-all rows (most specific first), and the
smaller amount first within one set of countries. Exactly one ``shipment_limit`` row.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pipeline.errors import ReferenceDataError
from pipeline.reference.table import read_csv
from pipeline.reference.types import Clvs, ClvsThreshold

COLUMNS = ("kind", "countries", "max_vfd", "duty_free", "gst_free", "source")


def load_clvs(path: Path, countries: frozenset[str]) -> Clvs:
    thresholds: list[ClvsThreshold] = []
    limit: Decimal | None = None
    for row in read_csv(path, COLUMNS):
        kind = row.text("kind").lower()
        amount = row.decimal("max_vfd", positive=True)
        source = row.text("source")
        if kind == "shipment_limit":
            if limit is not None:
                raise row.error("kind", "a second shipment_limit row")
            limit = amount
            continue
        if kind != "threshold":
            raise row.error("kind", f"{kind!r} is not threshold or shipment_limit")
        origins = row.countries("countries", countries) if row.optional("countries") else None
        if origins is not None and any(t.countries is None for t in thresholds):
            raise row.error("countries", "a threshold naming countries must come before the catch-all rows")
        for earlier in thresholds:
            if earlier.countries == origins and earlier.max_vfd >= amount:
                raise row.error(
                    "max_vfd", f"not above the earlier threshold {earlier.max_vfd} of these origins"
                )
        thresholds.append(ClvsThreshold(origins, amount, row.flag("duty_free"), row.flag("gst_free"), source))
    if limit is None:
        raise ReferenceDataError(str(path), None, "kind", "no shipment_limit row")
    return Clvs(thresholds=tuple(thresholds), shipment_limit=limit, source=f"{path.name}: CBSA D8-2-16")
