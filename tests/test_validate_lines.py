"""Line-level codes: B08 origin, B09 line and filer currency, B10-B13, B15-B19 (code, location, value named)."""

from __future__ import annotations

import pytest

from pipeline.findings import Finding
from pipeline.model import FilerAmount, Line
from pipeline.validate import validate_submission
from tests.model_samples import parse_result, valid_declaration, valid_line
from tests.validate_refdata import (
    EXCISE_CODE,
    EXCISE_EXPIRED,
    EXCISE_PER_KG,
    GST_BREAK,
    GST_EXEMPTION,
    REMISSION,
    SIMA_CODE,
    SIMA_EXPIRED,
    context,
)

ITEM1 = "/DocumentMetaData/Declaration[1]/GoodsShipment/GovernmentAgencyGoodsItem[1]"
ITEM2 = "/DocumentMetaData/Declaration[1]/GoodsShipment/GovernmentAgencyGoodsItem[2]"


def line_findings(*lines: Line, style: str = "xml", **header: object) -> list[Finding]:
    declaration = valid_declaration(style=style, lines=lines, **header)
    verdict = validate_submission(parse_result(declaration, style=style), context())
    return list(verdict.declarations[0].findings)


def only(line: Line, code: str, style: str = "xml", **header: object) -> Finding:
    found = line_findings(line, style=style, **header)
    assert [f.code for f in found] == [code], found
    assert found[0].line == 1 and found[0].message_reference == "1"
    return found[0]


def test_worked_example_lines_are_clean() -> None:
    assert line_findings(valid_line(1), valid_line(2, origin="US", treatment="10")) == []


# -- B08, B09 ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("origin", ["CHN", "cn", "XX", ""])
def test_b08_origin(origin: str) -> None:
    b08 = only(valid_line(origin=origin), "B08")
    assert b08.location == f"{ITEM1}/Origin/CountryCode"
    assert f'"{origin}"' in b08.message


def test_b08_origin_edifact_location_is_the_line_loc() -> None:
    assert only(valid_line(origin="ZZ"), "B08", style="edifact").location == "LOC#16"


def test_b09_line_currency_differs_from_the_invoice() -> None:
    b09 = only(valid_line(value_currency="EUR"), "B09")
    assert b09.location == f"{ITEM1}/CustomsValuation/ChargeAmount/@currencyID"
    assert '"EUR"' in b09.message and '"USD"' in b09.message


def test_b09_filer_amount_not_in_cad() -> None:
    line = valid_line(filer_amounts=(FilerAmount("CUD", "110.40", "", "USD"),))
    b09 = only(line, "B09")
    assert b09.location == f"{ITEM1}/DutyTaxFee[1]"
    assert '"USD"' in b09.message and "CUD" in b09.message


# -- B10, B11, B12 -----------------------------------------------------------------------------------------------

def test_b10_classification_not_in_the_tariff_in_force() -> None:
    b10 = only(valid_line(classification="9503001099"), "B10")
    assert b10.location == f"{ITEM1}/Commodity/Classification/ID"
    assert b10.message == 'classification "9503001099" is not in the tariff in force on 2025-05-05'


@pytest.mark.parametrize("classification", ["95030010", "9503.00.10.10", "950300101A", ""])
def test_b10_classification_not_ten_digits(classification: str) -> None:
    b10 = only(valid_line(classification=classification), "B10")
    assert f'"{classification}"' in b10.message and "10 digits" in b10.message


def test_b10_edifact_location_is_the_cst() -> None:
    assert only(valid_line(classification="9999999999"), "B10", style="edifact").location == "CST#14"


def test_b11_treatment_unknown() -> None:
    b11 = only(valid_line(treatment="99"), "B11")
    assert b11.location == f"{ITEM1}/TariffTreatmentCode"
    assert '"99"' in b11.message


def test_b12_treatment_not_offered_for_the_classification() -> None:
    # 9503.00.10.10 offers MFN, GPT and the free preferences, but not the Australia Tariff.
    b12 = only(valid_line(treatment="4", origin="AU"), "B12", export_country="AU")
    assert b12.location == f"{ITEM1}/TariffTreatmentCode"
    assert '"4"' in b12.message and '"9503001010"' in b12.message


def test_b12_origin_not_entitled() -> None:
    b12 = only(valid_line(treatment="10", origin="CN"), "B12")
    assert b12.location == f"{ITEM1}/TariffTreatmentCode"
    assert '"CN"' in b12.message and '"10" (UST)' in b12.message


def test_b12_russia_lost_mfn_on_2022_03_03() -> None:
    b12 = only(valid_line(origin="RU"), "B12")
    assert '"RU"' in b12.message and "MFN" in b12.message
    assert line_findings(valid_line(origin="RU", treatment="3")) == []


