"""The vectorized assessment engine: every line of a batch at once, in exact integers.

Scales (value × 10**exponent, chosen per batch as the documented minimum or more when a value needs it):

| quantity | exponent | example |
| --- | --- | --- |
| invoice value | most decimals among the batch's value texts | "1000.00" → 100000 at 2 |
| quantity | most decimals among the quantity texts | "12.5" → 125 at 1 |
| exchange rate | ≥ 6 (Bank of Canada publishes ≤ 6 decimals) | 1.3800 → 1380000 |
| percentages (ad valorem, surtax, SIMA, GST) | ≥ 4 | 6.5% → 65000 |
| dollars per declared unit (specific duty, SIMA, excise) | ≥ 6 | 3.32¢/kg → 33200 |
| amounts | 2 (cents) | |

An exact charge before rounding has the exponent of its product (e.g. VFD: value + rate exponents; an ad valorem
duty: cents × percent at 2 + P + 2). Each charge is rounded once to the cent by ``pipeline.money.div_round``
(through ``fixed.to_cents``) before the next step uses it. Products that could reach 2**63 are computed in Python
ints instead (``fixed.multiply``). Look-ups run once per distinct key (``lookups``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal
from functools import lru_cache
from operator import attrgetter

import numpy as np
import pandas as pd

from pipeline.assess.checks import (
    SIMA_TEXT,
    SURTAX_TEXT,
    cents_texts,
    declared_text,
    filer_differences,
    parse_filer_text,
    undeclared_charges,
)
from pipeline.assess.fixed import (
    EXACT,
    INT64_LIMIT,
    add,
    as_object,
    decimals_of,
    int_array,
    magnitude,
    multiply,
    narrow,
    plain_decimals,
    rescale,
    scale_for,
    scaled_array,
    to_cents,
)
from pipeline.assess.frame import LineFrame, build_line_frame, frame_from_records
from pipeline.assess.lookups import (
    OPEN_END,
    OPEN_START,
    Distinct,
    RowTable,
    day_number,
    distinct,
    first_in_window,
    from_day_number,
    goods_index,
    per_key,
    rows_covering,
)
from pipeline.assess.result import Assessment, Trail, UnassessableLine
from pipeline.assess.rules import (
    AMOUNTS,
    CLVS_RELIEVED_DUTIES,
    FILER_CHARGES,
    clvs_thresholds_for,
    gst_authority_for_goods,
    gst_exemption_for_goods,
    remission_for_goods,
)
from pipeline.findings import Finding
from pipeline.model import Declaration
from pipeline.money import MONEY_CONTEXT, scaled
from pipeline.parsers.records import LineRecords
from pipeline.reference.types import RATE_MAX_AGE_DAYS, ReferenceData

FX_MIN_DECIMALS = 6
PERCENT_MIN_DECIMALS = 4
PER_UNIT_MIN_DECIMALS = 6
COMBINE_CODES = {None: 0, "sum": 0, "max": 1, "min": 2}


def assess_declarations(declarations: Sequence[Declaration], reference: ReferenceData) -> Assessment:
    """Assess validated declarations in one batch. Pure: no I/O, no clock."""
    declarations = tuple(declarations)
    return assess_frame(build_line_frame(declarations), declarations, reference)


def assess_records(files: Sequence[LineRecords], declarations: Sequence[Declaration],
                   reference: ReferenceData) -> Assessment:
    """Assess validated declarations from what their readers recorded of them: ``files``, each file's records of
    the declarations assessed (``LineRecords.selected``), are together the records of ``declarations`` in order.
    Pure: no I/O, no clock."""
    recorded = sum(map(len, files))
    if recorded != len(declarations):
        raise ValueError(f"records of {recorded} declarations given for {len(declarations)} declarations")
    return assess_frame(frame_from_records(files), declarations, reference)


def _with_sentinel(values: np.ndarray) -> np.ndarray:
    """The array plus a trailing 0, so that gathering with id -1 ("no row") yields 0."""
    tail = np.zeros(1, dtype=values.dtype if values.dtype != bool else bool)
    return np.concatenate((values, tail))


_SECONDS_PER_DAY = 86400


def _day_numbers(moments: np.ndarray) -> np.ndarray:
    """Dates (``datetime64``) as days since 1970-01-01, as ``astype("datetime64[D]")`` gives them (which floors).
    Seconds are floor-divided directly: a third of the cost of the datetime cast."""
    if np.datetime_data(moments.dtype)[0] == "s" and len(moments):
        seconds = moments.view(np.int64)
        if int(seconds.min()) != np.iinfo(np.int64).min:  # NaT stays NaT through the cast, not through //
            return seconds // _SECONDS_PER_DAY
    return moments.astype("datetime64[D]").view(np.int64)


def _spread(values: np.ndarray, rows: np.ndarray, count: int) -> np.ndarray:
    """A column of ``count`` lines holding ``values`` at ``rows`` and 0 elsewhere (in the values' dtype)."""
    column = np.zeros(count, dtype=values.dtype)
    column[rows] = values
    return column


class _Batch:
    """One run of the engine: the frame's columns as arrays and the look-up tables being filled."""

    def __init__(self, frame: LineFrame, declarations: tuple[Declaration, ...], reference: ReferenceData) -> None:
        self.frame, self.declarations, self.reference = frame, declarations, reference
        lines = frame.lines
        self.rows = len(lines)
        self.declaration = lines["declaration"].to_numpy()
        self.position = lines["position"].to_numpy()
        self.line_number = lines["line"].to_numpy()
        # category codes in pandas' own narrow width (int8 for up to 127 categories): they are only compared and
        # used as indexes, and widening nine columns to int64 cost more than all the look-ups that use them
        self.codes = {name: lines[name].cat.codes.to_numpy() for name in _CATEGORIES}
        self.labels = {name: list(lines[name].cat.categories) for name in _CATEGORIES}
        self.release = _day_numbers(lines["release"].to_numpy())
        self.shipment = _day_numbers(lines["shipment"].to_numpy())
        self.value = lines["value"].to_numpy()
        self.quantity = lines["quantity"].to_numpy()
        self.tables: dict[str, list] = {}
        self.magnitudes: dict[str, int] = {}
        self.columns: dict[str, np.ndarray] = {}
        self.exponents: dict[str, int] = {
            "value": frame.value_exponent,
            "quantity": frame.quantity_exponent,
        }

    def magnitude(self, name: str, values: np.ndarray) -> int:
        """``fixed.magnitude`` of a column that does not change once it is asked about, worked out once."""
        found = self.magnitudes.get(name)
        if found is None:
            found = self.magnitudes[name] = magnitude(values)
        return found

    def label(self, name: str, row: int) -> str | None:
        code = self.codes[name][row]
        return None if code < 0 else self.labels[name][code]

    def where(self, row: int) -> str:
        declaration = self.declarations[int(self.declaration[row])]
        line = declaration.lines[int(self.position[row])]
        return f"declaration {declaration.transaction_number} line {line.number}"

    def fail(self, row: int, problem: str) -> UnassessableLine:
        return UnassessableLine(f"{self.where(row)}: {problem} (validation should have rejected it)")

    def per_declared_unit(self, rows: np.ndarray, row_ids: np.ndarray, amount_of, unit_of, name: str) -> np.ndarray:
        """For rows with a per-unit amount (dollars per some unit), the exact amount per *declared* unit at a batch
        exponent: amount × Units.factor(declared unit, the amount's unit), once per distinct (row id, unit). Returns
        the amounts of ``rows`` (in their order)."""
        factor_id = np.full(self.rows, -1, dtype=np.int64)
        if len(rows) == 0:
            self.exponents[name] = PER_UNIT_MIN_DECIMALS
            self.tables[name] = []
            return np.zeros(0, dtype=np.int64)
        keys = distinct(row_ids[rows], self.codes["unit"][rows])
        table = RowTable()

        def resolve(key: int) -> int:
            row = int(rows[keys.first[key]])
            declared, target = self.label("unit", row), unit_of(int(row_ids[row]))
            factor = self.reference.units.factor(declared, target or "")
            if factor is None:
                raise self.fail(row, f"no conversion from {declared!r} to {target!r}")
            per_unit = EXACT.multiply(amount_of(int(row_ids[row])), factor)
            return table.add((declared, target, factor, per_unit), key=(int(row_ids[row]), declared))

        ids = per_key(keys.count, resolve)
        amounts = [per_unit for _, _, _, per_unit in table.rows]
        exponent = scale_for(amounts, PER_UNIT_MIN_DECIMALS)
        scaled = scaled_array(amounts, exponent)
        factor_id[rows] = ids[keys.inverse]
        result = scaled[ids[keys.inverse]]
        self.exponents[name] = exponent
        self.tables[name] = table.rows
        self.columns[name + "_id"] = factor_id
        return result


_CATEGORIES = (
    "classification",
    "treatment",
    "origin",
    "currency",
    "unit",
    "special_authority",
    "gst_exemption",
    "excise_code",
    "sima_code",
)


def _named(batch: _Batch, column: str, table) -> list:
    """The reference row of each distinct code of a column (category order); an unknown code is a fault."""
    rows = []
    for index, code in enumerate(batch.labels[column]):
        if code not in table:
            raise batch.fail(int(np.flatnonzero(batch.codes[column] == index)[0]), f"unknown {column} {code!r}")
        rows.append(table[code])
    return rows


def _windowed(batch: _Batch, rows: np.ndarray, keys, find, table: RowTable) -> np.ndarray:
    """Per line of ``rows``, the id in ``table`` of the relief ``find(row)`` gives for the line's distinct key (goods
    and codes), kept where the relief's [start, end] window holds the line's release date; -1 elsewhere."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    found = [find(int(rows[first])) for first in keys.first]
    ids = np.array([-1 if relief is None else table.add(relief) for relief in found], dtype=np.int64)
    starts = np.array([day_number(getattr(r, "start", None), OPEN_START) for r in found], dtype=np.int64)
    ends = np.array([day_number(getattr(r, "end", None), OPEN_END) for r in found], dtype=np.int64)
    days = batch.release[rows]
    inside = (starts[keys.inverse] <= days) & (days <= ends[keys.inverse])
    return np.where(inside, ids[keys.inverse], -1)


def _exchange_rates(batch: _Batch) -> tuple[np.ndarray, list]:
    """The exchange rate of every line, as ``ExchangeRates.rate_for(currency, shipment date)`` gives it: that
    day's Bank of Canada rate or the latest published before it (a binary search per currency over the distinct
    (currency, shipment date) keys); CAD at 1. Returns an id per line into a table of the ExchangeRate rows used."""
    exchange = batch.reference.exchange_rates
    keys = distinct(batch.codes["currency"], batch.shipment)
    currency, days = batch.codes["currency"][keys.first], batch.shipment[keys.first]
    key_id = np.full(keys.count, -1, dtype=np.int64)
    table = RowTable()
    for code, name in enumerate(batch.labels["currency"]):
        at = np.flatnonzero(currency == code)
        if len(at) == 0:
            continue
        on = days[at]
        if name == "CAD":  # rate 1, "published" on the shipment date itself
            shipped = on.astype("datetime64[D]").tolist()  # the dates, as from_day_number gives them
            key_id[at] = [
                table.add(exchange.rate_for(name, day), key=("CAD", number))
                for day, number in zip(shipped, on.tolist(), strict=True)
            ]
            continue
        published_on, rows = exchange.published(name)
        published = np.fromiter(published_on, dtype=np.int64, count=len(published_on))
        position = np.searchsorted(published, on, side="right") - 1
        missing = position < 0
        if len(published):  # a rate older than RATE_MAX_AGE_DAYS is none, as ExchangeRates.rate_for says
            missing |= on - published[np.maximum(position, 0)] > RATE_MAX_AGE_DAYS
        if missing.any():
            row = int(keys.first[at[np.flatnonzero(missing)[0]]])
            raise batch.fail(row, f"no exchange rate for {name} on {from_day_number(batch.shipment[row])} or the "
                             f"{RATE_MAX_AGE_DAYS} days before it")
        ids = np.full(len(rows), -1, dtype=np.int64)
        used = np.unique(position)
        ids[used] = table.extend(map(rows.__getitem__, used.tolist()))  # each row once: no key to look up
        key_id[at] = ids[position]
    return key_id[keys.inverse], table.rows


#: ``decimals_of`` and ``money.scaled`` of the exchange rates, kept across batches: a batch shipped over two years
#: holds thousands of rates, the same from batch to batch. Equal Decimals ("1.38", "1.3800") share an entry, and
#: both functions give them the same answer. ``_scaled_rate`` serves the batches whose exponent is above the minimum.
_scaled_rate = lru_cache(maxsize=1 << 16)(scaled)


@lru_cache(maxsize=1 << 16)
def _rate_places_and_scaled(rate: Decimal) -> tuple[int, int | None]:
    """``decimals_of(rate)``, and the rate at FX_MIN_DECIMALS (None when it has more decimals): one look-up per
    rate where a batch's rates have no more decimals than the minimum, as Bank of Canada rates have."""
    places = decimals_of(rate)
    return places, scaled(rate, FX_MIN_DECIMALS) if places <= FX_MIN_DECIMALS else None


