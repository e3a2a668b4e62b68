"""Bank of Canada daily exchange rates from Valet API responses (``valet_fx_*.json``). Source: Bank of Canada.

A Valet response is ``{"terms", "seriesDetail", "observations": [{"d": "2025-05-02", "FXUSDCAD": {"v":
"1.3800"}, ...}]}``. Values are strings in the responses; they become ``Decimal`` from the text as published
(numbers, should a file carry them, are read as ``Decimal`` too, never as binary floats). Several files are
merged; the same date and series in two files must carry the same value. A series with no observation (MYR,
THB and VND stopped in 2024-2025 files) gives no rate, so a declaration in that currency gets B14.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Set
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pipeline.errors import ReferenceDataError
from pipeline.reference.table import file_sha256, read_text
from pipeline.reference.types import ExchangeRates, SourceFile

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
    documents = []
    digests = {}
    for path in paths:
        name = str(path)
        try:
            documents.append((name, json.loads(read_text(path), parse_float=Decimal, parse_int=Decimal)))
        except json.JSONDecodeError as error:
            raise ReferenceDataError(name, error.lineno, None, f"not JSON: {error.msg}") from None
        digests[name] = file_sha256(path)
    return exchange_rates_of(documents, currencies, digests)


def exchange_rates_of(
    documents: Iterable[tuple[str, object]], currencies: Iterable[str], digests: Mapping[str, str] | None = None
) -> ExchangeRates:
    """:func:`load_exchange_rates` of documents already parsed, each with the name its faults give (and, in
    ``digests``, the SHA-256 of its file, which ``ExchangeRates.files`` records)."""
    known = frozenset(currencies)
    merged: dict[str, dict[date, tuple[Decimal, str]]] = {}
    names, paths = [], []
    for name, document in documents:
        names.append(Path(name).name)
        paths.append(name)
        for index, day, series, cell in _observations(name, document):
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
        files=tuple(SourceFile(name, (digests or {}).get(name, "")) for name in paths),
        observed=merged,  # kept as built: knowing each day's file costs the load nothing
    )


def _observations(name: str, document: object) -> Iterator[tuple[int, date, str, object]]:
    """(index, day, series, cell) of every value of a Valet document, its shape checked on the way."""
    observations = document.get("observations") if isinstance(document, dict) else None
    if not isinstance(observations, list):
        raise ReferenceDataError(name, None, "observations", "not a Valet response (no observations list)")
    for index, observation in enumerate(observations, start=1):
        day = _day(name, index, observation)
        for series, cell in observation.items():
            if series == "d":
                continue
            if not (series.startswith(SERIES_PREFIX) and series.endswith(SERIES_SUFFIX) and len(series) == 8):
                raise ReferenceDataError(name, index, series, "not a daily FX<currency>CAD series")
            yield index, day, series, cell


def _day(name: str, index: int, observation: object) -> date:
    if not isinstance(observation, dict):
        raise ReferenceDataError(name, index, None, "an observation is not an object")
    try:
        return date.fromisoformat(str(observation.get("d")))
    except ValueError:
        raise ReferenceDataError(name, index, "d", f"{observation.get('d')!r} is not a date") from None


# --- adding days to the files -------------------------------------------------------------------------------


def yearly_file(day: date) -> str:
    """The file a day's rates are kept in: one per calendar year, as the shipped ``valet_fx_daily_2025.json``."""
    return f"valet_fx_daily_{day.year}.json"


def observed_days(rates: ExchangeRates) -> frozenset[date]:
    """Every day some series has a rate for."""
    return frozenset(day for observations in rates.series.values() for day, _ in observations)


@dataclass(frozen=True, slots=True)
class AddedDays:
    """What adding a Valet answer to the files did: the new content of each file that gains days."""

    documents: Mapping[str, dict]  # file name -> whole new document
    added: Mapping[str, tuple[date, ...]]  # file name -> the days it gains
    kept: tuple[date, ...]  # days of the answer already stored: left exactly as they were


def add_days(answer: dict, stored: Set[date], current: Mapping[str, dict | None], source: str) -> AddedDays:
    """Add the days of a Valet ``answer`` that are not ``stored`` to the yearly files whose ``current`` content
    is given (None: no such file yet; it starts with the answer's terms and series details). A day already
    stored is never rewritten, even if the answer differs: a published rate does not change under a posted
    assessment. ``source`` names the answer in faults."""
    documents: dict[str, dict] = {}
    added: dict[str, list[date]] = {}
    kept: list[date] = []
    for index, observation in enumerate(answer.get("observations", ()), start=1):
        day = _day(source, index, observation)
        if day in stored or any(day in days for days in added.values()):
            kept.append(day)
            continue
        name = yearly_file(day)
        if name not in documents:
            documents[name] = _document_for(current.get(name), answer)
        documents[name]["observations"].append(observation)
        added.setdefault(name, []).append(day)
    for document in documents.values():
        document["observations"].sort(key=lambda observation: str(observation.get("d")))
    return AddedDays(documents, {name: tuple(days) for name, days in added.items()}, tuple(kept))


def _document_for(existing: dict | None, answer: dict) -> dict:
    """A copy of a file's document to add to, with any series the answer describes and it does not."""
    base = existing or {"terms": answer.get("terms", {"url": TERMS}), "seriesDetail": {}}
    document = {**base, "observations": list(base.get("observations", ()))}
    details = dict(base.get("seriesDetail") or {})
    for series, detail in (answer.get("seriesDetail") or {}).items():
        details.setdefault(series, detail)
    document["seriesDetail"] = details
    return document