# -- B13 ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("quantity", ["0", "-1", "ten", "1e3", "NaN"])
def test_b13_quantity_not_a_positive_number(quantity: str) -> None:
    b13 = only(valid_line(quantity=quantity), "B13")
    assert b13.location == f"{ITEM1}/GoodsMeasure/TariffQuantity"
    assert f'"{quantity}"' in b13.message


def test_b13_quantity_missing() -> None:
    assert "missing" in only(valid_line(quantity=""), "B13").message


def test_b13_unit_unknown() -> None:
    b13 = only(valid_line(unit="BOX"), "B13")
    assert b13.location == f"{ITEM1}/GoodsMeasure/TariffQuantity/@unitCode"
    assert '"BOX"' in b13.message


def test_b13_unit_not_convertible_to_the_tariff_unit() -> None:
    # Tricycles are counted (NMB, the CBSA alias the message names, whatever Rec 20 code the data keeps).
    b13 = only(valid_line(unit="KGM"), "B13")
    assert '"KGM"' in b13.message and "NMB" in b13.message and '"9503001010"' in b13.message
    assert b13.location == f"{ITEM1}/GoodsMeasure/TariffQuantity/@unitCode"


def test_b13_edifact_location_is_the_mea() -> None:
    assert only(valid_line(unit="LTR"), "B13", style="edifact").location == "MEA#17"


def test_convertible_unit_is_accepted() -> None:
    # Powdered whey is in KGM with a per-kg rate: a quantity in tonnes converts by a fixed factor.
    assert line_findings(valid_line(classification="0404102200", unit="TNE", quantity="2")) == []


def test_b13_unit_not_convertible_to_the_rate_unit() -> None:
    b13 = only(valid_line(classification="0404102200", unit="NMB"), "B13")
    assert '"NMB"' in b13.message and '"KGM"' in b13.message


# -- B15 ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "words"), [
    ("abc", "not a number"),
    ("1,000.00", "not a number"),
    ("1e3", "not a number"),
    ("-5.00", "negative"),
    ("1000.001", "3 decimals; USD allows 2"),
])
def test_b15_value(value: str, words: str) -> None:
    b15 = only(valid_line(value=value), "B15")
    assert b15.location == f"{ITEM1}/CustomsValuation/ChargeAmount"
    assert f'"{value}"' in b15.message and words in b15.message


def test_b15_value_missing() -> None:
    assert "missing" in only(valid_line(value=""), "B15").message


def test_b15_decimals_follow_the_currency() -> None:
    b15 = only(valid_line(value="100000.5"), "B15", currency="JPY")
    assert '"100000.5"' in b15.message and "JPY allows 0" in b15.message
    assert line_findings(valid_line(value="100000"), currency="JPY") == []


def test_b15_edifact_location_is_the_moa() -> None:
    assert only(valid_line(value="x"), "B15", style="edifact").location == "MOA#18"


@pytest.mark.parametrize(("amount", "words"), [("n/a", "not an amount"), ("-1.00", "negative"),
                                               ("110.405", "3 decimals")])
def test_b15_filer_amount_not_an_amount(amount: str, words: str) -> None:
    line = valid_line(filer_amounts=(FilerAmount("CUD", amount, ""),))
    b15 = only(line, "B15", style="edifact")
    assert b15.location == "MOA#20"  # TAX#19 + MOA#20 after the line's five segments
    assert f'"{amount}"' in b15.message and words in b15.message


def test_filer_amounts_that_are_amounts_are_not_judged_here() -> None:
    # Whether they match the assessment is W01, raised by assessment, not by validation.
    assert line_findings(valid_line(filer_amounts=(FilerAmount("CUD", "999.99", ""),))) == []


# -- B16 ---------------------------------------------------------------------------------------------------------

def test_b16_special_authority_unknown() -> None:
    b16 = only(valid_line(special_authority="NO-SUCH"), "B16")
    assert b16.location == f"{ITEM1}/SpecialAuthorityCode"
    assert '"NO-SUCH"' in b16.message


def test_b16_gst_break_expired_on_the_release_date() -> None:
    b16 = only(valid_line(special_authority=GST_BREAK), "B16")
    assert f'"{GST_BREAK}"' in b16.message
    assert "2024-12-14 to 2025-02-15" in b16.message and "2025-05-05" in b16.message


def test_b16_special_authority_not_for_these_goods() -> None:
    b16 = only(valid_line(special_authority=REMISSION), "B16")
    assert f'"{REMISSION}"' in b16.message and '"9503001010"' in b16.message


def test_special_authority_for_the_goods_in_its_window() -> None:
    line = valid_line(classification="0404102200", unit="KGM", special_authority=REMISSION)
    assert line_findings(line) == []