def _value_for_duty(batch: _Batch) -> np.ndarray:
    fx_id, rows = _exchange_rates(batch)
    rates = [fx.rate for fx in rows]
    found = list(map(_rate_places_and_scaled, rates))
    exponent = max([FX_MIN_DECIMALS, *(places for places, _ in found)])  # as scale_for, once per distinct rate
    if exponent == FX_MIN_DECIMALS:
        scaled_rates = [value for _, value in found]
    else:
        scaled_rates = [_scaled_rate(rate, exponent) for rate in rates]
    rate = int_array(scaled_rates)[fx_id]
    exact = multiply(batch.value, rate)
    batch.tables["fx"], batch.exponents["fx"] = rows, exponent
    batch.exponents["vfd_exact"] = batch.exponents["value"] + exponent
    batch.columns.update(fx_id=fx_id, vfd_exact=exact)
    return to_cents(exact, batch.exponents["vfd_exact"])


def _tariff_rates(batch: _Batch) -> np.ndarray:
    """The Rate id of every line: the tariff item in force on the release date (``Tariff.lookup``: the exact
    classification's versions first, then its 8-digit item's), then its rate for the line's treatment."""
    tariff = batch.reference.tariff
    classification = batch.codes["classification"]
    items = RowTable()
    candidates: dict[int, list[tuple[int, int, int]]] = {}
    for code, text in enumerate(batch.labels["classification"]):
        versions = [*tariff.items.get(text, ()), *tariff.items.get(text[:8], ())]
        candidates[code] = [
            (day_number(v.effective_from, OPEN_START), day_number(v.effective_to, OPEN_END), items.add(v))
            for v in versions
        ]
    item_id = first_in_window(classification, batch.release, candidates)  # per line: cheaper than per key
    if (item_id < 0).any():
        row = int(np.flatnonzero(item_id < 0)[0])
        raise batch.fail(row, f"classification {batch.label('classification', row)} not in the tariff on the release date")

    treatment = batch.codes["treatment"]
    rate_keys = distinct(item_id, treatment)
    rates = RowTable()

    def resolve(key: int) -> int:
        row = int(rate_keys.first[key])
        item = items.rows[item_id[row]]
        rate = item.rates.get(batch.label("treatment", row))
        if rate is None:
            raise batch.fail(row, f"classification {item.classification} offers no treatment {batch.label('treatment', row)}")
        if rate.ad_valorem is not None and rate.specific is not None and rate.combine not in ("max", "min", "sum"):
            raise batch.fail(row, f"rate {rate.text!r} has two parts and no way to combine them")
        return rates.add(rate, key=rate)

    rate_id = per_key(rate_keys.count, resolve)[rate_keys.inverse]
    batch.tables["items"], batch.tables["rates"] = items.rows, rates.rows
    batch.columns.update(item_id=item_id, rate_id=rate_id)
    return rate_id


