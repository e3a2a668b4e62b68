"""The CAD transaction number: 14 digits, ``10207 000002945`` printed.

Five digits of account security number (ASEC), eight of sequence, one check digit. The check rule is derived
from published CBSA numbers (spec/identifiers.md): over the first 13 digits, from the left, weights 1 and 2
alternately; a two-digit product counts as the sum of its digits; the check digit is the total modulo 10, with
no "10 minus" step (which is what sets it apart from Luhn).
"""

from __future__ import annotations

from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError
from stdnum.util import clean, isdigits

__all__ = ["LENGTH", "calc_check_digit", "compact", "format", "is_valid", "validate"]

LENGTH = 14


def compact(number: str) -> str:
    """The number without spaces (``"10207 000002945"`` → ``"10207000002945"``)."""
    return clean(number, " ").strip()


# A digit weighted 2, with a two-digit product counted as the sum of its digits: 5 -> 10 -> 1, 9 -> 18 -> 9.
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def calc_check_digit(number: str) -> str:
    """The check digit of the first 13 digits (weights 1, 2, 1, 2 … from the left)."""
    total = sum(map(int, number[0::2])) + sum(_DOUBLED[int(char)] for char in number[1::2])
    return str(total % 10)


def validate(number: str) -> str:
    """A valid transaction number in compact form; raises ``InvalidFormat``, ``InvalidLength`` or
    ``InvalidChecksum`` (all ``ValueError``) otherwise."""
    number = compact(number)
    if not isdigits(number):
        raise InvalidFormat(f"{number!r} is not all digits")
    if len(number) != LENGTH:
        raise InvalidLength(f"{number} has {len(number)} digits, not {LENGTH}")
    if calc_check_digit(number[:-1]) != number[-1]:
        raise InvalidChecksum(f"{number} ends in {number[-1]}; its check digit is {calc_check_digit(number[:-1])}")
    return number


def is_valid(number: str) -> bool:
    try:
        return bool(validate(number))
    except ValidationError:
        return False


def format(number: str) -> str:  # noqa: A001 - the stdnum name
    """The printed form: the 5-digit ASEC, a space, then sequence and check digit."""
    number = compact(number)
    return f"{number[:5]} {number[5:]}"