def test_b16_edifact_location_is_the_gis() -> None:
    assert only(valid_line(special_authority="X"), "B16", style="edifact").location == "GIS#19"


# -- B17 ---------------------------------------------------------------------------------------------------------

def test_b17_gst_exemption_unknown() -> None:
    b17 = only(valid_line(gst_exemption="G99"), "B17")
    assert b17.location == f"{ITEM1}/GSTExemptionCode"
    assert '"G99"' in b17.message


def test_b17_gst_exemption_not_for_these_goods() -> None:
    b17 = only(valid_line(classification="0404102200", unit="KGM", gst_exemption=GST_EXEMPTION), "B17")
    assert f'"{GST_EXEMPTION}"' in b17.message and '"0404102200"' in b17.message


def test_gst_exemption_for_these_goods() -> None:
    assert line_findings(valid_line(gst_exemption=GST_EXEMPTION)) == []


# -- B18 ---------------------------------------------------------------------------------------------------------

def test_b18_excise_code_unknown() -> None:
    b18 = only(valid_line(excise_code="ZZ"), "B18")
    assert b18.location == f"{ITEM1}/ExciseTaxCode"
    assert '"ZZ"' in b18.message


def test_b18_excise_code_not_in_force() -> None:
    b18 = only(valid_line(excise_code=EXCISE_EXPIRED), "B18")
    assert f'"{EXCISE_EXPIRED}"' in b18.message and "2025-05-05" in b18.message


def test_b18_excise_code_not_for_these_goods() -> None:
    b18 = only(valid_line(classification="9503001090", excise_code=EXCISE_CODE), "B18")
    assert f'"{EXCISE_CODE}"' in b18.message and '"9503001090"' in b18.message


def test_b18_excise_unit_not_convertible() -> None:
    b18 = only(valid_line(excise_code=EXCISE_PER_KG), "B18")
    assert f'"{EXCISE_PER_KG}"' in b18.message and '"KGM"' in b18.message


def test_excise_code_for_these_goods() -> None:
    assert line_findings(valid_line(excise_code=EXCISE_CODE)) == []


# -- B19 ---------------------------------------------------------------------------------------------------------

def test_b19_sima_code_unknown() -> None:
    b19 = only(valid_line(sima="S99"), "B19")
    assert b19.location == f"{ITEM1}/SIMACode"
    assert '"S99"' in b19.message


def test_b19_sima_measure_not_for_this_origin() -> None:
    b19 = only(valid_line(origin="US", treatment="10", sima=SIMA_CODE), "B19")
    assert f'"{SIMA_CODE}"' in b19.message and '"US"' in b19.message


def test_b19_sima_measure_not_for_these_goods() -> None:
    b19 = only(valid_line(classification="9503001090", sima=SIMA_CODE), "B19")
    assert '"9503001090"' in b19.message


def test_b19_sima_measure_not_in_force() -> None:
    b19 = only(valid_line(sima=SIMA_EXPIRED), "B19")
    assert f'"{SIMA_EXPIRED}"' in b19.message and "2025-05-05" in b19.message


def test_sima_measure_for_these_goods_and_origin() -> None:
    assert line_findings(valid_line(sima=SIMA_CODE)) == []


# -- several lines and the per-call memo ------------------------------------------------------------------------

def test_each_line_is_reported_at_its_own_place() -> None:
    found = line_findings(valid_line(1, treatment="99"), valid_line(2, treatment="99"))
    assert [(f.code, f.line, f.location) for f in found] == [
        ("B11", 1, f"{ITEM1}/TariffTreatmentCode"), ("B11", 2, f"{ITEM2}/TariffTreatmentCode")]


def test_same_goods_on_different_release_dates_are_judged_per_date() -> None:
    early = valid_declaration(index=1, release_date="2024-12-20", document_date="2024-12-20",
                              shipment_date="2024-12-19", lines=[valid_line(special_authority=GST_BREAK)])
    late = valid_declaration(index=2, transaction_number="10207000220870",
                             lines=[valid_line(special_authority=GST_BREAK)])
    verdict = validate_submission(parse_result(early, late), context())
    first, second = verdict.declarations
    # The same line, memoised once per distinct release date: in the GST/HST break window, then after it.
    assert "B16" not in [f.code for f in first.findings]
    assert [f.code for f in second.findings] == ["B16"]


def test_declaration_with_every_code_valid() -> None:
    line = valid_line(sima=SIMA_CODE, excise_code=EXCISE_CODE, gst_exemption=GST_EXEMPTION,
                      filer_amounts=(FilerAmount("CUD", "110.40", ""), FilerAmount("GST", "74.52", "")))
    assert line_findings(line, style="edifact") == []
    assert line_findings(line) == []