def _customs_duty(batch: _Batch, vfd: np.ndarray) -> np.ndarray:
    rate_id = _tariff_rates(batch)
    rates = batch.tables["rates"]
    percent_exponent = scale_for([r.ad_valorem for r in rates if r.ad_valorem is not None], PERCENT_MIN_DECIMALS)
    percent = scaled_array([r.ad_valorem if r.ad_valorem is not None else Decimal(0) for r in rates], percent_exponent)
    combine = np.array([COMBINE_CODES[r.combine] for r in rates], dtype=np.int8)
    ad_valorem = multiply(vfd, percent[rate_id])
    ad_valorem_exponent = 2 + percent_exponent + 2  # cents × percent / 100

    # the specific part is computed on the lines whose rate has one, as in _sima
    with_specific = np.flatnonzero(np.array([r.specific is not None for r in rates], dtype=bool)[rate_id])
    per_unit = batch.per_declared_unit(
        with_specific,
        rate_id,
        lambda rid: rates[rid].specific,
        lambda rid: rates[rid].specific_unit,
        "specific",
    )
    specific = multiply(batch.quantity[with_specific], per_unit,
                        left_magnitude=batch.magnitude("quantity", batch.quantity))
    specific_exponent = batch.exponents["quantity"] + batch.exponents["specific"]

    exponent = max(ad_valorem_exponent, specific_exponent)
    ad_valorem = rescale(ad_valorem, ad_valorem_exponent, exponent)
    specific = _spread(rescale(specific, specific_exponent, exponent), with_specific, batch.rows)
    if ad_valorem.dtype == object or specific.dtype == object:
        ad_valorem, specific = as_object(ad_valorem), as_object(specific)
    exact = add(ad_valorem, specific)  # a new array: the lines whose rate takes the greater or lesser part are redone
    for code, pick in ((COMBINE_CODES["max"], np.maximum), (COMBINE_CODES["min"], np.minimum)):
        if (combine == code).any():
            rows = np.flatnonzero(combine[rate_id] == code)
            exact[rows] = pick(ad_valorem[rows], specific[rows])
    batch.exponents.update(percent=percent_exponent, duty_exact=exponent)
    batch.columns.update(ad_valorem_exact=ad_valorem, specific_exact=specific, duty_exact=exact)
    return to_cents(exact, exponent)


