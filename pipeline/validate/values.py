"""Reading the sender's text as dates, numbers and codes, strictly.

The model keeps every value as the text that was sent; these helpers decide whether that text *is* a date, a
decimal, a run of digits. They are stricter than the standard library on purpose: ``date.fromisoformat``
accepts ``20250505`` and ``Decimal`` accepts ``1_000``, ``NaN`` and ``1e3``, none of which a CAD may carry.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The lexical space of xs:decimal, which the XML schema admits and the EDIFACT reader normalises to.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def parse_date(text: str | None) -> date | None:
    """A ``YYYY-MM-DD`` text as a date; None when it is not exactly that or not a calendar date."""
    if not text or not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_decimal(text: str | None) -> Decimal | None:
    """A plain decimal number (``1000``, ``1000.50``, ``-3``, ``.5``); None for anything else."""
    if not text or not _DECIMAL.fullmatch(text):
        return None
    return Decimal(text)


def decimals_written(text: str) -> int:
    """How many digits the sender wrote after the decimal mark (``"10.500"`` → 3): the currency rule is about
    what was written, not about the value's trailing zeros."""
    _, mark, fraction = text.partition(".")
    return len(fraction) if mark else 0


def is_digits(text: str | None, length: int | None = None) -> bool:
    """ASCII digits only (``str.isdigit`` also admits ``²`` and Arabic-Indic digits), of ``length`` if given."""
    if not text or not (text.isascii() and text.isdigit()):
        return False
    return length is None or len(text) == length
