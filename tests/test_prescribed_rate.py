"""The prescribed interest rate computed as SOR/86-1121 s. 4 says (spec/reference-data.md), from a yields file.

Every yield below is an invented figure for the test (the files say ``example=true``): no real auction result
is presented as fact.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from pipeline.billing.interest import load_prescribed_rates
from pipeline.errors import ReferenceDataError
from pipeline.reference.prescribed_rate import parse_yields, prescribed_rates, round_to_tenth

HEADER = "auction_date,term,average_yield_percent,source,example\n"


def yields(*rows: str) -> str:
    return HEADER + "".join(f"{row},example auction for tests,true\n" for row in rows)


# January 2026's 3-month auctions set 2026-Q2; a 6-month bill and an auction of February are read but not used.
JANUARY_2026 = yields(
    "2026-01-06,3M,2.245", "2026-01-06,6M,2.400", "2026-01-20,3M,2.262", "2026-02-03,3M,2.990",
)


def test_the_rate_is_the_mean_of_the_first_months_3_month_yields_rounded_to_a_tenth() -> None:
    computed = prescribed_rates(parse_yields(JANUARY_2026, "y.csv"))
    assert set(computed) == {date(2026, 4, 1)}
    q2 = computed[date(2026, 4, 1)]
    assert q2.mean == Fraction("2.2535")  # (2.245 + 2.262) / 2, exact
    assert q2.rate == Decimal("2.3") and str(q2.rate) == "2.3"
    assert [a.on for a in q2.auctions] == [date(2026, 1, 6), date(2026, 1, 20)]
    assert q2.example is True


@pytest.mark.parametrize(("mean", "rounded"), [
    ("2.25", "2.3"),  # a tie goes up
    ("2.2499999", "2.2"),
    ("2.35", "2.4"),
    ("0.05", "0.1"),
    ("3", "3.0"),
])
def test_rounding_to_the_nearest_tenth_with_ties_up(mean: str, rounded: str) -> None:
    assert round_to_tenth(Fraction(mean)) == Decimal(rounded)


def test_a_mean_of_three_yields_is_rounded_exactly() -> None:
    # 1.25 + 1.25 + 1.30 = 3.80; / 3 = 1.2666…: 1.3. A tie reached through a third is still exact.
    text = yields("2025-10-07,3M,1.25", "2025-10-14,3M,1.25", "2025-10-28,3M,1.30", "2025-11-04,3M,1.00")
    assert prescribed_rates(parse_yields(text))[date(2026, 1, 1)].rate == Decimal("1.3")
    tie = yields("2025-10-07,3M,1.24", "2025-10-14,3M,1.25", "2025-10-28,3M,1.26", "2025-11-04,3M,1.00")
    assert prescribed_rates(parse_yields(tie))[date(2026, 1, 1)].rate == Decimal("1.3")


def test_a_month_not_known_to_be_complete_gives_no_rate_yet() -> None:
    only_january = yields("2026-01-06,3M,2.245", "2026-01-20,3M,2.262")
    assert prescribed_rates(parse_yields(only_january)) == {}


@pytest.mark.parametrize(("row", "column", "words"), [
    ("2026-13-06,3M,2.2", "auction_date", "not a date"),
    ("2026-01-06,3 months,2.2", "term", "expected 3M"),
    ("2026-01-06,3M,two", "average_yield_percent", "not a decimal number"),
])
def test_a_bad_cell_names_the_file_row_and_column(row: str, column: str, words: str) -> None:
    with pytest.raises(ReferenceDataError) as fault:
        parse_yields(yields("2026-01-02,3M,2.1", row), "billing/tbill_yields.csv")
    assert (fault.value.path, fault.value.row, fault.value.column) == ("billing/tbill_yields.csv", 3, column)
    assert words in fault.value.problem


def test_computed_quarters_replace_example_rows_and_interest_uses_them() -> None:
    rates = load_prescribed_rates(yields_text=JANUARY_2026)
    assert rates.prescribed_on(date(2026, 5, 15)) == Decimal("2.3")  # computed
    assert rates.specified_on(date(2026, 5, 15)) == Decimal("8.3")  # + 6 % (Customs Act s. 2)
    assert rates.prescribed_on(date(2026, 2, 1)) == Decimal("3")  # the shipped table's (example) row
    assert rates.example is True  # examples are never presented as real
    assert "SOR/86-1121" in rates.source and "billing/tbill_yields.csv" in rates.source


def test_real_yields_over_a_real_table_make_real_rates() -> None:
    table = "quarter,rate_percent,source,example\n2026-Q1,2.5,CBSA notice,false\n"
    real = JANUARY_2026.replace(",true\n", ",false\n")
    rates = load_prescribed_rates(table, "rates.csv", yields_text=real)
    assert rates.example is False
    assert (rates.prescribed_on(date(2026, 1, 2)), rates.prescribed_on(date(2026, 4, 1))) == (
        Decimal("2.5"), Decimal("2.3"))


def test_a_real_table_row_that_disagrees_with_the_yields_is_a_fault() -> None:
    table = "quarter,rate_percent,source,example\n2026-Q2,2.4,CBSA notice,false\n"
    with pytest.raises(ReferenceDataError, match=r"2026-Q2: 2.4 in the table but 2.3 computed"):
        load_prescribed_rates(table, "rates.csv", yields_text=JANUARY_2026)


def test_a_yields_file_in_the_reference_folder_sets_the_rates_billing_uses(tmp_path) -> None:
    from pipeline.config import Settings
    from pipeline.runtime import open_runtime

    (tmp_path / "refdata" / "billing").mkdir(parents=True)
    (tmp_path / "refdata" / "billing" / "tbill_yields.csv").write_text(JANUARY_2026, encoding="utf-8")
    settings = Settings.from_env({"CARM_HOME": str(tmp_path / "home"), "CARM_REFDATA_DIR": str(tmp_path / "refdata")})
    runtime = open_runtime(settings)
    assert runtime.prescribed_rates.prescribed_on(date(2026, 4, 1)) == Decimal("2.3")