def _goods_origin_pairs(batch: _Batch) -> tuple[np.ndarray, Distinct]:
    """The lines whose origin a surtax rule or a SIMA measure names (no other line can owe either), and their
    distinct (classification, origin)."""
    reference = batch.reference
    countries = frozenset().union(
        *(rule.countries for rule in reference.surtaxes), *(measure.countries for measure in reference.sima.values())
    )
    named = np.array([origin in countries for origin in batch.labels["origin"]], dtype=bool)
    lines = np.flatnonzero(_with_sentinel(named)[batch.codes["origin"]])  # code -1 (no origin) reads the sentinel
    return lines, distinct(batch.codes["classification"][lines], batch.codes["origin"][lines])


def _first_by_goods_and_origin(
    batch: _Batch, pairs: tuple[np.ndarray, Distinct], rows: Sequence, table: RowTable
) -> np.ndarray:
    """Per line, the id (in ``table``) of the first of ``rows`` (surtax rules or SIMA measures, in table order)
    whose countries hold the origin, whose goods cover the classification and whose window holds the release
    date — the rule of ``ReferenceData.surtax_for`` / ``sima_for``. Goods and origin are matched once per
    distinct pair (``_goods_origin_pairs``: of the lines that may match); the windows only for the lines of pairs
    that have candidates."""
    subset, pairs = pairs
    index = goods_index([row.goods for row in rows])
    labels, codes = batch.labels["classification"], batch.codes["classification"]
    covering: dict[int, list[int]] = {}
    candidates: dict[int, list[tuple[int, int, int]]] = {}
    for pair, line in enumerate(subset[pairs.first].tolist()):
        origin = batch.label("origin", line)
        code = int(codes[line])
        if code not in covering:
            covering[code] = rows_covering(labels[code], index)
        found = [rows[i] for i in covering[code] if origin in rows[i].countries]
        if found:
            candidates[pair] = [
                (day_number(r.start, OPEN_START), day_number(r.end, OPEN_END), table.add(r)) for r in found
            ]
    chosen = np.full(batch.rows, -1, dtype=np.int64)
    if candidates:
        has = np.zeros(pairs.count, dtype=bool)
        has[list(candidates)] = True
        at = np.flatnonzero(has[pairs.inverse])
        lines = subset[at]
        chosen[lines] = first_in_window(pairs.inverse[at], batch.release[lines], candidates)
    return chosen


