"""SIMA measures, excise codes, GST exemption codes, special authority codes and statutory rates.

Every table has a ``source`` column and, except the statutory rates, an ``example`` column: ``yes`` marks a row
invented for tests and the demo (no machine-readable public list exists), never to be taken as fact; a
deployment puts the real tables in ``CARM_REFDATA_DIR``. Goods are tariff-item prefixes separated by spaces
(dots allowed); an empty goods cell means any goods. Units are UN/ECE Rec 20 codes or CBSA aliases (stored as
Rec 20: ``NMB`` becomes ``C62``).

- ``sima_measures.csv``: code, description, goods, countries, percent | per_unit + unit, from, to, source,
  example. (The spec's optional exporter is not modelled: ``SimaMeasure`` has no exporter.)
- ``excise_codes.csv``: code, kind (``duty`` Excise Act, 2001 | ``tax`` Excise Tax Act), description, goods,
  per_unit, unit, from, to, source, example. Fuel-inefficient vehicles have one code per fuel-rating bracket.
- ``gst_exemption_codes.csv``: code, description, goods, source, example.
- ``special_authority_codes.csv``: code, description, relieves (``gst`` | ``surtax``), goods, from, to,
  approximate_goods, remits_order (the order a surtax remission remits), source, example.
- ``statutory_rates.csv``: rate (``gst``, ``general_tariff``), percent, from, to, source. The row of each rate
  with an open end is the rate in force; ended rows are history.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from pipeline.errors import ReferenceDataError
from pipeline.reference.table import Row, read_csv
from pipeline.reference.types import ExciseCode, GstExemption, SimaMeasure, SpecialAuthority, Units

EXCISE_KINDS = ("duty", "tax")
RELIEVES = ("gst", "surtax")
EXAMPLE_MARK = "EXAMPLE"
STATUTORY_RATES = ("gst", "general_tariff")


def _code(row: Row, seen: set[str]) -> str:
    code = row.text("code")
    if code in seen:
        raise row.error("code", f"{code} is given twice")
    seen.add(code)
    return code


def _unit(row: Row, column: str, units: Units) -> str:
    text = row.text(column)
    unit = units.canonical(text)
    if unit is None:
        raise row.error(column, f"{text!r} is not a UN/ECE Rec 20 unit code nor a CBSA alias")
    return unit


def _marked(row: Row, text: str) -> str:
    """Example rows say so in their description, which explanations show."""
    if row.flag("example") and not text.upper().startswith(EXAMPLE_MARK):
        return f"{EXAMPLE_MARK}: {text}"
    return text


def load_sima(path: Path, countries: frozenset[str], units: Units) -> dict[str, SimaMeasure]:
    measures: dict[str, SimaMeasure] = {}
    seen: set[str] = set()
    columns = (
        "code",
        "description",
        "goods",
        "countries",
        "percent",
        "per_unit",
        "unit",
        "from",
        "to",
        "source",
        "example",
    )
    for row in read_csv(path, columns):
        code = _code(row, seen)
        goods = row.goods("goods")
        if goods is None:
            raise row.error("goods", "empty; a SIMA measure names its goods")
        percent, per_unit = row.optional_decimal("percent"), row.optional_decimal("per_unit")
        if (percent is None) == (per_unit is None):
            raise row.error("percent", "give either percent (of the value for duty) or per_unit, not both")
        unit = _unit(row, "unit", units) if per_unit is not None else None
        if per_unit is None and row.optional("unit"):
            raise row.error("unit", "a unit goes with per_unit only")
        start, end = row.window("from", "to")
        measures[code] = SimaMeasure(
            code=code,
            description=_marked(row, row.text("description")),
            goods=goods,
            countries=row.countries("countries", countries),
            percent=percent,
            per_unit=per_unit,
            unit=unit,
            start=start,
            end=end,
            source=row.text("source"),
            example=row.flag("example"),
            row=row.number,
        )
    return measures


def load_excise(path: Path, units: Units) -> dict[str, ExciseCode]:
    codes: dict[str, ExciseCode] = {}
    seen: set[str] = set()
    columns = ("code", "kind", "description", "goods", "per_unit", "unit", "from", "to", "source", "example")
    for row in read_csv(path, columns):
        code = _code(row, seen)
        kind = row.text("kind").lower()
        if kind not in EXCISE_KINDS:
            raise row.error("kind", f"{kind!r} is not duty or tax")
        start, end = row.window("from", "to")
        codes[code] = ExciseCode(
            code=code,
            kind=kind,
            description=_marked(row, row.text("description")),
            goods=row.goods("goods"),
            per_unit=row.decimal("per_unit", positive=True),
            unit=_unit(row, "unit", units),
            start=start,
            end=end,
            source=row.text("source"),
            example=row.flag("example"),
            row=row.number,
        )
    return codes


def load_gst_exemptions(path: Path) -> dict[str, GstExemption]:
    codes: dict[str, GstExemption] = {}
    seen: set[str] = set()
    for row in read_csv(path, ("code", "description", "goods", "source", "example")):
        code = _code(row, seen)
        codes[code] = GstExemption(
            code=code,
            description=_marked(row, row.text("description")),
            goods=row.goods("goods"),
            source=row.text("source"),
            example=row.flag("example"),
        )
    return codes


def load_special_authorities(path: Path) -> dict[str, SpecialAuthority]:
    codes: dict[str, SpecialAuthority] = {}
    seen: set[str] = set()
    columns = (
        "code",
        "description",
        "relieves",
        "goods",
        "from",
        "to",
        "approximate_goods",
        "remits_order",
        "source",
        "example",
    )
    for row in read_csv(path, columns):
        code = _code(row, seen)
        relieves = row.text("relieves").lower()
        if relieves not in RELIEVES:
            raise row.error("relieves", f"{relieves!r} is not one of {', '.join(RELIEVES)}")
        remits = row.optional("remits_order")
        if relieves == "surtax" and remits is None:
            raise row.error("remits_order", "a surtax remission names the order it remits")
        if relieves != "surtax" and remits is not None:
            raise row.error("remits_order", "only a surtax remission remits an order")
        start, end = row.window("from", "to")
        codes[code] = SpecialAuthority(
            code=code,
            description=_marked(row, row.text("description")),
            relieves=relieves,
            goods=row.goods("goods"),
            start=start,
            end=end,
            source=row.text("source"),
            approximate_goods=row.flag("approximate_goods"),
            remits_order=remits,
        )
    return codes


def load_statutory_rates(path: Path) -> dict[str, Decimal]:
    """Rate name -> percent in force (the row with an open end), for every name of ``STATUTORY_RATES``."""
    current: dict[str, Decimal] = {}
    rows: Iterable[Row] = read_csv(path, ("rate", "percent", "from", "to", "source"))
    for row in rows:
        name = row.text("rate").lower()
        if name not in STATUTORY_RATES:
            raise row.error("rate", f"{name!r} is not one of {', '.join(STATUTORY_RATES)}")
        percent = row.decimal("percent", positive=True)
        row.text("source")
        _, end = row.window("from", "to")
        if end is None:
            if name in current:
                raise row.error("to", f"{name} has two rows in force (no end)")
            current[name] = percent
    for name in STATUTORY_RATES:
        if name not in current:
            raise ReferenceDataError(str(path), None, "rate", f"no {name} row in force (with an empty 'to')")
    return current
