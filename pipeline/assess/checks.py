"""The warnings assessment gives (spec/codes.md): W01 a filer amount differs, W03 an undeclared surtax or SIMA duty.

The engine and the oracle decide *when* a warning is due each in their own way; what it says is written here once.
"""

from __future__ import annotations

from decimal import Decimal

from pipeline.findings import Finding
from pipeline.model import Declaration, FilerAmount, Line
from pipeline.money import format_amount, format_cents, parse_amount

CHARGE_LABELS = {
    "customs_duty": "customs duty",
    "surtax": "surtax",
    "sima": "SIMA duty",
    "excise_duty": "excise duty",
    "excise_tax": "excise tax",
    "gst": "GST",
}


def filer_amount_value(amount: FilerAmount) -> Decimal | None:
    """The filer's amount as a Decimal, None when the text is not a number (then it differs from any amount)."""
    return parse_filer_text(amount.amount)


def parse_filer_text(text: str) -> Decimal | None:
    try:
        return parse_amount(text)
    except (ArithmeticError, ValueError):
        return None


def filer_difference(declaration: Declaration, line: Line, amount: FilerAmount, charge: str, cents: int) -> Finding:
    value = filer_amount_value(amount)
    declared = format_amount(value) if value is not None else repr(amount.amount)
    return Finding(
        "W01",
        f"line {line.number}: the filer declared {CHARGE_LABELS[charge]} ({amount.charge_type}) of {declared}, "
        f"the assessed amount is {format_cents(cents)}; the assessed amount stands",
        amount.location,
        line=line.line_number,
        message_reference=declaration.message_reference,
    )


def undeclared_surtax(declaration: Declaration, line: Line, order: str, cents: int) -> Finding:
    return Finding(
        "W03",
        f"line {line.number}: surtax of {format_cents(cents)} under {order} applies to classification "
        f"{line.classification} from {line.origin}, and the filer declared no surtax (SUR) amount",
        line.location,
        line=line.line_number,
        message_reference=declaration.message_reference,
    )


def undeclared_sima(declaration: Declaration, line: Line, measure: str, cents: int) -> Finding:
    return Finding(
        "W03",
        f"line {line.number}: SIMA duty of {format_cents(cents)} under measure {measure} applies to classification "
        f"{line.classification} from {line.origin}, and the line carries no SIMA code",
        line.location,
        line=line.line_number,
        message_reference=declaration.message_reference,
    )