def _surtax(batch: _Batch, vfd: np.ndarray, pairs) -> np.ndarray:
    rules = RowTable()
    rule_id = _first_by_goods_and_origin(batch, pairs, batch.reference.surtaxes, rules)
    remissions = RowTable()
    rows = np.flatnonzero((rule_id >= 0) & (batch.codes["special_authority"] >= 0))

    def remission(row: int):
        return remission_for_goods(
            batch.reference, batch.label("special_authority", row), rules.rows[rule_id[row]],
            batch.label("classification", row),
        )

    subset = distinct(batch.codes["special_authority"][rows], batch.codes["classification"][rows], rule_id[rows])
    remission_id = np.full(batch.rows, -1, dtype=np.int64)
    remission_id[rows] = _windowed(batch, rows, subset, remission, remissions)
    exponent = scale_for([r.rate for r in rules.rows], PERCENT_MIN_DECIMALS)
    # computed on the lines with a rule and no remission only, as in _sima
    due = np.flatnonzero((rule_id >= 0) & (remission_id < 0))
    rate = scaled_array([r.rate for r in rules.rows], exponent)[rule_id[due]]
    exact = multiply(vfd[due], rate, left_magnitude=batch.magnitude("vfd", vfd))
    batch.tables.update(surtax_rules=rules.rows, surtax_remissions=remissions.rows)
    batch.exponents["surtax_exact"] = exponent + 4
    batch.columns.update(
        surtax_rule=rule_id, surtax_remission=remission_id, surtax_exact=_spread(exact, due, batch.rows)
    )
    return _spread(to_cents(exact, exponent + 4), due, batch.rows)


def _sima(batch: _Batch, vfd: np.ndarray, pairs) -> np.ndarray:
    measures = RowTable()
    found = _first_by_goods_and_origin(batch, pairs, list(batch.reference.sima.values()), measures)
    named = batch.codes["sima_code"]
    by_code = np.array([measures.add(m) for m in _named(batch, "sima_code", batch.reference.sima)], dtype=np.int64)
    measure_id = np.where(named >= 0, _with_sentinel(by_code)[named], found) if len(by_code) else found
    table = measures.rows

    percent_exponent = scale_for([m.percent for m in table if m.percent is not None], PERCENT_MIN_DECIMALS)
    # computed on the lines under a measure only (the others owe nothing), as the whole column would be: the
    # operands' magnitudes are those of the whole columns (0 elsewhere), so int64 or Python ints are chosen alike
    under = np.flatnonzero(measure_id >= 0)
    ids = measure_id[under]
    percent = scaled_array([m.percent if m.percent is not None else Decimal(0) for m in table], percent_exponent)[ids]
    percent_part = multiply(vfd[under], percent, left_magnitude=batch.magnitude("vfd", vfd))
    percent_exponent_exact = percent_exponent + 4

    has_per_unit = np.array([m.per_unit is not None for m in table], dtype=bool)[ids]
    per_unit = batch.per_declared_unit(
        under[has_per_unit], measure_id, lambda mid: table[mid].per_unit, lambda mid: table[mid].unit, "sima_unit"
    )
    per_unit = _spread(per_unit, np.flatnonzero(has_per_unit), len(under))
    unit_part = multiply(batch.quantity[under], per_unit, left_magnitude=batch.magnitude("quantity", batch.quantity))
    unit_exponent = batch.exponents["quantity"] + batch.exponents["sima_unit"]

    exponent = max(percent_exponent_exact, unit_exponent)
    exact = add(rescale(percent_part, percent_exponent_exact, exponent), rescale(unit_part, unit_exponent, exponent))
    batch.tables["sima_measures"] = table
    batch.exponents.update(sima_percent=percent_exponent, sima_exact=exponent)
    batch.columns.update(sima_measure=measure_id, sima_exact=_spread(exact, under, batch.rows))
    return _spread(to_cents(exact, exponent), under, batch.rows)


def _excise(batch: _Batch) -> tuple[np.ndarray, np.ndarray]:
    codes = batch.codes["excise_code"]
    excise = _named(batch, "excise_code", batch.reference.excise)
    coded = np.flatnonzero(codes >= 0)  # computed on these lines only, as in _sima
    per_unit = batch.per_declared_unit(
        coded, codes, lambda cid: excise[cid].per_unit, lambda cid: excise[cid].unit, "excise_unit"
    )
    exact = multiply(batch.quantity[coded], per_unit, left_magnitude=batch.magnitude("quantity", batch.quantity))
    exponent = batch.exponents["quantity"] + batch.exponents["excise_unit"]
    cents = to_cents(exact, exponent)
    kinds = codes[coded]
    is_duty = np.array([e.kind == "duty" for e in excise], dtype=bool)[kinds]
    is_tax = np.array([e.kind == "tax" for e in excise], dtype=bool)[kinds]
    batch.tables["excise"] = excise
    batch.exponents["excise_exact"] = exponent
    batch.columns.update(excise_id=codes.astype(np.int64), excise_exact=_spread(exact, coded, batch.rows))
    return _spread(cents[is_duty], coded[is_duty], batch.rows), _spread(cents[is_tax], coded[is_tax], batch.rows)


