"""The reference implementation: one line at a time, in Decimal, following spec/assessment.md step by step.

Slow on purpose and written to be checked by reading. Every multiplication runs in an exact context (a result
that would need rounding raises instead), and the only rounding is ``round_cents``, once per charge, before the
next step uses it. Tests and the benchmark compare the vectorized engine with it.
"""

from __future__ import annotations

import decimal
from datetime import date
from decimal import Decimal

from pipeline.assess.checks import filer_amount_value, filer_difference, undeclared_sima, undeclared_surtax
from pipeline.assess.result import UnassessableLine
from pipeline.assess.rules import (
    AMOUNTS,
    CLVS_RELIEVED_DUTIES,
    DUTIES,
    FILER_CHARGES,
    clvs_threshold,
    gst_relief,
    surtax_remission,
)
from pipeline.findings import Finding
from pipeline.model import Declaration, Line
from pipeline.money import MONEY_CONTEXT, ZERO, round_cents, to_cents
from pipeline.reference.types import ClvsThreshold, Rate, ReferenceData, Units

EXACT = MONEY_CONTEXT.copy()
EXACT.traps[decimal.Inexact] = True  # a product or quotient that is not exact is a bug, never a rounding
HUNDRED = Decimal(100)


def _sum(*terms: Decimal) -> Decimal:
    total = ZERO
    for term in terms:
        total = EXACT.add(total, term)
    return total


def _times(*factors: Decimal) -> Decimal:
    product = Decimal(1)
    for factor in factors:
        product = EXACT.multiply(product, factor)
    return product


def _percent_of(base: Decimal, percent: Decimal) -> Decimal:
    return EXACT.divide(_times(base, percent), HUNDRED)


def _quantity_in(quantity: Decimal, declared_unit: str, unit: str, units: Units, line: Line) -> Decimal:
    factor = units.factor(declared_unit, unit)
    if factor is None:
        raise UnassessableLine(f"line {line.number}: no conversion from {declared_unit!r} to {unit!r}")
    return _times(quantity, factor)


def customs_duty_exact(rate: Rate, vfd: Decimal, quantity: Decimal, declared_unit: str, units: Units, line: Line) -> Decimal:
    """Step 2 before rounding: Free, ad valorem, specific, or the compound of both parts."""
    if rate.is_free:
        return ZERO
    ad_valorem = _percent_of(vfd, rate.ad_valorem) if rate.ad_valorem is not None else None
    specific = (
        _times(_quantity_in(quantity, declared_unit, rate.specific_unit or "", units, line), rate.specific)
        if rate.specific is not None
        else None
    )
    if ad_valorem is None:
        return specific
    if specific is None:
        return ad_valorem
    if rate.combine == "max":  # "… but not less than …"
        return max(ad_valorem, specific)
    if rate.combine == "min":  # "… but not more than …"
        return min(ad_valorem, specific)
    if rate.combine == "sum":  # "… plus …"
        return _sum(ad_valorem, specific)
    raise UnassessableLine(f"line {line.number}: rate {rate.text!r} has two parts and no way to combine them")


def value_for_duty_decimal(declaration: Declaration, line: Line, reference: ReferenceData) -> Decimal:
    """Step 1: value × the Bank of Canada rate of the shipment date (or the latest before), to the cent."""
    currency = line.value_currency or declaration.currency
    fx = reference.exchange_rates.rate_for(currency, date.fromisoformat(declaration.shipment_date))
    if fx is None:
        raise UnassessableLine(f"line {line.number}: no exchange rate for {currency} on {declaration.shipment_date}")
    return round_cents(_times(Decimal(line.value), fx.rate))


