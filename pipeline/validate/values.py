"""Reading the sender's text as dates, numbers and codes, strictly.

The model keeps every value as the text that was sent; these helpers decide whether that text *is* a date, a
decimal, a run of digits. They are stricter than the standard library on purpose: ``date.fromisoformat``
accepts ``20250505`` and ``Decimal`` accepts ``1_000``, ``NaN`` and ``1e3``, none of which a CAD may carry.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from pipeline.findings import shown as shown  # validation's messages name values as every finding does
from pipeline.money import PLAIN_DECIMAL

#: Digits a value, quantity or amount may have, decimals included: EDIFACT's monetary amount (5004) and measure
#: (6314) are at most 18 characters, and 18 digits are an exact int64 (docs/decisions.md, "Bounds on numbers").
MAX_DIGITS = 18
#: Decimals of a quantity (values and amounts follow their currency's minor units).
MAX_QUANTITY_DECIMALS = 6
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: str | None) -> date | None:
    """A ``YYYY-MM-DD`` text as a date; None when it is not exactly that or not a calendar date."""
    if not text or not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_decimal(text: str | None) -> Decimal | None:
    """A plain decimal number (``1000``, ``1000.50``, ``-3``, ``.5``) of at most ``MAX_DIGITS`` digits; None for
    anything else. The shape and length are checked before ``Decimal`` is asked."""
    if not text or not PLAIN_DECIMAL.fullmatch(text) or digits_written(text) > MAX_DIGITS:
        return None
    return Decimal(text)


def decimals_written(text: str) -> int:
    """How many digits the sender wrote after the decimal mark (``"10.500"`` → 3): the currency rule is about
    what was written, not about the value's trailing zeros."""
    _, mark, fraction = text.partition(".")
    return len(fraction) if mark else 0


def digits_written(text: str) -> int:
    """How many digits a plain decimal text has, leading and trailing zeros included (``"+012.50"`` → 5)."""
    return len(text) - (text[:1] in "+-") - ("." in text)


class NumberProblem(NamedTuple):
    """Why a text is not a number we can carry: ``kind`` (one of the constants below) and the end of a sentence
    that starts with the text's name (``has 5,000 digits; at most 18 are allowed``)."""

    kind: str
    phrase: str


NOT_A_NUMBER, NEGATIVE, TOO_MANY_DIGITS, TOO_MANY_DECIMALS = "not a number", "negative", "digits", "decimals"


def number_problem(text: str, max_decimals: int | None) -> NumberProblem | None:
    """What keeps a sender's text from being a non-negative number of at most ``MAX_DIGITS`` digits and
    ``max_decimals`` decimals (any when None); None when it is one. Cheap for any length: no ``Decimal``."""
    if not PLAIN_DECIMAL.fullmatch(text):
        return NumberProblem(NOT_A_NUMBER, "is not a number")
    if text.startswith("-") and text.strip("-0.") != "":
        return NumberProblem(NEGATIVE, "is negative")
    decimals = decimals_written(text)
    if max_decimals is not None and decimals > max_decimals:
        return NumberProblem(TOO_MANY_DECIMALS, f"has {decimals:,} decimals")
    digits = digits_written(text)
    if digits > MAX_DIGITS:
        return NumberProblem(TOO_MANY_DIGITS, f"has {digits:,} digits; at most {MAX_DIGITS} are allowed")
    return None

