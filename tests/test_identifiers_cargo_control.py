"""Cargo control numbers: a 4-character carrier code and the carrier's reference, 5-25 of A-Z 0-9 '-'."""

from __future__ import annotations

import pytest
from stdnum.exceptions import InvalidFormat, InvalidLength

from pipeline.identifiers import cargo_control


@pytest.mark.parametrize("number", ["ABCD1234567", "8000A", "1A2B-REF-0001", "ABCD" + "9" * 21])
def test_valid(number: str) -> None:
    assert cargo_control.validate(number) == number
    assert cargo_control.is_valid(number)


@pytest.mark.parametrize("number", ["ABCD", "ABCD" + "9" * 22, ""])
def test_length(number: str) -> None:
    with pytest.raises(InvalidLength):
        cargo_control.validate(number)


@pytest.mark.parametrize("number", ["ABCD12_34", "ABCD12.34", "AB-D1234", "ABCDÉ123"])
def test_characters(number: str) -> None:
    with pytest.raises(InvalidFormat):
        cargo_control.validate(number)
    assert not cargo_control.is_valid(number)


def test_compact_upper_cases_and_strips_spaces() -> None:
    assert cargo_control.compact(" abcd 1234 ") == "ABCD1234"
    assert cargo_control.format("abcd1234") == "ABCD1234"


def test_carrier_code() -> None:
    assert cargo_control.carrier_code("ABCD1234567") == "ABCD"
