"""The cargo control number (CCN) of a shipment, as eManifest issues it.

A 4-character carrier code followed by the carrier's own reference: 5 to 25 characters of ``A–Z``, ``0–9`` and
``-`` in all (spec/identifiers.md). There is no check digit. The carrier code itself must be letters or digits:
a hyphen only ever separates parts of the carrier's reference.
"""

from __future__ import annotations

import re

from stdnum.exceptions import InvalidFormat, InvalidLength, ValidationError
from stdnum.util import clean

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "carrier_code", "compact", "format", "is_valid", "validate"]

MIN_LENGTH = 5
MAX_LENGTH = 25
_CARRIER_CODE = re.compile(r"[A-Z0-9]{4}")
_REFERENCE = re.compile(r"[A-Z0-9-]+")


def compact(number: str) -> str:
    """The number without spaces, in upper case."""
    return clean(number, " ").strip().upper()


def validate(number: str) -> str:
    """A valid CCN in compact form; raises ``InvalidLength`` or ``InvalidFormat`` (``ValueError``) otherwise."""
    number = compact(number)
    if not MIN_LENGTH <= len(number) <= MAX_LENGTH:
        raise InvalidLength(f"{number!r} has {len(number)} characters, not {MIN_LENGTH} to {MAX_LENGTH}")
    if not _CARRIER_CODE.fullmatch(number[:4]):
        raise InvalidFormat(f"{number!r} does not start with a 4-character carrier code of A-Z and 0-9")
    if not _REFERENCE.fullmatch(number[4:]):
        raise InvalidFormat(f"{number!r} has characters other than A-Z, 0-9 and '-'")
    return number


def is_valid(number: str) -> bool:
    try:
        return bool(validate(number))
    except ValidationError:
        return False


def carrier_code(number: str) -> str:
    """The 4-character carrier code of a valid CCN."""
    return validate(number)[:4]


def format(number: str) -> str:  # noqa: A001 - the stdnum name
    """CCNs are printed as written: the compact form."""
    return compact(number)
