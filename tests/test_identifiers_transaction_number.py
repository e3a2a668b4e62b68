"""The CAD transaction number (spec/identifiers.md): 14 digits, check digit by weights 1,2 and total mod 10."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

from pipeline.identifiers import transaction_number

PUBLISHED = ["10013000976200", "10207000002945", "10207000220870"]


@pytest.mark.parametrize("number", PUBLISHED)
def test_published_cbsa_numbers_are_valid(number: str) -> None:
    assert transaction_number.validate(number) == number
    assert transaction_number.is_valid(number)


def test_worked_example_of_the_spec() -> None:
    # 1+0+2+0+7+0+0+0+0+0+2+(18-9)+4 = 25 -> 5
    assert transaction_number.calc_check_digit("1020700000294") == "5"


def test_no_ten_minus_step() -> None:
    # Luhn would give 10 - 0 = 0 too for a zero total, so use a total of 3: the digit is 3, Luhn's would be 7.
    assert transaction_number.calc_check_digit("3000000000000") == "3"
    assert transaction_number.is_valid("30000000000003")
    assert not transaction_number.is_valid("30000000000007")


@pytest.mark.parametrize("number", ["10207000002946", "10013000976201", "10207000220879"])
def test_wrong_check_digit(number: str) -> None:
    with pytest.raises(InvalidChecksum):
        transaction_number.validate(number)
    assert not transaction_number.is_valid(number)


@pytest.mark.parametrize("number", ["1020700000294", "102070000029450", ""])
def test_wrong_length(number: str) -> None:
    with pytest.raises(ValidationError):
        transaction_number.validate(number)


def test_length_error_is_invalid_length() -> None:
    with pytest.raises(InvalidLength):
        transaction_number.validate("1020700000294")


@pytest.mark.parametrize("number", ["1020700000294A", "10207-000002945"])
def test_non_digits_are_invalid_format(number: str) -> None:
    with pytest.raises(InvalidFormat):
        transaction_number.validate(number)


def test_compact_maps_full_width_digits_to_ascii_like_stdnum() -> None:
    # python-stdnum's clean() folds look-alike characters; validation of a CAD rejects anything not compact.
    assert transaction_number.compact("１０２０７０００００２９４５") == "10207000002945"


def test_exceptions_are_value_errors() -> None:
    with pytest.raises(ValueError):
        transaction_number.validate("10207000002946")


def test_compact_strips_spaces_and_format_prints_asec_apart() -> None:
    assert transaction_number.compact(" 10207 000002945 ") == "10207000002945"
    assert transaction_number.validate("10207 000002945") == "10207000002945"
    assert transaction_number.format("10207000002945") == "10207 000002945"
    assert transaction_number.format("10207 000002945") == "10207 000002945"


thirteen_digits = st.text(alphabet="0123456789", min_size=13, max_size=13)


@settings(max_examples=150, deadline=None)
@given(thirteen_digits)
def test_any_thirteen_digits_with_their_check_digit_are_valid(body: str) -> None:
    assert transaction_number.is_valid(body + transaction_number.calc_check_digit(body))


@settings(max_examples=150, deadline=None)
@given(thirteen_digits, st.integers(min_value=0, max_value=13), st.integers(min_value=1, max_value=9))
def test_changing_any_single_digit_makes_it_invalid(body: str, position: int, shift: int) -> None:
    number = body + transaction_number.calc_check_digit(body)
    changed = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1:]
    assert changed != number
    assert not transaction_number.is_valid(changed)