def _clvs(batch: _Batch, vfd: np.ndarray) -> np.ndarray:
    """The CLVS threshold id of every line (-1 for none): its shipment's summed VFD against the thresholds of its
    origin, the lowest threshold not exceeded (``rules.clvs_threshold``)."""
    threshold_id = np.full(batch.rows, -1, dtype=np.int64)
    shipment_vfd = np.zeros(batch.rows, dtype=np.int64)
    rows = np.flatnonzero(batch.frame.lines["clvs"].to_numpy())
    thresholds = RowTable()
    if len(rows):
        ids = batch.frame.lines["shipment_id"].to_numpy()[rows]
        values = vfd[rows]
        if values.dtype == object or magnitude(values) * len(values) >= INT64_LIMIT:
            values = as_object(values)
        sums = np.zeros(int(ids.max()) + 1, dtype=values.dtype)
        np.add.at(sums, ids, values)
        totals = narrow(sums[ids])
        shipment_vfd = np.zeros(batch.rows, dtype=totals.dtype)
        shipment_vfd[rows] = totals
        origins = batch.codes["origin"][rows]
        chosen = np.full(len(rows), -1, dtype=np.int64)
        for origin in np.unique(origins):
            in_group = origins == origin
            for threshold in reversed(clvs_thresholds_for(batch.reference.clvs, batch.labels["origin"][origin])):
                limit = int(MONEY_CONTEXT.multiply(threshold.max_vfd, Decimal(100)).to_integral_value(ROUND_FLOOR))
                chosen[in_group & (totals <= limit)] = thresholds.add(threshold, key=id(threshold))
        threshold_id[rows] = chosen
    batch.tables["clvs"] = thresholds.rows
    batch.columns.update(clvs_threshold=threshold_id, shipment_vfd=shipment_vfd)
    return threshold_id


def _gst(batch: _Batch, vft: np.ndarray, gst_free: np.ndarray) -> np.ndarray:
    reliefs = RowTable()
    exemption, authority = batch.codes["gst_exemption"], batch.codes["special_authority"]
    rows = np.flatnonzero((exemption >= 0) | (authority >= 0))
    subset = distinct(exemption[rows], authority[rows], batch.codes["classification"][rows])

    def exempted(row: int):
        return gst_exemption_for_goods(batch.reference, batch.label("gst_exemption", row), batch.label("classification", row))

    def authorised(row: int):
        return gst_authority_for_goods(batch.reference, batch.label("special_authority", row), batch.label("classification", row))

    by_exemption = _windowed(batch, rows, subset, exempted, reliefs)
    by_authority = _windowed(batch, rows, subset, authorised, reliefs)
    relief_id = np.full(batch.rows, -1, dtype=np.int64)
    relief_id[rows] = np.where(by_exemption >= 0, by_exemption, by_authority)  # an exemption first (rules.gst_relief)
    exponent = scale_for([batch.reference.gst_rate], PERCENT_MIN_DECIMALS)
    rate = scaled_array([batch.reference.gst_rate], exponent)
    exact = multiply(vft, rate)
    exact[np.flatnonzero((relief_id >= 0) | gst_free)] = 0  # exact is multiply's new array
    batch.tables.update(gst_reliefs=reliefs.rows, gst_rate=[batch.reference.gst_rate])
    batch.exponents.update(gst_rate=exponent, gst_exact=exponent + 4)
    batch.columns.update(gst_relief=relief_id, gst_exact=exact)
    return to_cents(exact, exponent + 4)


def _sum_of(batch: _Batch, amounts: dict[str, np.ndarray], names: list[str]) -> np.ndarray:
    """``add`` of some final amounts, each one's magnitude worked out once in the run (``_Batch.magnitude``)."""
    terms = [amounts[name] for name in names]
    if any(term.dtype == object for term in terms):
        return add(*terms)
    return add(*terms, magnitudes=[batch.magnitude(name, amounts[name]) for name in names])


def _declaration_sums(
    batch: _Batch, name: str, values: np.ndarray, starts: np.ndarray, every_declaration_has_lines: bool
) -> np.ndarray:
    """The sums of an amount per declaration: ``values`` are the final ``name`` amounts (as ``_sum_of`` saw them)."""
    if values.dtype == object or batch.magnitude(name, values) * max(1, len(values)) >= INT64_LIMIT:
        values = as_object(values)
    if every_declaration_has_lines:  # one pass
        return narrow(np.add.reduceat(values, starts[:-1]))
    running = np.concatenate((np.zeros(1, dtype=values.dtype), np.cumsum(values)))
    return narrow(running[starts[1:]] - running[starts[:-1]])


def _warnings(batch: _Batch, amounts: dict[str, np.ndarray]) -> tuple[tuple[Finding, ...], ...]:
    """W01 and W03 of the batch, found with array operations and written in bulk (``checks``), per declaration in
    the oracle's order: by line, then W01 by filer amount, then W03 surtax, then W03 SIMA."""
    parts = [_filer_differences(batch, amounts), *_undeclared(batch, amounts)]
    rows = np.concatenate([part[0] for part in parts])
    if len(rows) == 0:
        return ((),) * len(batch.declarations)
    kinds = np.concatenate([np.full(len(part[0]), kind) for kind, part in enumerate(parts)])
    indexes = np.concatenate([part[1] for part in parts])
    findings = [finding for part in parts for finding in part[2]]
    order = np.lexsort((indexes, kinds, rows))
    declaration = batch.declaration[rows[order]]
    bounds = np.flatnonzero(np.diff(declaration)) + 1
    warnings: list[tuple[Finding, ...]] = [()] * len(batch.declarations)
    ordered = [findings[k] for k in order.tolist()]
    starts, ends = [0, *bounds.tolist()], [*bounds.tolist(), len(order)]
    for index, start, end in zip(declaration[starts].tolist(), starts, ends, strict=True):
        warnings[index] = tuple(ordered[start:end])
    return tuple(warnings)


