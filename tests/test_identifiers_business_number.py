"""Business numbers: BN9/BN15 through python-stdnum, and the RM import account a CAD must name."""

from __future__ import annotations

import pytest
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from pipeline.identifiers import business_number


def test_bn9_and_bn15_are_valid() -> None:
    assert business_number.validate("123456782") == "123456782"
    assert business_number.validate("123456782RM0001") == "123456782RM0001"
    assert business_number.is_valid("864015219")


def test_compact_removes_spaces_and_hyphens() -> None:
    assert business_number.compact("123456782 RM 0001") == "123456782RM0001"
    assert business_number.validate("123-456-782") == "123456782"


def test_wrong_luhn_digit_is_a_checksum_error() -> None:
    with pytest.raises(InvalidChecksum):
        business_number.validate("123456783RM0001")
    assert not business_number.is_valid("123456783")


def test_format() -> None:
    assert business_number.format("123456782RM0001") == "123456782 RM 0001"
    assert business_number.format("123456782") == "123456782"


def test_bn9_of_a_bn15() -> None:
    assert business_number.bn9("123456782RM0001") == "123456782"
    assert business_number.bn9("123456782") == "123456782"


def test_program_identifier() -> None:
    assert business_number.program("123456782RT0001") == "RT"
    assert business_number.program("123456782") is None


def test_import_account_must_be_rm() -> None:
    assert business_number.validate_import_account("123456782RM0001") == "123456782RM0001"
    assert business_number.is_valid_import_account("123456782RM0002")
    with pytest.raises(InvalidComponent, match="RT"):
        business_number.validate_import_account("123456782RT0001")
    assert not business_number.is_valid_import_account("123456782RC0001")


def test_import_account_must_be_a_bn15() -> None:
    with pytest.raises(InvalidLength):
        business_number.validate_import_account("123456782")


@pytest.mark.parametrize("number", ["123456782RMABCD", "12345678ZRM0001"])
def test_import_account_format(number: str) -> None:
    with pytest.raises(InvalidFormat):
        business_number.validate_import_account(number)


def test_unknown_program_is_a_component_error() -> None:
    with pytest.raises(InvalidComponent):
        business_number.validate_import_account("123456782XX0001")


def test_import_account_check_digit() -> None:
    with pytest.raises(InvalidChecksum):
        business_number.validate_import_account("123456783RM0001")
