"""Rate cells of the Customs Tariff: every form of the sample, rejection of anything else, round trip."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.reference.loader import SHIPPED_DATA
from pipeline.reference.rates import (
    RATE_UNITS,
    RateSyntaxError,
    format_rate,
    parse_preferential_cell,
    parse_rate,
    parse_rate_cell,
)
from pipeline.reference.types import Rate


def sample_rows() -> list[dict[str, str]]:
    with open(SHIPPED_DATA / "tariff.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_cell_of_the_sample_parses():
    rows = sample_rows()
    assert len(rows) == 97
    forms = set()
    for row in rows:
        mfn = parse_rate_cell(row["MFN"])
        if row["MFN"] == "N/A":
            assert mfn is None
        else:
            assert mfn is not None and mfn.text == row["MFN"]
            forms.add((mfn.ad_valorem is not None, mfn.specific is not None, mfn.combine))
        if row["GENERAL_TARIFF"]:
            assert parse_rate(row["GENERAL_TARIFF"]).text == row["GENERAL_TARIFF"]
        preferential = parse_preferential_cell(row["PREFERENTIAL"])
        assert bool(preferential) == bool(row["PREFERENTIAL"].strip())
    # free, ad valorem, specific, and compound with max and sum all occur in the MFN column
    assert {
        (False, False, None),
        (True, False, None),
        (False, True, None),
        (True, True, "max"),
        (True, True, "sum"),
    } <= forms


@pytest.mark.parametrize(
    ("cell", "ad_valorem", "specific", "unit", "combine"),
    [
        ("Free", None, None, None, None),
        ("8%", "8", None, None, None),
        ("6.1%", "6.1", None, None, None),
        ("3.32¢/kg", None, "0.0332", "KGM", None),
        ("7.74¢/litre", None, "0.0774", "LTR", None),
        ("$30.86/tonne", None, "30.86", "TNE", None),
        ("$1.88/kg", None, "1.88", "KGM", None),
        ("$0.0281/litre", None, "0.0281", "LTR", None),
        ("$36.67/hl", None, "36.67", "HLT", None),
        ("208% but not less than $2.07/kg", "208", "2.07", "KGM", "max"),
        ("256% but not less than $36.67/hl", "256", "36.67", "HLT", "max"),
        ("5.62¢/kg but not less than 8.5%", "8.5", "0.0562", "KGM", "max"),
        ("10% but not more than $0.50/kg", "10", "0.50", "KGM", "min"),
        ("$106.50/tonne plus 7%", "7", "106.50", "TNE", "sum"),
        ("  8%  ", "8", None, None, None),
    ],
)
def test_rate_forms(cell, ad_valorem, specific, unit, combine):
    rate = parse_rate(cell)
    assert rate.ad_valorem == (None if ad_valorem is None else Decimal(ad_valorem))
    assert rate.specific == (None if specific is None else Decimal(specific))
    assert rate.specific_unit == unit
    assert rate.combine == combine
    assert rate.text == cell.strip()


def test_cents_become_dollars_exactly():
    rate = parse_rate("3.32¢/kg")
    assert rate.specific == Decimal("0.0332")
    assert str(rate.specific) == "0.0332"


def test_not_available_means_no_rate():
    assert parse_rate_cell("N/A") is None
    assert parse_rate_cell("Free") == Rate(text="Free")
    with pytest.raises(RateSyntaxError, match="N/A"):
        parse_rate("N/A")


@pytest.mark.parametrize(
    "cell",
    [
        "",
        "   ",
        "free of duty",
        "8",
        "8 %%",
        "-5%",
        "5% plus 3%",
        "$1/kg plus $2/kg",
        "Free plus 5%",
        "$1.88/lb",
        "3.32c/kg",
        "€5/kg",
        "$1.88",
        "208% but not less than",
        "1% plus $1/kg plus 2%",
        "$1,000/tonne",
        "8% or $1/kg",
        "8% but not less than $1/kg but not more than $2/kg",
    ],
)
def test_bad_cells_are_rejected_quoting_the_cell(cell):
    with pytest.raises(RateSyntaxError) as caught:
        parse_rate(cell)
    assert repr(cell) in str(caught.value)
    assert caught.value.cell == cell


def test_preferential_cell():
    rates = parse_preferential_cell("CCCT, LDCT, UST, MXT: Free; GPT, IT: 5%; CPTPT: $38.72/tonne plus 2.5%")
    assert list(rates) == ["CCCT", "LDCT", "UST", "MXT", "GPT", "IT", "CPTPT"]
    assert rates["UST"].is_free
    assert rates["IT"].ad_valorem == Decimal("5")
    assert rates["CPTPT"] == Rate("$38.72/tonne plus 2.5%", Decimal("2.5"), Decimal("38.72"), "TNE", "sum")
    assert parse_preferential_cell("") == {}
    assert parse_preferential_cell("UST: 94.5% but not less than $0.94/kg")["UST"].combine == "max"


@pytest.mark.parametrize(
    "cell",
    [
        "UST Free",
        "UST: Free; UST: 5%",
        "ust: Free",
        "UST, : Free",
        "UST:",
        "UST: N/A",
        "UST: 5 percent",
        "CCCT, LDCT UST: Free",
    ],
)
def test_bad_preferential_cells_are_rejected_quoting_the_cell(cell):
    with pytest.raises(RateSyntaxError) as caught:
        parse_preferential_cell(cell)
    assert repr(cell) in str(caught.value)


amounts = st.decimals(
    min_value=Decimal("0"), max_value=Decimal("9999"), places=4, allow_nan=False, allow_infinity=False
)
percents = st.decimals(
    min_value=Decimal("0"), max_value=Decimal("500"), places=2, allow_nan=False, allow_infinity=False
)


@st.composite
def rates(draw) -> Rate:
    kind = draw(st.sampled_from(["free", "percent", "specific", "compound"]))
    percent = draw(percents) if kind in ("percent", "compound") else None
    specific = draw(amounts) if kind in ("specific", "compound") else None
    unit = draw(st.sampled_from(sorted(RATE_UNITS.values()))) if specific is not None else None
    combine = draw(st.sampled_from(["max", "min", "sum"])) if kind == "compound" else None
    return Rate(text="", ad_valorem=percent, specific=specific, specific_unit=unit, combine=combine)


@settings(max_examples=150, deadline=None)
@given(rates())
def test_format_then_parse_gives_the_rate_back(rate):
    text = format_rate(rate)
    parsed = parse_rate(text)
    assert parsed.text == text
    assert (parsed.ad_valorem, parsed.specific, parsed.specific_unit, parsed.combine) == (
        rate.ad_valorem,
        rate.specific,
        rate.specific_unit,
        rate.combine,
    )
