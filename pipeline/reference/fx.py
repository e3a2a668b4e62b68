"""Bank of Canada daily exchange rates from Valet API responses (``valet_fx_*.json``). Source: Bank of Canada.

A Valet response is ``{"terms", "seriesDetail", "observations": [{"d": "2025-05-02", "FXUSDCAD": {"v":
"1.3800"}, ...}]}``. Values are strings in the responses; they become ``Decimal`` from the text as published
(numbers, should a file carry them, are read as ``Decimal`` too, never as binary floats). Several files are
merged; the same date and series in two files must carry the same value. A series with no observation (MYR,
THB and VND stopped in 2024-2025 files) gives no rate, so a declaration in that currency gets B14.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pipeline.errors import ReferenceDataError
from pipeline.reference.table import read_text
from pipeline.reference.types import ExchangeRates

ATTRIBUTION = "Source: Bank of Canada"
TERMS = "https://www.bankofcanada.ca/terms/"
SERIES_PREFIX, SERIES_SUFFIX = "FX", "CAD"


def _value(path: str, row: int, series: str, cell: object) -> Decimal:
    text = cell.get("v") if isinstance(cell, dict) else None
    if isinstance(text, str):
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            raise ReferenceDataError(path, row, series, f"{text!r} is not a decimal number") from None
    elif isinstance(text, (Decimal, int)) and not isinstance(text, bool):
        value = Decimal(text)
    else:
        raise ReferenceDataError(path, row, series, f"{cell!r} is not an observation {{'v': '<rate>'}}")
    if not value.is_finite() or value <= 0:
        raise ReferenceDataError(path, row, series, f"{text!r} is not a positive rate")
    return value


def load_exchange_rates(paths: Iterable[Path], currencies: Iterable[str]) -> ExchangeRates:
    """Merge Valet files into currency -> ((date, CAD per unit), ...) sorted by date.

    ``row`` in a fault is the 1-based index of the observation in the file; ``column`` the series name.
    """
    known = frozenset(currencies)
    merged: dict[str, dict[date, tuple[Decimal, str]]] = {}
    names = []
    for path in paths:
        name = str(path)
        names.append(path.name)
        try:
            document = json.loads(read_text(path), parse_float=Decimal, parse_int=Decimal)
        except json.JSONDecodeError as error:
            raise ReferenceDataError(name, error.lineno, None, f"not JSON: {error.msg}") from None
        observations = document.get("observations") if isinstance(document, dict) else None
        if not isinstance(observations, list):
            raise ReferenceDataError(
                name, None, "observations", "not a Valet response (no observations list)"
            )
        for index, observation in enumerate(observations, start=1):
            if not isinstance(observation, dict):
                raise ReferenceDataError(name, index, None, "an observation is not an object")
            try:
                day = date.fromisoformat(str(observation.get("d")))
            except ValueError:
                raise ReferenceDataError(
                    name, index, "d", f"{observation.get('d')!r} is not a date"
                ) from None
            for series, cell in observation.items():
                if series == "d":
                    continue
                if not (
                    series.startswith(SERIES_PREFIX) and series.endswith(SERIES_SUFFIX) and len(series) == 8
                ):
                    raise ReferenceDataError(name, index, series, "not a daily FX<currency>CAD series")
                currency = series[2:5]
                if currency not in known:
                    raise ReferenceDataError(name, index, series, f"{currency} is not an ISO 4217 currency")
                value = _value(name, index, series, cell)
                earlier = merged.setdefault(currency, {}).get(day)
                if earlier is not None and earlier[0] != value:
                    raise ReferenceDataError(
                        name, index, series, f"{day}: {value} here but {earlier[0]} in {earlier[1]}"
                    )
                merged[currency][day] = (value, name)
    series_by_currency = {
        currency: tuple((day, value) for day, (value, _) in sorted(days.items()))
        for currency, days in sorted(merged.items())
    }
    return ExchangeRates(
        series=series_by_currency,
        source=f"Bank of Canada Valet daily exchange rates ({', '.join(names)}). {ATTRIBUTION}; terms {TERMS}",
    )