def _source_lines(batch: _Batch, rows: np.ndarray) -> tuple[list[Declaration], list, list[int]]:
    """The declarations, lines and line numbers of some rows."""
    declarations = [batch.declarations[d] for d in batch.declaration[rows].tolist()]
    lines = [d.lines[p] for d, p in zip(declarations, batch.position[rows].tolist(), strict=True)]
    return declarations, lines, batch.line_number[rows].tolist()


def _filer_differences(batch: _Batch, amounts: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, list[Finding]]:
    """W01: the filer amounts of a known charge type that differ from the assessed amount (row, index, finding)."""
    filer = batch.frame.filer
    none = np.zeros(0, dtype=np.int64)
    if len(filer) == 0:
        return none, none, []
    charge_codes, charge_names = filer["charge"].cat.codes.to_numpy(), list(filer["charge"].cat.categories)
    known_codes = [code for code, name in enumerate(charge_names) if name in FILER_CHARGES]
    known = np.flatnonzero(np.isin(charge_codes, known_codes))
    rows, indexes = filer["row"].to_numpy()[known], filer["index"].to_numpy()[known]
    codes = charge_codes[known]
    huge = any(amounts[charge].dtype == object for charge in FILER_CHARGES.values())
    assessed = np.zeros(len(known), dtype=object if huge else np.int64)
    for code in known_codes:  # compared as category codes: comparing the charge texts is far slower
        mask = codes == code
        assessed[mask] = amounts[FILER_CHARGES[charge_names[code]]][rows[mask]]
    texts = filer["amount"].to_numpy(dtype=object)
    differs, declared = _compare_filed(texts if len(known) == len(texts) else texts[known], assessed)
    rows, indexes = rows[differs], indexes[differs]
    declarations, lines, numbers = _source_lines(batch, rows)
    filed = [line.filer_amounts[index] for line, index in zip(lines, indexes.tolist(), strict=True)]
    findings = filer_differences(
        declarations, lines, numbers, filed, [FILER_CHARGES[amount.charge_type] for amount in filed],
        declared, assessed[differs],
    )
    return rows, indexes, findings


