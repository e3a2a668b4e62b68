"""Treatments, exchange rates, units, surtax, relief codes, CLVS and statutory rates as shipped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pipeline.reference import load_reference
from pipeline.reference.types import ReferenceData, covers


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return load_reference()


# -- treatments -------------------------------------------------------------------------------------------


def test_treatment_codes(reference):
    assert {
        code: t.abbreviation
        for code, t in reference.treatments.items()
        if code in ("2", "3", "10", "11", "34")
    } == {"2": "MFN", "3": "GT", "10": "UST", "11": "MXT", "34": "UKT"}
    assert "12" not in reference.treatments  # MUST, historical
    assert "CPUKT" not in {t.abbreviation for t in reference.treatments.values()}  # no known code
    assert reference.treatments["2"].entitled is None and reference.treatments["3"].entitled is None


def test_entitlement(reference):
    ust, mfn, general, cptpt = (reference.treatments[code] for code in ("10", "2", "3", "33"))
    assert ust.is_entitled("US", date(2025, 5, 2))
    assert not ust.is_entitled("CN", date(2025, 5, 2))
    assert mfn.is_entitled("CN", date(2025, 5, 2))
    assert mfn.is_entitled("RU", date(2022, 3, 2)) and not mfn.is_entitled("RU", date(2022, 3, 3))
    assert not mfn.is_entitled("BY", date(2025, 1, 1))
    assert general.is_entitled("RU", date(2025, 1, 1))
    assert not cptpt.is_entitled("GB", date(2024, 12, 14)) and cptpt.is_entitled("GB", date(2024, 12, 15))
    assert cptpt.is_entitled("JP", date(2024, 1, 1)) and not cptpt.is_entitled("US", date(2025, 1, 1))


def test_eu_and_uk_under_ceta(reference):
    ceut = reference.treatments["31"]
    assert ceut.entitled is not None and {"DE", "FR", "HR", "IE"} <= ceut.entitled
    assert ceut.is_entitled("FR", date(2025, 1, 1))
    assert ceut.is_entitled("GB", date(2020, 6, 1)) and not ceut.is_entitled("GB", date(2021, 1, 1))
    assert reference.treatments["34"].is_entitled("GB", date(2025, 1, 1))
    assert len(ceut.entitled - {"GB"}) == 27


def test_preference_lists_are_loaded(reference):
    for code, member in (("7", "JM"), ("8", "BD"), ("9", "VN")):
        treatment = reference.treatments[code]
        assert treatment.entitled is not None and member in treatment.entitled
        assert not treatment.is_entitled("US", date(2025, 1, 1))


# -- exchange rates ---------------------------------------------------------------------------------------


def test_saturday_takes_fridays_rate(reference):
    friday = reference.exchange_rates.rate_for("USD", date(2025, 5, 2))
    saturday = reference.exchange_rates.rate_for("USD", date(2025, 5, 3))
    assert friday.rate == Decimal("1.3800") and str(friday.rate) == "1.3800"
    assert saturday == friday and saturday.published == date(2025, 5, 2) and saturday.series == "FXUSDCAD"


def test_no_rate_before_the_first_observation(reference):
    assert reference.exchange_rates.rate_for("USD", date(2023, 12, 26)) is None
    assert reference.exchange_rates.rate_for("USD", date(2023, 12, 27)).rate == Decimal("1.3205")
    assert reference.exchange_rates.rate_for("MYR", date(2025, 1, 1)) is None  # series without observations
    assert reference.exchange_rates.rate_for("CAD", date(2000, 1, 1)).rate == Decimal(1)


def test_rates_are_exact_decimals_merged_from_both_files(reference):
    series = reference.exchange_rates.series["JPY"]
    assert all(isinstance(rate, Decimal) for _, rate in series)
    assert [day for day, _ in series] == sorted({day for day, _ in series})  # overlap merged, sorted
    # 2024-12-30 is in both the 2024 and the 2025 file, with the same value
    assert reference.exchange_rates.rate_for("JPY", date(2024, 12, 30)).rate == Decimal("0.009150")
    assert reference.exchange_rates.rate_for("IDR", date(2025, 12, 30)).rate == Decimal("0.000082")
    assert "Source: Bank of Canada" in reference.exchange_rates.source


# -- currencies, countries, units -------------------------------------------------------------------------


def test_currencies_and_countries_come_from_the_packages(reference):
    assert reference.currencies["USD"] == 2 and reference.currencies["JPY"] == 0
    assert reference.currencies["KWD"] == 3
    assert "XAU" not in reference.currencies  # no minor units
    assert {"US", "GB", "CN", "RU"} <= reference.countries and "XX" not in reference.countries


@pytest.mark.parametrize(
    ("source", "target", "factor"),
    [
        ("KGM", "TNE", "0.001"),
        ("TNE", "KGM", "1000"),
        ("GRM", "KGM", "0.001"),
        ("GRM", "TNE", "0.000001"),
        ("LTR", "HLT", "0.01"),
        ("HLT", "LTR", "100"),
        ("MLT", "LTR", "0.001"),
        ("DZN", "NMB", "12"),
        ("MIL", "NMB", "1000"),
        ("NMB", "MIL", "0.001"),
        ("nmb", "C62", "1"),
        ("KGM", "KGM", "1"),
        ("H87", "NMB", "1"),
        ("DPR", "PAR", "12"),
    ],
)
def test_unit_factors(reference, source, target, factor):
    assert reference.units.factor(source, target) == Decimal(factor)


def test_units_without_a_fixed_factor(reference):
    units = reference.units
    assert units.factor("KGM", "LTR") is None
    assert units.factor("NMB", "DZN") is None  # 1/12 has no exact decimal
    assert units.factor("KGM", "BOX") is None
    assert (
        units.canonical("NMB") == "C62" and units.canonical("PAR") == "PR" and units.canonical("mtk") == "MTK"
    )
    assert units.canonical("NMBX") is None


# -- surtax -----------------------------------------------------------------------------------------------


def test_surtax_order_of_2026(reference):
    rule = reference.surtax_for("8427.10.10.00", "US", date(2026, 9, 8))
    assert rule is not None and rule.order == "SOR/2026-186" and rule.schedule == "1"
    assert rule.rate == Decimal("15") and rule.row > 1
    assert reference.surtax_for("9504500000", "US", date(2026, 9, 8)).rate == Decimal("50")
    assert reference.surtax_for("8427101000", "US", date(2026, 9, 7)) is None
    assert reference.surtax_for("8427101000", "CN", date(2026, 9, 8)) is None
    assert reference.surtax_for("9804300000", "US", date(2026, 9, 8)) is None  # Schedule 4: not loaded
    assert len(reference.surtaxes) == 335


# -- relief tables ----------------------------------------------------------------------------------------


def test_excise_tax_is_real_and_duty_examples_say_so(reference):
    air = reference.excise["AC"]
    assert (air.kind, air.per_unit, air.unit, air.example) == ("tax", Decimal("100"), "C62", False)
    assert {code: reference.excise[code].per_unit for code in ("FV13", "FV14", "FV15", "FV16")} == {
        "FV13": Decimal("1000"),
        "FV14": Decimal("2000"),
        "FV15": Decimal("3000"),
        "FV16": Decimal("4000"),
    }
    spirits = reference.excise["SPR"]
    assert spirits.kind == "duty" and spirits.example and spirits.description.startswith("EXAMPLE")
    assert spirits.unit == "LPA"


def test_gst_break_code(reference):
    holiday = reference.special_authorities["24-25-GSTTPS"]
    assert holiday.relieves == "gst" and holiday.approximate_goods
    assert (holiday.start, holiday.end) == (date(2024, 12, 14), date(2025, 2, 15))
    assert covers(holiday.goods, "9503001010") and covers(holiday.goods, "4901990000")
    assert not covers(holiday.goods, "8703409010") and not covers(holiday.goods, "2208200000")
    remission = reference.special_authorities["EXAMPLE-REMISSION"]
    assert remission.relieves == "surtax" and remission.remits_order == "SOR/2026-186"


def test_sima_and_gst_exemptions_are_examples(reference):
    assert all(measure.example for measure in reference.sima.values())
    assert all(code.example for code in reference.gst_exemptions.values())
    assert reference.sima_for("6907402100", "CN", date(2025, 5, 2)).code == "S01"
    assert reference.sima["S03"].per_unit == Decimal("1.25") and reference.sima["S03"].unit == "C62"
    assert reference.sima_for("9503001010", "CN", date(2025, 5, 2)) is None  # the worked example stays clean


def test_clvs_and_gst_rate(reference):
    clvs = reference.clvs
    assert clvs.shipment_limit == Decimal("3300.00")
    assert [(t.countries, t.max_vfd, t.duty_free, t.gst_free) for t in clvs.thresholds] == [
        (frozenset({"US", "MX"}), Decimal("40"), True, True),
        (frozenset({"US", "MX"}), Decimal("150"), True, False),
        (None, Decimal("20"), True, True),
    ]
    assert reference.gst_rate == Decimal("5")


def test_provenance_names_every_table(reference):
    assert set(reference.provenance) == {
        "tariff",
        "treatments",
        "exchange_rates",
        "currencies",
        "countries",
        "units",
        "surtaxes",
        "sima",
        "excise",
        "gst_exemptions",
        "special_authorities",
        "clvs",
        "gst_rate",
    }
    assert "EXAMPLE" in reference.provenance["sima"]
    assert "Bank of Canada" in reference.provenance["exchange_rates"]
