"""Canadian business numbers: BN9, and BN15 program accounts such as ``123456782RM0001``.

The check itself is python-stdnum's ``stdnum.ca.bn`` (Luhn over the BN9, program identifier RC/RM/RP/RT);
this module adds what a CAD needs on top: the importer must be an ``RM`` (import/export) program account, since
CBSA issues daily notices and statements per RM account (spec/identifiers.md).
"""

from __future__ import annotations

from stdnum.ca import bn
from stdnum.exceptions import InvalidComponent, InvalidLength, ValidationError

__all__ = [
    "IMPORT_PROGRAM",
    "bn9",
    "compact",
    "format",
    "is_valid",
    "is_valid_import_account",
    "program",
    "validate",
    "validate_import_account",
]

#: The CRA program identifier of an import/export account.
IMPORT_PROGRAM = "RM"


def compact(number: str) -> str:
    """The number without spaces or hyphens (``"123456782 RM 0001"`` → ``"123456782RM0001"``)."""
    return bn.compact(number)


def validate(number: str) -> str:
    """A valid BN9 or BN15 in compact form; raises a ``stdnum.exceptions.ValidationError`` otherwise."""
    return bn.validate(number)


def is_valid(number: str) -> bool:
    return bn.is_valid(number)


def format(number: str) -> str:  # noqa: A001 - the stdnum name
    """The printed form: ``"123456782"`` or ``"123456782 RM 0001"``."""
    number = compact(number)
    if len(number) == 15:
        return f"{number[:9]} {number[9:11]} {number[11:]}"
    return number


def bn9(number: str) -> str:
    """The BN9 of a valid BN9 or BN15."""
    return validate(number)[:9]


def program(number: str) -> str | None:
    """The program identifier (``"RM"``, ``"RT"`` …) of a valid BN15; None for a BN9."""
    number = validate(number)
    return number[9:11] if len(number) == 15 else None


def validate_import_account(number: str) -> str:
    """A valid BN15 whose program is ``RM``, in compact form.

    Raises ``InvalidLength`` for a BN9 (a CAD names the account, not just the business), ``InvalidComponent``
    for another program, and whatever ``stdnum.ca.bn`` raises for a bad format or check digit.
    """
    number = validate(number)
    if len(number) != 15:
        raise InvalidLength(f"{number} is a BN9; an import account is a BN15 ending in {IMPORT_PROGRAM} and 4 digits")
    if number[9:11] != IMPORT_PROGRAM:
        raise InvalidComponent(f"{number} is a {number[9:11]} program account, not an {IMPORT_PROGRAM} account")
    return number


def is_valid_import_account(number: str) -> bool:
    try:
        validate_import_account(number)
    except ValidationError:
        return False
    return True