def _compare_filed(texts: np.ndarray, assessed: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Whether each filer amount text differs from the assessed cents, exactly as ``checks.filer_amount_value``
    reads it ("110.4" equals 110.40; a text that is no number differs from any amount), and how W01 quotes the
    differing ones (in their order). A batch repeats a few texts ("0.00") thousands of times: each distinct text is
    read once, plain ones as arrays (``_filed_cents``), the others one by one."""
    inverse, uniques = pd.factorize(texts)  # half the time of use_na_sentinel=False, which looks for NAs first
    if len(inverse) and int(inverse.min()) < 0:  # a missing text (None): no number, read as the others are
        inverse, uniques = pd.factorize(texts, use_na_sentinel=False)
    distinct_texts = uniques.tolist()
    parsed = plain_decimals(distinct_texts) if distinct_texts else None
    if parsed is None:  # no text is plain (or there is none)
        nothing = np.zeros(len(distinct_texts), dtype=np.int64)
        parsed = nothing, nothing, nothing.astype(bool)
    units, decimals, plain = parsed
    cents, comparable = _filed_cents(units, decimals, plain)
    if assessed.dtype == object and cents.dtype != object:
        cents = cents.astype(object)
    differs = np.asarray(cents[inverse] != assessed, dtype=bool) | ~comparable[inverse]
    odd = np.flatnonzero(~plain[inverse])
    if len(odd):
        values = {code: parse_filer_text(distinct_texts[code]) for code in np.unique(inverse[odd]).tolist()}
        for k, code in zip(odd.tolist(), inverse[odd].tolist(), strict=True):
            value = values[code]
            differs[k] = value is None or value != Decimal(int(assessed[k])).scaleb(-2)
    shown = inverse[differs]
    return differs, _quoted(distinct_texts, parsed, np.unique(shown))[shown].tolist()


def _filed_cents(units: np.ndarray, decimals: np.ndarray, plain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per filer amount text read by ``plain_decimals``: its exact value in cents, and whether it has one (a plain
    text with more than two decimals that are not all zeros equals no amount in cents; texts that are not plain are
    not compared here)."""
    cents = np.zeros(len(units), dtype=np.int64)
    comparable = np.zeros(len(units), dtype=bool)
    for places in np.unique(decimals[plain]).tolist():
        group = np.flatnonzero(plain & (decimals == places))
        if places <= 2:
            value, exact = rescale(units[group], places, 2), True
        else:  # units ≥ 0 with at most 18 digits, so that 10**(places - 2) fits in int64
            value, rest = np.divmod(units[group], 10 ** (places - 2))
            exact = rest == 0
        if value.dtype == object and cents.dtype != object:
            cents = cents.astype(object)
        cents[group], comparable[group] = value, exact
    return cents, comparable


def _quoted(texts: list[str], parsed: tuple[np.ndarray, np.ndarray, np.ndarray], needed: np.ndarray) -> np.ndarray:
    """How W01 quotes the ``needed`` texts (by position; the others are left None): a plain text (``parsed``: as
    ``plain_decimals`` read them) rounded to the cent by ``to_cents``, any other as ``checks.declared_text`` does."""
    units, decimals, plain = parsed
    quotes = np.full(len(texts), None, dtype=object)
    needed_plain = needed[plain[needed]]
    for places in np.unique(decimals[needed_plain]).tolist():
        at = needed_plain[decimals[needed_plain] == places]
        quotes[at] = cents_texts(to_cents(units[at], places))
    for k in needed[~plain[needed]].tolist():
        quotes[k] = declared_text(parse_filer_text(texts[k]), texts[k])
    return quotes


def _undeclared(batch: _Batch, amounts: dict[str, np.ndarray]) -> list[tuple[np.ndarray, np.ndarray, list[Finding]]]:
    """W03: surtax due on a line without a SUR filer amount; SIMA duty due on a line without a SIMA code."""
    filer = batch.frame.filer
    declared_surtax = np.zeros(batch.rows, dtype=bool)
    if len(filer):
        declared_surtax[filer["row"].to_numpy()[(filer["charge"] == "SUR").to_numpy()]] = True
    found = []
    for text, charge, due, table, column, name in (
        (SURTAX_TEXT, "surtax", ~declared_surtax, "surtax_rules", "surtax_rule", attrgetter("order")),
        (SIMA_TEXT, "sima", batch.codes["sima_code"] < 0, "sima_measures", "sima_measure", attrgetter("code")),
    ):
        rows = np.flatnonzero((amounts[charge] > 0) & due)
        declarations, lines, numbers = _source_lines(batch, rows)
        authorities = [name(batch.tables[table][i]) for i in batch.columns[column][rows].tolist()]
        findings = undeclared_charges(text, declarations, lines, numbers, authorities, amounts[charge][rows])
        found.append((rows, np.zeros(len(rows), dtype=np.int64), findings))
    return found


def assess_frame(frame: LineFrame, declarations: Sequence[Declaration], reference: ReferenceData) -> Assessment:
    """Assess a batch already turned into a LineFrame (``build_line_frame(declarations)``)."""
    declarations = tuple(declarations)
    batch = _Batch(frame, declarations, reference)
    vfd = _value_for_duty(batch)
    customs_duty = _customs_duty(batch, vfd)
    pairs = _goods_origin_pairs(batch)
    surtax = _surtax(batch, vfd, pairs)
    sima = _sima(batch, vfd, pairs)
    excise_duty, excise_tax = _excise(batch)
    amounts = {
        "vfd": vfd,
        "customs_duty": customs_duty,
        "surtax": surtax,
        "sima": sima,
        "excise_duty": excise_duty,
        "excise_tax": excise_tax,
    }
    threshold_id = _clvs(batch, vfd)
    thresholds = batch.tables["clvs"]
    duty_free = _with_sentinel(np.array([t.duty_free for t in thresholds], dtype=bool))[threshold_id]
    gst_free = _with_sentinel(np.array([t.gst_free for t in thresholds], dtype=bool))[threshold_id]
    free_rows = np.flatnonzero(duty_free)
    if len(free_rows):  # a few rows zeroed, in a copy where the array is also a column of the trail or the frame
        kept = [*batch.columns.values(), batch.value, batch.quantity, vfd]
        for charge in CLVS_RELIEVED_DUTIES:
            if any(np.may_share_memory(amounts[charge], other) for other in kept):
                amounts[charge] = amounts[charge].copy()
            amounts[charge][free_rows] = 0
    amounts["vft"] = _sum_of(batch, amounts, ["vfd", *CLVS_RELIEVED_DUTIES])
    amounts["gst"] = _gst(batch, amounts["vft"], gst_free)
    amounts["total"] = _sum_of(batch, amounts, [*CLVS_RELIEVED_DUTIES, "gst"])
    amounts = {name: narrow(values) for name, values in amounts.items()}

    lines = frame.lines
    table = pd.DataFrame(
        {
            "declaration": lines["declaration"],
            "position": lines["position"],
            "line": lines["line"],
            "classification": lines["classification"],
            "treatment": lines["treatment"],
            "origin": lines["origin"],
            **{name: amounts[name] for name in AMOUNTS},
        },
        copy=False,
    )
    counts = np.bincount(batch.declaration, minlength=len(declarations)) if batch.rows else np.zeros(len(declarations), dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    has_lines = len(starts) > 1 and bool((starts[1:] > starts[:-1]).all())
    totals = pd.DataFrame(
        {name: _declaration_sums(batch, name, amounts[name], starts, has_lines) for name in AMOUNTS}, copy=False
    )
    warnings = _warnings(batch, amounts)
    trail = Trail(pd.DataFrame(batch.columns, copy=False), batch.tables, batch.exponents)
    return Assessment(declarations, table, totals, warnings, trail, starts)
