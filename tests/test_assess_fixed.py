"""The engine's exact integer arithmetic: parsing texts, overflow fallback to Python ints, rounding to cents."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.assess.fixed import (
    INT64_LIMIT,
    multiply,
    parse_decimal_texts,
    parse_joined_decimal_texts,
    plain_decimals,
    to_cents,
)
from pipeline.money import div_round


def test_texts_are_scaled_to_the_largest_number_of_decimals():
    values, exponent = parse_decimal_texts(["1000.00", "12", "0.5", "3.125"])
    assert exponent == 3
    assert values.tolist() == [1_000_000, 12_000, 500, 3_125]


def test_texts_too_long_for_int64_stay_exact():
    values, exponent = parse_decimal_texts(["123456789012345678901.5", "1"])
    assert (exponent, values.tolist()) == (1, [1234567890123456789015, 10])


def test_a_product_that_could_overflow_is_computed_in_python_ints():
    big = np.array([INT64_LIMIT // 10], dtype=np.int64)
    product = multiply(big, np.array([100], dtype=np.int64))
    assert product.dtype == object and int(product[0]) == (INT64_LIMIT // 10) * 100
    assert multiply(np.array([3], dtype=np.int64), np.array([4], dtype=np.int64)).dtype == np.int64


def test_rounding_to_the_cent_is_half_up_away_from_zero():
    exact = np.array([1235, 1234, -1235, -1234, 1249999], dtype=np.int64)  # at exponent 3
    assert to_cents(exact, 3).tolist() == [124, 123, -124, -123, 125000]


def test_rounding_python_ints_to_the_cent():
    exact = np.array([10**25 + 5, 10**25 + 4], dtype=object)  # at exponent 3
    assert [int(c) for c in to_cents(exact, 3)] == [10**24 + 1, 10**24]


def test_div_round_takes_python_int_arrays():
    assert div_round(np.array([10**30 + 5, -15], dtype=object), 10).tolist() == [10**29 + 1, -2]


EXACT_DIVISION = Context(prec=60)
PLAIN = re.compile(r"[0-9]*\.?[0-9]*")
NUMBER_TEXTS = st.text(alphabet="0123456789.+- \né٣", max_size=22)


@settings(max_examples=300, deadline=None)
@given(st.lists(NUMBER_TEXTS, min_size=1, max_size=12))
def test_plain_decimals_reads_the_bytes_as_decimal_does(texts):
    parsed = plain_decimals(texts)
    if any("\n" in text for text in texts):
        assert parsed is None
        return
    units, decimals, plain = parsed
    for text, unit, places, is_plain in zip(texts, units.tolist(), decimals.tolist(), plain.tolist(), strict=True):
        digit_count = sum(char in "0123456789" for char in text)
        assert is_plain == bool(PLAIN.fullmatch(text) and 1 <= digit_count <= 18), text
        if is_plain:
            assert Decimal(unit).scaleb(-places) == Decimal(text), text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.from_regex(r"[+-]?[0-9]{1,22}(\.[0-9]{0,8})?", fullmatch=True), min_size=1, max_size=12))
def test_parse_decimal_texts_is_exact_on_every_path(texts):
    values, exponent = parse_decimal_texts(texts)
    assert [Decimal(int(value)).scaleb(-exponent, context=EXACT_DIVISION) for value in values] == [Decimal(text) for text in texts]
    assert exponent == max(len(text.partition(".")[2]) for text in texts)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-(2**63) + 1, 2**63 - 1), min_size=1, max_size=20), st.integers(1, 10**18))
def test_div_round_of_int64_is_decimals_half_up(numerators, denominator):
    rounded = div_round(np.array(numerators, dtype=np.int64), denominator).tolist()
    expected = [int((Decimal(n) / Decimal(denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP, context=EXACT_DIVISION))
                for n in numerators]
    assert rounded == expected


def test_joined_texts_are_parsed_as_the_list_unless_a_text_holds_a_newline():
    texts = ["1000.00", "12", "0.5"]
    parsed, exponent = parse_joined_decimal_texts("\n".join(texts), len(texts))
    assert (parsed.tolist(), exponent) == (parse_decimal_texts(texts)[0].tolist(), 2)
    assert parse_joined_decimal_texts("\n".join(["1\n2", "3"]), 2) is None  # three texts, not two
    assert parse_joined_decimal_texts("", 0)[0].tolist() == []


def test_texts_are_read_alike_whatever_the_block_of_texts(monkeypatch):
    texts = ["1000.00", "12", "0.5", "x", "3.125", "7"]
    whole = [column.tolist() for column in plain_decimals(texts)]
    monkeypatch.setattr("pipeline.assess.fixed.HORNER_BLOCK", 4)  # two blocks: 4 texts and 2
    assert [column.tolist() for column in plain_decimals(texts)] == whole
    assert whole[0][:3] == [100000, 12, 5]


PLAIN_TEXTS = st.from_regex(r"[0-9]{0,18}\.?[0-9]{0,18}", fullmatch=True).filter(
    lambda text: 1 <= len(text.replace(".", "")) <= 18
)


@settings(max_examples=200, deadline=None)
@given(st.lists(PLAIN_TEXTS, min_size=1, max_size=12))
def test_a_batch_of_plain_texts_only_is_read_exactly(texts):
    """Every text plain: the batch NumPy's parser reads (leading zeros, 18 digits, "12." and ".5" among them)."""
    units, decimals, plain = plain_decimals(texts)
    assert plain.all()
    assert [Decimal(unit).scaleb(-places) for unit, places in zip(units.tolist(), decimals.tolist(), strict=True)] == [
        Decimal(text) for text in texts
    ]


def test_plain_texts_read_by_numpy_are_those_horner_reads():
    texts = ["007", "999999999999999999", "12.", ".5", "0", "10000000000000000.0"]
    assert plain_decimals(texts)[0].tolist() == [7, 999999999999999999, 12, 5, 0, 100000000000000000]
    with_other = [*texts, "x"]  # one text not plain: Horner's rule reads them all
    assert plain_decimals(with_other)[0].tolist()[:-1] == plain_decimals(texts)[0].tolist()
