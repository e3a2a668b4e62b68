"""Surtax orders (Customs Tariff s. 53): ``surtax_orders.csv``, one row per order, schedule and goods.

Columns: ``order`` (e.g. ``SOR/2026-186``), ``schedule``, ``tariff_item`` (one or more tariff-item prefixes,
dots allowed), ``countries`` (origins, ISO 3166-1 alpha-2, space-separated), ``rate`` (% of the value for
duty), ``from``, ``to`` (inclusive, empty = open), ``source``. A user adds an order by adding its rows.

Shipped: the United States Surtax Order (2026), SOR/2026-186, Schedules 1-3 (origin US, in force from
2026-09-08). Its Schedule 4 (14 items of Chapters 98 and 99, surtaxed at the rate of the Schedule 1-3 item the
goods are otherwise classifiable under) has no rate of its own and is not loaded: goods declared under those
items are not surtaxed by this engine. The original schedule file is shipped beside it.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.reference.table import read_csv
from pipeline.reference.types import SurtaxRule, in_window

COLUMNS = ("order", "schedule", "tariff_item", "countries", "rate", "from", "to", "source")


def _overlap(first: SurtaxRule, second: SurtaxRule) -> bool:
    return in_window(first.start, second.start, second.end) or in_window(second.start, first.start, first.end)


def load_surtaxes(path: Path, countries: frozenset[str]) -> tuple[SurtaxRule, ...]:
    rules: list[SurtaxRule] = []
    by_goods: dict[tuple[str, str], list[SurtaxRule]] = {}  # (order, prefix) -> rules, to catch repeats
    for row in read_csv(path, COLUMNS):
        goods = row.goods("tariff_item")
        if goods is None:
            raise row.error("tariff_item", "empty; a surtax order lists its goods")
        start, end = row.window("from", "to")
        rule = SurtaxRule(
            order=row.text("order"),
            schedule=row.text("schedule"),
            goods=goods,
            countries=row.countries("countries", countries),
            rate=row.decimal("rate", positive=True),
            start=start,
            end=end,
            source=row.text("source"),
            row=row.number,
        )
        for prefix in sorted(goods):
            for other in by_goods.setdefault((rule.order, prefix), []):
                if other.countries & rule.countries and _overlap(rule, other):
                    raise row.error("tariff_item", f"{prefix} is already in {rule.order} at row {other.row}")
            by_goods[(rule.order, prefix)].append(rule)
        rules.append(rule)
    return tuple(rules)
