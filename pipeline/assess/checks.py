"""The warnings assessment gives (spec/codes.md): W01 a filer amount differs, W03 an undeclared surtax or SIMA duty.

The engine and the oracle decide *when* a warning is due each in their own way; what it says is written here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import repeat
from operator import attrgetter

import numpy as np

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


W01_TEXT = "line {}: the filer declared {} ({}) of {}, the assessed amount is {}; the assessed amount stands"
SURTAX_TEXT = ("line {}: surtax of {} under {} applies to classification {} from {}, and the filer declared no surtax "
               "(SUR) amount")
SIMA_TEXT = ("line {}: SIMA duty of {} under measure {} applies to classification {} from {}, and the line carries "
             "no SIMA code")
_number, _location = attrgetter("number"), attrgetter("location")
_classification, _origin = attrgetter("classification"), attrgetter("origin")
_reference = attrgetter("message_reference")
#: Amounts written as whole units and cents in the text itself (``{}.{:02d}``, what ``format_cents`` writes of an
#: amount ≥ 0): the findings of a batch are written without a call of format_cents per amount.
_CENTS = "{}.{:02d}"


def _cents_in_slot(text: str, slot: int) -> str:
    """``text`` whose ``slot``-th ``{}`` (from 0) takes an amount as whole units and cents."""
    parts = text.split("{}")
    return "{}".join(parts[: slot + 1]) + _CENTS + "{}".join(parts[slot + 1 :])


def _split_cents(cents: Sequence[int] | np.ndarray) -> tuple[list[int], list[int]] | None:
    """Whole units and cents of amounts given as an int64 array of amounts ≥ 0; None for anything else."""
    if not isinstance(cents, np.ndarray) or cents.dtype != np.int64 or (len(cents) and int(cents.min()) < 0):
        return None
    whole, fraction = np.divmod(cents, 100)
    return whole.tolist(), fraction.tolist()


_W01_SPLIT = _cents_in_slot(W01_TEXT, 4).format


def cents_texts(cents: Sequence[int] | np.ndarray) -> list[str]:
    """``format_cents`` of many amounts (an int64 array of amounts ≥ 0 is split with one array operation)."""
    split = _split_cents(cents)
    return list(map(format_cents, cents) if split is None else map(_CENTS.format, *split))


def declared_text(value: Decimal | None, text: str) -> str:
    """A filer amount as W01 quotes it: to the cent when it is a number, else the text as given."""
    return format_amount(value) if value is not None else repr(text)


def filer_difference(declaration: Declaration, line: Line, amount: FilerAmount, charge: str, cents: int) -> Finding:
    declared = declared_text(filer_amount_value(amount), amount.amount)
    return filer_differences([declaration], [line], [line.line_number], [amount], [charge], [declared], [cents])[0]


def filer_differences(
    declarations: Sequence[Declaration],
    lines: Sequence[Line],
    line_numbers: Sequence[int],
    amounts: Sequence[FilerAmount],
    charges: Sequence[str],
    declared: Sequence[str],
    cents: Sequence[int],
) -> list[Finding]:
    """W01 for many filer amounts at once (columns of equal length): ``line_numbers`` are the lines'
    ``Line.line_number``, ``declared`` each amount as quoted (``declared_text``), ``cents`` the assessed amount of
    its charge (a sequence, or an array: then amounts ≥ 0 are written without a call per amount)."""
    columns = (map(_number, lines), map(CHARGE_LABELS.__getitem__, charges), map(attrgetter("charge_type"), amounts),
               declared)
    split = _split_cents(cents)
    if split is None:
        messages = map(W01_TEXT.format, *columns, map(format_cents, cents))
    else:
        messages = map(_W01_SPLIT, *columns, *split)
    return list(map(Finding, repeat("W01"), messages, map(_location, amounts), line_numbers,
                    map(_reference, declarations)))


def undeclared_surtax(declaration: Declaration, line: Line, order: str, cents: int) -> Finding:
    return undeclared_charges(SURTAX_TEXT, [declaration], [line], [line.line_number], [order], [cents])[0]


def undeclared_sima(declaration: Declaration, line: Line, measure: str, cents: int) -> Finding:
    return undeclared_charges(SIMA_TEXT, [declaration], [line], [line.line_number], [measure], [cents])[0]


def undeclared_charges(
    text: str,
    declarations: Sequence[Declaration],
    lines: Sequence[Line],
    line_numbers: Sequence[int],
    authorities: Sequence[str],
    cents: Sequence[int],
) -> list[Finding]:
    """W03 for many lines at once: ``text`` is SURTAX_TEXT (``authorities`` are orders) or SIMA_TEXT (measures);
    ``cents`` a sequence, or an array (then amounts ≥ 0 are written without a call per amount)."""
    split = _split_cents(cents)
    if split is None:
        messages = map(text.format, map(_number, lines), map(format_cents, cents), authorities,
                       map(_classification, lines), map(_origin, lines))
    else:
        messages = map(_cents_in_slot(text, 1).format, map(_number, lines), *split, authorities,
                       map(_classification, lines), map(_origin, lines))
    return list(map(Finding, repeat("W03"), messages, map(_location, lines), line_numbers,
                    map(_reference, declarations)))
