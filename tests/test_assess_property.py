"""Property: the vectorized engine gives exactly the Decimal oracle's amounts, totals and warnings, for random
valid batches built from the real reference data (every rate form of the tariff sample, several currencies
including JPY, dates across exchange-rate and order changes, SIMA, excise, GST reliefs, CLVS, filer amounts)."""

from __future__ import annotations

import functools
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.assess import assess_declaration_decimal, assess_declarations
from pipeline.assess.rules import AMOUNTS
from pipeline.model import FILER_CHARGE_TYPES
from pipeline.money import to_cents
from pipeline.reference.types import covers, in_window
from tests.test_assess_support import GST_BREAK, declaration, filed, line, reference

ORIGINS = ("US", "MX", "CN", "DE", "IN", "JP", "GB", "KR", "VN")
CURRENCIES = ("CAD", "USD", "EUR", "JPY", "GBP", "MXN", "CNY")
UNITS = ("KGM", "TNE", "GRM", "LTR", "HLT", "NMB", "C62", "MIL", "DZN", "PR", "MTK")
FIRST_RATE = date(2023, 12, 27)  # the first Bank of Canada observation shipped
LAST_USABLE_RATE_DAY = date(2026, 1, 6)  # the last one shipped (2025-12-30) + 7 days; later shipments are B14
INTERESTING_DATES = tuple(date.fromisoformat(d) for d in (
    "2024-12-13", "2024-12-14", "2025-02-15", "2025-02-16", "2025-05-02", "2025-05-03", "2025-12-30", "2025-12-31",
    "2026-09-07", "2026-09-08"))


@functools.cache
def classifications() -> tuple[str, ...]:
    return tuple(sorted(reference().tariff.items))


@functools.cache
def surtaxed_or_measured() -> tuple[str, ...]:
    """Classifications some surtax order or SIMA measure covers, drawn more often so both get exercised."""
    ref = reference()
    goods = [rule.goods for rule in ref.surtaxes] + [measure.goods for measure in ref.sima.values()]
    return tuple(code for code in classifications() if any(covers(g, code) for g in goods))


def _units_for(targets: list[str]) -> list[str]:
    units = reference().units
    return [u for u in UNITS if all(units.factor(u, target) is not None for target in targets)]


@st.composite
def a_date(draw) -> date:
    if draw(st.booleans()):
        return draw(st.sampled_from(INTERESTING_DATES))
    return date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 3 * 365 + 180)))


def decimal_text(draw, low: int, high: int, decimals: int) -> str:
    units = draw(st.integers(low * 10**decimals, high * 10**decimals))
    if decimals == 0:
        return str(units)
    whole, fraction = divmod(units, 10**decimals)
    return f"{whole}.{fraction:0{decimals}d}"


@st.composite
def a_line(draw, number: int, released: date, currency: str, clvs: bool):
    ref = reference()
    hot = draw(st.integers(0, 2)) == 0
    classification = draw(st.sampled_from(surtaxed_or_measured() if hot else classifications()))
    item = ref.tariff.lookup(classification, released)
    mfn = "2" in item.rates and draw(st.booleans())
    treatment = "2" if mfn else draw(st.sampled_from(sorted(item.rates)))
    origin = {"10": "US", "11": "MX"}.get(treatment) or draw(st.sampled_from(("US", "CN") if hot else ORIGINS))
    rate = item.rates[treatment]
    targets = [rate.specific_unit] if rate.specific is not None else []

    measure = ref.sima_for(classification, origin, released)
    if measure is not None and measure.per_unit is not None:
        targets.append(measure.unit)
    sima = measure.code if measure is not None and draw(st.booleans()) else None

    excise_codes = [e for e in ref.excise.values() if covers(e.goods, classification) and _units_for([*targets, e.unit])]
    excise = draw(st.sampled_from(excise_codes)) if excise_codes and draw(st.integers(0, 3)) == 0 else None
    if excise is not None:
        targets.append(excise.unit)
    unit = draw(st.sampled_from(_units_for(targets)))

    exemptions = [g.code for g in ref.gst_exemptions.values() if covers(g.goods, classification)]
    authorities = [a.code for a in ref.special_authorities.values()
                   if covers(a.goods, classification) and in_window(released, a.start, a.end)]
    decimals = ref.currencies.get(currency, 2)
    if draw(st.integers(0, 30)) == 0:  # now and then, amounts far beyond int64 cents
        value = decimal_text(draw, 10**15, 10**18, decimals)
        quantity = decimal_text(draw, 10**12, 10**16, 3)
    else:
        value = decimal_text(draw, 0, 200 if clvs else 100_000, decimals)
        quantity = decimal_text(draw, 0, 50_000, draw(st.integers(0, 3)))
    amounts = draw(st.lists(st.tuples(st.sampled_from(FILER_CHARGE_TYPES), st.integers(0, 50_000)), max_size=3))
    return line(
        number,
        classification=classification,
        treatment=treatment,
        origin=origin,
        unit=unit,
        quantity=quantity,
        value=value,
        sima=sima,
        excise_code=excise.code if excise is not None else None,
        gst_exemption=draw(st.sampled_from(exemptions)) if exemptions and draw(st.integers(0, 4)) == 0 else None,
        special_authority=draw(st.sampled_from(authorities)) if authorities and draw(st.booleans()) else None,
        cargo_control=draw(st.sampled_from(["8000A1", "8000A2", "8000A3"])) if clvs else None,
        filer_amounts=tuple(filed(charge, f"{cents // 100}.{cents % 100:02d}", f"TAX#{10 + k}")
                            for k, (charge, cents) in enumerate(amounts)),
    )


@st.composite
def a_declaration(draw, index: int):
    released = draw(a_date())
    currency = draw(st.sampled_from(CURRENCIES))
    earliest = FIRST_RATE if currency != "CAD" else released - timedelta(days=30)
    shipped = max(earliest, released - timedelta(days=draw(st.integers(0, 12))))
    if currency != "CAD":
        shipped = min(shipped, LAST_USABLE_RATE_DAY)
    clvs = draw(st.integers(0, 3)) == 0
    count = draw(st.integers(1, 5))
    lines = [draw(a_line(number, released, currency, clvs)) for number in range(1, count + 1)]
    return declaration(
        *lines, transaction_number=f"1020700000{index:04d}", currency=currency, cad_type="C" if clvs else "AB",
        release_date=released.isoformat(), shipment_date=shipped.isoformat(), document_date=released.isoformat(),
    )


@st.composite
def a_batch(draw):
    return [draw(a_declaration(index)) for index in range(draw(st.integers(1, 4)))]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(a_batch())
def test_engine_equals_the_oracle(batch):
    ref = reference()
    assessment = assess_declarations(batch, ref)
    for index, declared in enumerate(batch):
        oracle = assess_declaration_decimal(declared, ref)
        rows = assessment.line_rows(index)
        engine_lines = [{name: int(getattr(row, name)) for name in AMOUNTS} for row in rows.itertuples()]
        assert engine_lines == [{name: to_cents(line_[name]) for name in AMOUNTS} for line_ in oracle["lines"]]
        assert assessment.declaration_totals(index) == {name: to_cents(oracle["totals"][name]) for name in AMOUNTS}
        assert list(assessment.warnings[index]) == oracle["warnings"]


def test_the_gst_break_code_is_among_the_drawn_authorities():
    # the property above only exercises the GST/HST break if the shipped code covers some sample goods
    ref = reference()
    authority = ref.special_authorities[GST_BREAK]
    assert any(covers(authority.goods, code) for code in classifications())
