"""Digits are the ASCII digits 0-9: the one place that says so.

``str.isdigit`` (and ``isdecimal``, ``isnumeric``) also admit ``²``, Arabic-Indic ``١٢`` and full-width ``１２``;
``int()`` then either raises (``int("²")``) or quietly reads a number the sender's software never meant
(``int("١٢") == 12``), and raises past 4,300 digits. Code that reads a number out of a sender's text asks here.
"""

from __future__ import annotations


def is_ascii_digits(text: str | None, length: int | None = None) -> bool:
    """``text`` is one or more of 0-9 and nothing else (of exactly ``length`` characters if given)."""
    if not text or not (text.isascii() and text.isdigit()):
        return False
    return length is None or len(text) == length


def ascii_int(text: str | None, max_digits: int) -> int | None:
    """The number ``text`` writes in 0-9, or None when it is anything else or has more than ``max_digits``
    significant digits (leading zeros do not count, so ``"00001"`` is 1). The length is checked before
    ``int()`` is asked, so a hostile text costs nothing to refuse."""
    if not is_ascii_digits(text):
        return None
    significant = text.lstrip("0")  # type: ignore[union-attr]
    if len(significant) > max_digits:
        return None
    return int(significant) if significant else 0
