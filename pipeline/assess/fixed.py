"""Exact fixed-point arithmetic on integer arrays: the carrier of every amount inside the engine.

A quantity here is a pair (integer array, exponent): the array holds ``value × 10**exponent``. Products add
exponents; sums first bring their terms to a common exponent. Rounding to the cent goes through
``pipeline.money.div_round`` and nowhere else.

int64 is the fast path. Every multiplication checks, from the operands' largest magnitudes, whether the
product could reach 2**63; if it could, the operands become object arrays of Python ints, which are exact at any
size (slower, but only the batch that needs it pays). Results rounded to the cent go back to int64 when they fit.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import repeat

import numpy as np

from pipeline.money import MONEY_CONTEXT, div_round, scaled

INT64_LIMIT = 2**63

#: Decimal arithmetic that must be exact (products of rates and unit factors): an inexact result raises.
EXACT = MONEY_CONTEXT.copy()
EXACT.traps[decimal.Inexact] = True


def magnitude(values: np.ndarray) -> int:
    """The largest absolute value of an integer array, as a Python int (0 for an empty array)."""
    if values.size == 0:
        return 0
    return max(abs(int(values.max())), abs(int(values.min())))


def as_object(values: np.ndarray) -> np.ndarray:
    return values if values.dtype == object else values.astype(object)


def multiply(left: np.ndarray, right: np.ndarray, left_magnitude: int | None = None) -> np.ndarray:
    """Exact element-wise product: int64 when it cannot overflow, Python ints otherwise.

    ``left_magnitude``, when given, is the magnitude the choice is made with instead of the left operand's own: that
    of a whole column the operand was taken from, so that lines computed apart get the dtype the column would."""
    if left.dtype != object and right.dtype != object:
        left_size = magnitude(left) if left_magnitude is None else left_magnitude
        if left_size * magnitude(right) < INT64_LIMIT:
            return left * right
    return as_object(left) * as_object(right)


def add(*terms: np.ndarray, magnitudes: Sequence[int] | None = None) -> np.ndarray:
    """Exact element-wise sum of arrays at the same exponent (``magnitudes``: the terms', when the caller has them)."""
    wide = any(term.dtype == object for term in terms)
    if not wide and sum(map(magnitude, terms) if magnitudes is None else magnitudes) < INT64_LIMIT:
        total = terms[0].astype(np.int64, copy=True)
        for term in terms[1:]:
            total += term
        return total
    total = as_object(terms[0]).copy()
    for term in terms[1:]:
        total = total + as_object(term)
    return total


def rescale(values: np.ndarray, exponent: int, target: int) -> np.ndarray:
    """Bring values from ``exponent`` up to a finer ``target`` exponent (exact: multiplies by a power of ten)."""
    if target < exponent:
        raise ValueError("rescale only refines; use to_cents to round")
    if target == exponent:
        return values
    power = 10 ** (target - exponent)
    return multiply(values, np.array([power], dtype=np.int64 if power < INT64_LIMIT else object))


def to_cents(values: np.ndarray, exponent: int) -> np.ndarray:
    """Round values at ``exponent`` to integer cents with the one rounding rule (``div_round``)."""
    if exponent >= 2:
        cents = values if exponent == 2 else div_round(values, 10 ** (exponent - 2))
    else:
        cents = rescale(values, exponent, 2)
    return narrow(cents)


def narrow(values: np.ndarray) -> np.ndarray:
    """int64 when every value fits, else the object array unchanged."""
    if values.dtype == object and magnitude(values) < INT64_LIMIT:
        return values.astype(np.int64)
    return values


def decimals_of(value: Decimal) -> int:
    """How many decimals a Decimal needs (0 for integers, ``Decimal('1.3800')`` needs 4)."""
    exponent = value.normalize(MONEY_CONTEXT).as_tuple().exponent
    return max(0, -int(exponent))


def scale_for(values: Iterable[Decimal], minimum: int) -> int:
    """The exponent that carries every value exactly: at least ``minimum``, more if a value needs it."""
    return max([minimum, *(decimals_of(value) for value in values)])


def scaled_array(values: list[Decimal], exponent: int) -> np.ndarray:
    """Decimals as exact integers at ``exponent`` (int64 when they fit)."""
    return int_array([scaled(value, exponent) for value in values])


def int_array(values: list[int]) -> np.ndarray:
    """Python ints as int64 when every one is strictly inside ±2**63, else as objects."""
    try:
        array = np.fromiter(values, dtype=np.int64, count=len(values))
    except OverflowError:
        return np.array(values, dtype=object)
    if len(array) and int(array.min()) == -INT64_LIMIT:
        return np.array(values, dtype=object)
    return array


#: At most this many digits always fit in int64 (10**18 < 2**63).
INT64_DIGITS = 18
NEWLINE, DOT, ZERO_BYTE = ord("\n"), ord("."), ord("0")
#: Per byte: the factor and the addend of one Horner step (units × 10 + digit for a digit; a dot, a newline and
#: any other byte leave the units as they are: only plain texts' units are used).
_HORNER_FACTOR = np.ones(256, dtype=np.int64)
_HORNER_FACTOR[ZERO_BYTE:ZERO_BYTE + 10] = 10
_HORNER_DIGIT = np.zeros(256, dtype=np.int64)
_HORNER_DIGIT[ZERO_BYTE:ZERO_BYTE + 10] = np.arange(10)
#: Bytes that are neither a digit, a dot nor the newline between texts: none in a plain text.
_OTHER_BYTE = np.ones(256, dtype=bool)
_OTHER_BYTE[[*range(ZERO_BYTE, ZERO_BYTE + 10), DOT, NEWLINE]] = False


def plain_decimals(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Texts of ASCII digits with at most one ``.``, read with array operations: per text, its digits as an int
    (``"12.50"`` → 1250), its number of decimals (2), and whether it is such a *plain* text of 1 to 18 digits
    (units and decimals of other texts are meaningless). None when a text holds a newline."""
    return joined_plain_decimals("\n".join(texts), len(texts))


def joined_plain_decimals(joined: str, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``plain_decimals`` of ``count`` texts given joined by newlines (a reader or the frame build joins them as
    it reads them, while they are in the processor's cache). None when the newlines do not make ``count`` texts.

    The buffer is classified once (its dots and other non-digits located and counted per text). When every text
    is plain, the units are the texts without their dots read by NumPy's C parser (``np.fromstring``, base 10,
    exact in int64 up to 18 digits); otherwise they are read a character position at a time for all texts at once
    (Horner's rule: units × 10 + digit), so that work is (number of texts) × (longest plain text).
    """
    if count == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=bool)
    data = np.frombuffer((joined + "\n").encode(), dtype=np.uint8)
    ends = np.flatnonzero(data == NEWLINE)
    if len(ends) != count:
        return None
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts
    # dots and other bytes are few: counted per text from their positions (a text ends at the first newline after)
    dot_at = np.flatnonzero(data == DOT)
    dot_text = np.searchsorted(ends, dot_at)
    dots = np.bincount(dot_text, minlength=count)
    digit_bytes = np.count_nonzero(np.less(data - np.uint8(ZERO_BYTE), 10))  # below "0" wraps around past 9
    if digit_bytes + len(dot_at) + count == len(data):  # the usual batch: digits, dots and newlines only
        digits = lengths - dots
        plain = (dots <= 1) & (digits >= 1) & (digits <= INT64_DIGITS)
    else:
        others = np.bincount(np.searchsorted(ends, np.flatnonzero(_OTHER_BYTE[data])), minlength=count)
        digits = lengths - dots - others
        plain = (others == 0) & (dots <= 1) & (digits >= 1) & (digits <= INT64_DIGITS)
    decimals = np.zeros(count, dtype=np.int64)
    decimals[dot_text] = ends[dot_text] - dot_at - 1  # in a plain text, what follows the dot is digits
    if plain.all():
        # 1 to 18 digits per text, nothing else once the dots are gone (fromstring would skip an empty text)
        return np.fromstring(joined.replace(".", ""), dtype=np.int64, sep="\n"), decimals, plain
    units = np.zeros(count, dtype=np.int64)
    for first in range(0, count, HORNER_BLOCK):
        block = slice(first, first + HORNER_BLOCK)
        _horner(data, starts[block], ends[block], units[block])
    return units, decimals, plain


#: Texts read together by Horner's rule: the arrays of a block stay in the processor's cache between positions.
HORNER_BLOCK = 32768


def _horner(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, units: np.ndarray) -> None:
    """The digits of each text [start, end) of ``data`` as an int, into ``units`` (zeros), dots skipped."""
    at = np.empty(len(starts), dtype=np.int64)
    for position in range(min(int((ends - starts).max()), INT64_DIGITS + 1)):
        # a position past a text's end reads the text's own newline, which leaves the units as they are
        np.minimum(np.add(starts, position, out=at), ends, out=at)
        character = data[at]
        units *= _HORNER_FACTOR[character]
        units += _HORNER_DIGIT[character]


def parse_decimal_texts(texts: list[str]) -> tuple[np.ndarray, int]:
    """Plain decimal texts ("1000.00", "12", "0.5") as exact integers at the smallest common exponent.

    The texts have passed validation (digits with at most one ``.``, optional sign). Returns the integer array
    and its exponent. Texts of up to 18 ASCII digits are read by ``plain_decimals``; any other batch by Python's
    ``int`` (signs, more digits: then Python ints). No float is involved.
    """
    parsed = parse_joined_decimal_texts("\n".join(texts), len(texts))
    return _parse_with_int(texts) if parsed is None else parsed


def parse_joined_decimal_texts(joined: str, count: int) -> tuple[np.ndarray, int] | None:
    """``parse_decimal_texts`` of ``count`` texts joined by newlines; None when a text holds a newline (then
    the texts must be parsed one by one)."""
    if count == 0:
        return np.zeros(0, dtype=np.int64), 0
    parsed = joined_plain_decimals(joined, count)
    if parsed is None:
        return None
    units, decimals, plain = parsed
    if not plain.all():
        return _parse_with_int(joined.split("\n"))
    return _to_common_exponent(units, decimals)


def _to_common_exponent(units: np.ndarray, decimals: np.ndarray) -> tuple[np.ndarray, int]:
    exponent = int(decimals.max())
    if exponent == 0:
        return units, 0
    shift = exponent - decimals
    if units.dtype != object and max(1, magnitude(units)) * 10 ** int(shift.max()) < INT64_LIMIT:
        return units * (10**shift), exponent
    powers = np.array([10**int(step) for step in shift], dtype=object)
    return as_object(units) * powers, exponent


def _parse_with_int(texts: list[str]) -> tuple[np.ndarray, int]:
    count = len(texts)
    dots = np.fromiter(map(str.find, texts, repeat(".")), dtype=np.int64, count=count)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=count)
    decimals = np.where(dots >= 0, lengths - dots - 1, 0)
    bare = map(str.replace, texts, repeat("."), repeat(""))
    try:
        units = np.fromiter(map(int, bare), dtype=np.int64, count=count)
    except OverflowError:
        units = np.array([int(text.replace(".", "")) for text in texts], dtype=object)
    return _to_common_exponent(units, decimals)
