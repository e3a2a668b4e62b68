"""B21: the rules of a courier low-value shipment (CLVS) CAD, type ``C``.

Each line of a CLVS CAD belongs to a shipment, named by its cargo control number (CCN); lines that share a CCN
are one shipment. A line without a CCN cannot be placed in a shipment, and a shipment whose value for duty
(the sum of its lines' VFDs, each ``value × exchange rate`` rounded to the cent as assessment does) exceeds
the reference data's limit (C$3,300) may not be accounted as a low-value shipment (spec/assessment.md).
"""

from __future__ import annotations

from decimal import Decimal

from pipeline.findings import Finding
from pipeline.identifiers import cargo_control
from pipeline.model import Declaration, Line
from pipeline.money import MONEY_CONTEXT, round_cents
from pipeline.validate.values import parse_decimal

CLVS_TYPE = "C"
_FORM = 'of 5 to 25 characters A-Z, 0-9 and "-" starting with a 4-character carrier code'


def is_well_formed(ccn: str) -> bool:
    """A CCN exactly as it must be sent: valid, and already in compact upper-case form."""
    return cargo_control.is_valid(ccn) and cargo_control.compact(ccn) == ccn


def clvs_findings(declaration: Declaration, exchange_rate: Decimal | None, shipment_limit: Decimal) -> list[Finding]:
    """B21 findings of a type C declaration; ``exchange_rate`` is None when B09/B14 already say it is unknown."""
    reference = declaration.message_reference
    findings: list[Finding] = []
    header_ccn = declaration.cargo_control
    if header_ccn is not None and not is_well_formed(header_ccn):
        findings.append(Finding(
            "B21", f'cargo control number "{header_ccn}" is not a cargo control number {_FORM}',
            declaration.where.get("cargo_control") or declaration.location, 0, reference,
        ))

    shipments: dict[str, list[Line]] = {}
    for line in declaration.lines:
        ccn = line.cargo_control
        where = line.where.get("cargo_control") or line.location
        if ccn is None or not ccn.strip():
            findings.append(Finding(
                "B21", f'line "{line.number}" of a CLVS declaration has no cargo control number', where,
                line.line_number, reference,
            ))
        elif not is_well_formed(ccn):
            findings.append(Finding(
                "B21", f'cargo control number "{ccn}" is not a cargo control number {_FORM}', where,
                line.line_number, reference,
            ))
        else:
            shipments.setdefault(ccn, []).append(line)

    if exchange_rate is None:
        return findings
    for ccn, lines in shipments.items():
        value_for_duty = _value_for_duty(lines, exchange_rate)
        if value_for_duty is not None and value_for_duty > shipment_limit:
            first = lines[0]
            findings.append(Finding(
                "B21",
                f'shipment "{ccn}" has a value for duty of {value_for_duty:,.2f} CAD, over the low-value shipment '
                f"limit of {shipment_limit:,.2f} CAD",
                first.where.get("cargo_control") or first.location, first.line_number, reference,
            ))
    return findings


def _value_for_duty(lines: list[Line], exchange_rate: Decimal) -> Decimal | None:
    """The shipment's VFD, or None when a line's value is unusable (B15 reports that line)."""
    total = Decimal("0.00")
    for line in lines:
        value = parse_decimal(line.value)
        if value is None or value < 0:
            return None
        total += round_cents(MONEY_CONTEXT.multiply(value, exchange_rate))
    return total
