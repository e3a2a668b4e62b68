"""Money: the one place that knows how amounts are represented and rounded.

Amounts are ``Decimal`` at the edges (files, database, output) and integer cents inside vectorized code. Each
charge of each line is rounded to the cent, half up, before the next step uses it (spec/assessment.md); the mode
is *configurable* and lives here only (``ROUNDING``). Nothing in the money path may touch a float: the decimal
context below traps any float that sneaks into Decimal arithmetic.
"""

from __future__ import annotations

import decimal
import re
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import numpy as np

#: The rounding rule of every charge (spec/assessment.md, "configurable: mode and point").
ROUNDING = ROUND_HALF_UP
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
#: The ledger keeps amounts in NUMERIC(18, 2) (pipeline.ledger.types): below 10**16 dollars, 10**18 cents, which
#: int64 cents also hold. Validation rejects a declaration whose amounts would not fit (B15/B13).
LEDGER_PRECISION = 18
LEDGER_SCALE = 2
LEDGER_LIMIT_CENTS = 10**LEDGER_PRECISION

#: A plain decimal number: optional sign, ASCII digits, at most one "." (the lexical space of xs:decimal). No
#: exponent, NaN, Infinity, "_" or other scripts' digits ([0-9] is ASCII; ``\d`` would not be).
PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")

MONEY_CONTEXT = decimal.Context(prec=34, rounding=ROUNDING, traps=[decimal.FloatOperation, decimal.InvalidOperation])


def round_cents(amount: Decimal) -> Decimal:
    """Round an exact amount to the cent with the configured rule."""
    return amount.quantize(CENT, rounding=ROUNDING, context=MONEY_CONTEXT)


def to_cents(amount: Decimal) -> int:
    """An amount already at cent precision (or finer, rounded) as integer cents."""
    return int(round_cents(amount).scaleb(2, context=MONEY_CONTEXT))


def from_cents(cents: int) -> Decimal:
    return Decimal(int(cents)).scaleb(-2, context=MONEY_CONTEXT).quantize(CENT)


def format_cents(cents: int) -> str:
    """Integer cents as the spec's decimal string with exactly two decimals ("-12.30").

    Integer arithmetic, no Decimal: answers and statements write millions of amounts (tests check it against
    the Decimal route)."""
    whole, fraction = divmod(abs(int(cents)), 100)
    return f"{'-' if cents < 0 else ''}{whole}.{fraction:02d}"


def format_cents_grouped(cents: int) -> str:
    """Integer cents as people read them: ``-1,234,567.89`` (summaries, statements, the finance page)."""
    whole, fraction = divmod(abs(int(cents)), 100)
    return f"{'-' if cents < 0 else ''}{whole:,}.{fraction:02d}"


def group_thousands(amount: str) -> str:
    """A two-decimal amount string (``"-1234567.89"``) with thousands separated."""
    return format_cents_grouped(to_cents(parse_amount(amount)))


def format_amount(amount: Decimal) -> str:
    return f"{round_cents(amount):.2f}"


def parse_amount(text: str) -> Decimal:
    """An amount from a file or the database (surrounding spaces ignored). Raises ``decimal.InvalidOperation``
    (a ``ValueError``-like ``ArithmeticError``) for text that is not a plain decimal number of ASCII digits
    (``Decimal`` itself would take ``1E999999``, ``NaN``, ``1_000`` and ``١٠``), or has more digits than the money
    context computes exactly."""
    text = text.strip()
    if not PLAIN_DECIMAL.fullmatch(text) or len(text) > MONEY_CONTEXT.prec + 2:
        raise decimal.InvalidOperation(f"not a plain amount of at most {MONEY_CONTEXT.prec} digits: {text[:40]!r}")
    return Decimal(text)


def scaled(value: Decimal, exponent: int) -> int:
    """``value × 10**exponent`` as an exact int; raises if ``value`` has more decimals than that."""
    product = value.scaleb(exponent, context=MONEY_CONTEXT)
    if product != product.to_integral_value():
        raise ValueError(f"{value} has more than {exponent} decimals")
    return int(product)


def div_round(numerator: np.ndarray, denominator: int) -> np.ndarray:
    """Vectorized ``numerator / denominator`` rounded to an integer with the configured rule.

    ``numerator`` is an int64 (or object-int) array; ``denominator`` a positive int. Half up means half away
    from zero, as ``decimal.ROUND_HALF_UP`` does, so credits round like debits.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    if ROUNDING == ROUND_HALF_UP and numerator.dtype == np.int64 and numerator.size:
        # |n| + ⌊d/2⌋ floor-divided by d bumps exactly when the remainder is at least half of d; one division
        low, high = int(numerator.min()), int(numerator.max())
        if max(-low, high) + denominator // 2 < 2**63:
            if low >= 0:
                return (numerator + denominator // 2) // denominator
            return np.sign(numerator) * ((np.abs(numerator) + denominator // 2) // denominator)
    magnitude = np.abs(numerator)
    if magnitude.dtype == object:  # np.divmod has no loop for Python ints; // and % do
        quotient, remainder = magnitude // denominator, magnitude % denominator
    else:
        quotient, remainder = np.divmod(magnitude, denominator)
    twice = remainder * 2
    if ROUNDING == ROUND_HALF_UP:
        bump = twice >= denominator
    elif ROUNDING == ROUND_HALF_EVEN:
        bump = (twice > denominator) | ((twice == denominator) & (quotient % 2 == 1))
    else:  # pragma: no cover - a configuration mistake, caught at import by tests
        raise ValueError(f"unsupported rounding {ROUNDING}")
    return np.sign(numerator) * (quotient + bump)


def div_round_int(numerator: int, denominator: int) -> int:
    """Scalar twin of :func:`div_round`, for code that is not vectorized."""
    return int(div_round(np.array([numerator], dtype=object), denominator)[0])