def assess_line_decimal(
    declaration: Declaration,
    line: Line,
    reference: ReferenceData,
    *,
    clvs: ClvsThreshold | None = None,
) -> dict[str, Decimal]:
    """The amounts of one line (keys of ``rules.AMOUNTS``), each rounded to the cent. ``clvs`` is the
    low-value-shipment threshold the line's shipment falls under, if any."""
    released = date.fromisoformat(declaration.release_date)
    quantity = Decimal(line.quantity)
    amounts: dict[str, Decimal] = {}

    # 1. Value for duty.
    amounts["vfd"] = vfd = value_for_duty_decimal(declaration, line, reference)

    # 2. Customs duty, by the classification's rate for the treatment in force on the release date.
    item = reference.tariff.lookup(line.classification, released)
    rate = item.rates.get(line.treatment) if item is not None else None
    if rate is None:
        raise UnassessableLine(f"line {line.number}: no rate for {line.classification} treatment {line.treatment}")
    amounts["customs_duty"] = round_cents(customs_duty_exact(rate, vfd, quantity, line.unit, reference.units, line))

    # 3. Surtax, unless a special authority remits it for these goods.
    rule = reference.surtax_for(line.classification, line.origin, released)
    remitted = rule is not None and surtax_remission(
        reference, line.special_authority, rule, line.classification, released
    )
    amounts["surtax"] = round_cents(_percent_of(vfd, rule.rate)) if rule is not None and not remitted else ZERO

    # 4. SIMA duty: the measure the line names, else the one covering the goods and origin.
    if line.sima and line.sima not in reference.sima:
        raise UnassessableLine(f"line {line.number}: unknown SIMA code {line.sima!r}")
    measure = reference.sima[line.sima] if line.sima else reference.sima_for(line.classification, line.origin, released)
    sima = ZERO
    if measure is not None:
        if measure.percent is not None:
            sima = _sum(sima, _percent_of(vfd, measure.percent))
        if measure.per_unit is not None:
            in_unit = _quantity_in(quantity, line.unit, measure.unit or "", reference.units, line)
            sima = _sum(sima, _times(in_unit, measure.per_unit))
    amounts["sima"] = round_cents(sima)

    # 5. Excise duty or excise tax, by the line's one excise code.
    amounts["excise_duty"] = amounts["excise_tax"] = ZERO
    if line.excise_code:
        excise = reference.excise.get(line.excise_code)
        if excise is None:
            raise UnassessableLine(f"line {line.number}: unknown excise code {line.excise_code!r}")
        in_unit = _quantity_in(quantity, line.unit, excise.unit, reference.units, line)
        amounts["excise_duty" if excise.kind == "duty" else "excise_tax"] = round_cents(_times(in_unit, excise.per_unit))

    # Courier low-value shipment: a duty-free shipment owes no duty of any kind.
    if clvs is not None and clvs.duty_free:
        for charge in CLVS_RELIEVED_DUTIES:
            amounts[charge] = ZERO

    # 6. Value for tax.
    amounts["vft"] = _sum(vfd, *(amounts[charge] for charge in DUTIES))

    # 7. GST, unless an exemption, a special authority or the CLVS threshold relieves it.
    relieved = gst_relief(reference, line.gst_exemption, line.special_authority, line.classification, released)
    if relieved is not None or (clvs is not None and clvs.gst_free):
        amounts["gst"] = ZERO
    else:
        amounts["gst"] = round_cents(_percent_of(amounts["vft"], reference.gst_rate))

    # 8. Line total.
    amounts["total"] = _sum(*(amounts[charge] for charge in DUTIES), amounts["gst"])
    return {name: amounts[name] for name in AMOUNTS}


def _shipment_thresholds(declaration: Declaration, reference: ReferenceData) -> list[ClvsThreshold | None]:
    """For a CLVS declaration, the threshold of each line's shipment (lines sharing a cargo control number are
    one shipment, judged on their summed VFD; a line without a number is a shipment of its own)."""
    if declaration.cad_type != "C":
        return [None] * len(declaration.lines)
    vfds = [value_for_duty_decimal(declaration, line, reference) for line in declaration.lines]
    keys = [line.cargo_control or f"#{position}" for position, line in enumerate(declaration.lines)]
    shipment_vfd: dict[str, Decimal] = {}
    for key, vfd in zip(keys, vfds, strict=True):
        shipment_vfd[key] = _sum(shipment_vfd.get(key, ZERO), vfd)
    return [
        clvs_threshold(reference.clvs, line.origin, shipment_vfd[key]) for key, line in zip(keys, declaration.lines, strict=True)
    ]


def _warnings(declaration: Declaration, line: Line, amounts: dict[str, Decimal], reference: ReferenceData) -> list[Finding]:
    found: list[Finding] = []
    for filed in line.filer_amounts:
        charge = FILER_CHARGES.get(filed.charge_type)
        if charge is not None and filer_amount_value(filed) != amounts[charge]:
            found.append(filer_difference(declaration, line, filed, charge, to_cents(amounts[charge])))
    released = date.fromisoformat(declaration.release_date)
    declared = {filed.charge_type for filed in line.filer_amounts}
    if amounts["surtax"] > 0 and "SUR" not in declared:
        rule = reference.surtax_for(line.classification, line.origin, released)
        found.append(undeclared_surtax(declaration, line, rule.order, to_cents(amounts["surtax"])))
    if amounts["sima"] > 0 and not line.sima:
        measure = reference.sima_for(line.classification, line.origin, released)
        found.append(undeclared_sima(declaration, line, measure.code, to_cents(amounts["sima"])))
    return found


def assess_declaration_decimal(declaration: Declaration, reference: ReferenceData) -> dict:
    """``{"lines": [{"line": n, "vfd": Decimal, …}], "totals": {…}, "warnings": [Finding, …]}``; totals are the
    sums of the rounded line amounts."""
    lines, warnings = [], []
    thresholds = _shipment_thresholds(declaration, reference)
    for line, threshold in zip(declaration.lines, thresholds, strict=True):
        amounts = assess_line_decimal(declaration, line, reference, clvs=threshold)
        lines.append({"line": line.line_number, **amounts})
        warnings.extend(_warnings(declaration, line, amounts, reference))
    totals = {name: _sum(*(line[name] for line in lines)) for name in AMOUNTS}
    return {"lines": lines, "totals": totals, "warnings": warnings}
