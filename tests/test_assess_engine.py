"""Assessment of single declarations: the spec's worked example, every rate form, surtax, SIMA, excise, GST
reliefs, courier low-value shipments and the filer-amount warnings. Every case also checks that the vectorized
engine and the Decimal oracle agree."""

from __future__ import annotations

import pytest

from pipeline.assess import (
    UnassessableLine,
    assess_declaration_decimal,
    assess_declarations,
    assessment_json,
)
from pipeline.assess.rules import AMOUNTS
from pipeline.model import Declaration
from tests.test_assess_support import (
    CAPPED,
    EXCISE_AC,
    EXCISE_SPIRITS,
    GST_BREAK,
    GST_EXEMPT,
    REMISSION,
    SIMA_PER_TONNE,
    SIMA_PERCENT,
    declaration,
    filed,
    line,
    reference,
)


def assess(declaration: Declaration) -> dict:
    """The JSON document of one declaration, after checking the engine against the oracle."""
    document = assessment_json(assess_declarations([declaration], reference()))["declarations"][0]
    oracle = assess_declaration_decimal(declaration, reference())
    assert [{name: row[name] for name in AMOUNTS} for row in document["lines"]] == [
        {name: f"{row[name]:.2f}" for name in AMOUNTS} for row in oracle["lines"]
    ]
    assert document["totals"] == {name: f"{oracle['totals'][name]:.2f}" for name in AMOUNTS}
    assert document["warnings"] == [finding.as_json() for finding in oracle["warnings"]]
    return document


def amounts_of(document: dict, number: int = 1) -> dict[str, str]:
    row = next(row for row in document["lines"] if row["line"] == number)
    return {name: row[name] for name in AMOUNTS}


def cad(*lines, **fields) -> Declaration:
    """A CAD-invoiced declaration (rate 1), released 2025-05-05 unless told."""
    return declaration(*lines, **{"currency": "CAD", **fields})


# -- the worked example of spec/assessment.md -----------------------------------------------------------------

def test_worked_example_origin_cn_under_mfn():
    assert amounts_of(assess(declaration(line(origin="CN", treatment="2")))) == {
        "vfd": "1380.00", "customs_duty": "110.40", "surtax": "0.00", "sima": "0.00", "excise_duty": "0.00",
        "excise_tax": "0.00", "vft": "1490.40", "gst": "74.52", "total": "184.92",
    }


def test_worked_example_origin_us_under_ust():
    found = amounts_of(assess(declaration(line(origin="US", treatment="10"))))
    assert (found["vfd"], found["customs_duty"], found["vft"], found["gst"], found["total"]) == (
        "1380.00", "0.00", "1380.00", "69.00", "69.00")


def test_worked_example_shipped_on_a_saturday_uses_fridays_rate():
    friday = assess(declaration(line(), shipment_date="2025-05-02"))
    saturday = assess(declaration(line(), shipment_date="2025-05-03"))
    assert amounts_of(saturday) == amounts_of(friday)
    assert amounts_of(saturday)["total"] == "184.92"


def test_json_document_has_the_interfaces_shape():
    document = assess(declaration(line(1), line(2, origin="US", treatment="10")))
    assert list(document) == ["transaction_number", "version", "importer", "status", "errors", "lines", "totals",
                              "warnings"]
    assert (document["transaction_number"], document["version"], document["importer"], document["status"]) == (
        "10207000002945", 1, "123456782RM0001", "accepted")
    assert list(document["lines"][0]) == ["line", "classification", "tariff_treatment", "origin", *AMOUNTS]
    assert document["lines"][1]["tariff_treatment"] == "10"
    assert document["totals"]["total"] == "253.92"  # 184.92 + 69.00, sums of the rounded lines


# -- exchange rates ------------------------------------------------------------------------------------------

def test_yen_invoice_has_no_minor_units():
    found = amounts_of(assess(declaration(line(value="150000"), currency="JPY")))
    assert found["vfd"] == "1432.50"  # 150000 × 0.009550


def test_line_currency_overrides_the_header_currency():
    found = amounts_of(assess(declaration(line(value="1000.00", value_currency="EUR"), currency="USD")))
    assert found["vfd"] == "1563.40"  # EUR 1.5634 on 2025-05-02


# -- rate forms ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("classification", "unit", "quantity", "duty"),
    [
        ("1701919091", "KGM", "2500", "77.15"),  # $30.86/tonne, declared in kg: 2.5 t
        ("0404102100", "TNE", "1.5", "49.80"),  # 3.32¢/kg, declared in tonnes: 1500 kg
    ],
)
def test_specific_rate_converts_the_declared_unit(classification, unit, quantity, duty):
    found = amounts_of(assess(cad(line(classification=classification, unit=unit, quantity=quantity))))
    assert found["customs_duty"] == duty


@pytest.mark.parametrize(
    ("classification", "value", "quantity", "duty"),
    [
        ("0404102200", "100.00", "50", "208.00"),  # 208% but not less than $2.07/kg: the percentage is more
        ("0404102200", "100.00", "120", "248.40"),  # … the minimum is more
        ("0810109100", "1000.00", "1000", "85.00"),  # 5.62¢/kg but not less than 8.5%: 8.5% is more
        ("0810109100", "1000.00", "2000", "112.40"),  # … the specific part is more
        (CAPPED, "1000.00", "30", "60.00"),  # 10% but not more than $2.00/kg: the cap binds
        (CAPPED, "1000.00", "60", "100.00"),  # … the percentage is below the cap
        ("1104191200", "1000.00", "2500", "336.25"),  # $106.50/tonne plus 7%: 266.25 + 70.00
    ],
)
def test_compound_rates(classification, value, quantity, duty):
    found = amounts_of(assess(cad(line(classification=classification, unit="KGM", value=value, quantity=quantity))))
    assert found["customs_duty"] == duty


def test_compound_sum_is_rounded_once():
    # 7% of 0.50 = 0.035 and 1 kg = 0.001 t × $106.50 = 0.1065: 0.1415 → 0.14 (0.04 + 0.11 if rounded apart)
    found = amounts_of(assess(cad(line(classification="1104191200", unit="KGM", value="0.50", quantity="1"))))
    assert found["customs_duty"] == "0.14"


def test_free_rate():
    assert amounts_of(assess(cad(line(origin="US", treatment="10"))))["customs_duty"] == "0.00"


# -- surtax --------------------------------------------------------------------------------------------------

def surtax_line(**fields):
    return line(**{"classification": "7325100090", "unit": "KGM", "quantity": "100", "origin": "US",
                   "treatment": "10", **fields})


def test_us_surtax_order_2026_applies_from_its_first_day():
    document = assess(cad(surtax_line(), release_date="2026-09-08", shipment_date="2026-09-01",
                          document_date="2026-09-08"))
    assert amounts_of(document) == {
        "vfd": "1000.00", "customs_duty": "0.00", "surtax": "500.00", "sima": "0.00", "excise_duty": "0.00",
        "excise_tax": "0.00", "vft": "1500.00", "gst": "75.00", "total": "575.00",
    }
    assert [w["code"] for w in document["warnings"]] == ["W03"]
    assert "SOR/2026-186" in document["warnings"][0]["message"]
    assert document["warnings"][0]["location"] == surtax_line().location


def test_no_surtax_the_day_before_the_order():
    document = assess(cad(surtax_line(), release_date="2026-09-07", shipment_date="2026-09-01"))
    assert amounts_of(document)["surtax"] == "0.00"
    assert document["warnings"] == []


def test_declared_surtax_gives_no_warning():
    document = assess(cad(surtax_line(filer_amounts=(filed("SUR", "500.00"),)), release_date="2026-09-08",
                          shipment_date="2026-09-01"))
    assert amounts_of(document)["surtax"] == "500.00"
    assert document["warnings"] == []


def test_surtax_other_origin_is_not_surtaxed():
    document = assess(cad(surtax_line(origin="DE", treatment="2"), release_date="2026-09-08",
                          shipment_date="2026-09-01"))
    assert amounts_of(document)["surtax"] == "0.00"


def test_remission_order_relieves_the_surtax():
    document = assess(cad(surtax_line(special_authority=REMISSION), release_date="2026-09-08",
                          shipment_date="2026-09-01"))
    assert amounts_of(document)["surtax"] == "0.00"
    assert document["warnings"] == []


# -- SIMA ----------------------------------------------------------------------------------------------------

def sima_line(**fields):
    return line(**{"classification": "7325100090", "unit": "KGM", "quantity": "100", "origin": "CN",
                   "treatment": "2", **fields})


def test_sima_measure_named_by_the_line():
    document = assess(cad(sima_line(sima=SIMA_PERCENT)))
    assert amounts_of(document) == {
        "vfd": "1000.00", "customs_duty": "60.00", "surtax": "0.00", "sima": "200.00", "excise_duty": "0.00",
        "excise_tax": "0.00", "vft": "1260.00", "gst": "63.00", "total": "323.00",
    }
    assert document["warnings"] == []


def test_sima_measure_applies_without_a_code_and_warns():
    document = assess(cad(sima_line()))
    assert amounts_of(document)["sima"] == "200.00"
    assert [(w["code"], w["location"]) for w in document["warnings"]] == [("W03", sima_line().location)]
    assert SIMA_PERCENT in document["warnings"][0]["message"]


def test_sima_per_unit_converts_to_the_measures_unit():
    document = assess(cad(line(classification="7302309000", unit="KGM", quantity="2000", origin="CN",
                               sima=SIMA_PER_TONNE)))
    assert amounts_of(document)["sima"] == "300.00"  # 2 t × $150.00


def test_sima_does_not_reach_other_origins():
    assert amounts_of(assess(cad(sima_line(origin="DE"))))["sima"] == "0.00"


# -- excise --------------------------------------------------------------------------------------------------

def test_excise_tax_on_air_conditioners_is_100_a_unit_and_enters_the_vft():
    document = assess(cad(line(classification="8703409010", unit="NMB", quantity="3", value="30000.00",
                               origin="DE", excise_code=EXCISE_AC)))
    assert amounts_of(document) == {
        "vfd": "30000.00", "customs_duty": "1830.00", "surtax": "0.00", "sima": "0.00", "excise_duty": "0.00",
        "excise_tax": "300.00", "vft": "32130.00", "gst": "1606.50", "total": "3736.50",
    }


def test_excise_duty_per_litre_is_rounded_to_the_cent():
    found = amounts_of(assess(cad(line(classification="2206001800", unit="LTR", quantity="0.75", value="20.00",
                                       origin="DE", excise_code=EXCISE_SPIRITS))))
    assert (found["customs_duty"], found["excise_duty"], found["vft"], found["gst"]) == (
        "0.60", "10.08", "30.68", "1.53")  # 0.75 × 13.436 = 10.077; 30.68 × 5% = 1.534


# -- GST -----------------------------------------------------------------------------------------------------

def test_gst_exemption_for_the_goods_it_covers():
    assert amounts_of(assess(cad(line(gst_exemption=GST_EXEMPT))))["gst"] == "0.00"


def test_gst_exemption_does_not_reach_other_goods():
    found = amounts_of(assess(cad(line(classification="7325100090", unit="KGM", origin="DE", gst_exemption=GST_EXEMPT))))
    assert found["gst"] == "53.00"  # (1000.00 + 6%) × 5%


@pytest.mark.parametrize(
    ("released", "gst"),
    [("2024-12-13", "54.00"), ("2024-12-14", "0.00"), ("2025-02-15", "0.00"), ("2025-02-16", "54.00")],
)
def test_gst_hst_break_window_edges(released, gst):
    document = assess(cad(line(special_authority=GST_BREAK), release_date=released, shipment_date=released,
                          document_date=released))
    assert amounts_of(document)["gst"] == gst  # tricycles: 1000.00 + 80.00 duty, 5%


# -- courier low-value shipments -----------------------------------------------------------------------------

def clvs(value: str, origin: str, **fields) -> Declaration:
    treatment = {"US": "10", "MX": "11"}.get(origin, "2")
    return cad(line(value=value, origin=origin, treatment=treatment, cargo_control="8000ABC123", **fields),
               cad_type="C")


@pytest.mark.parametrize(
    ("value", "origin", "duty", "gst"),
    [
        ("40.00", "US", "0.00", "0.00"),
        ("40.01", "US", "0.00", "2.00"),
        ("150.00", "MX", "0.00", "7.50"),
        ("150.01", "US", "0.00", "7.50"),  # UST is Free anyway: over C$150 only GST is due
        ("20.00", "CN", "0.00", "0.00"),
        ("20.01", "CN", "1.60", "1.08"),  # 8% of 20.01; (20.01 + 1.60) × 5%
    ],
)
def test_clvs_thresholds(value, origin, duty, gst):
    found = amounts_of(assess(clvs(value, origin)))
    assert (found["customs_duty"], found["gst"]) == (duty, gst)


def test_clvs_over_150_from_us_under_mfn_pays_duty():
    found = amounts_of(assess(cad(line(value="150.01", origin="US", treatment="2", cargo_control="8000ABC1"),
                                  cad_type="C")))
    assert (found["customs_duty"], found["gst"]) == ("12.00", "8.10")  # 8% of 150.01; 162.01 × 5%


def test_clvs_relief_covers_excise_and_sima_too():
    found = amounts_of(assess(clvs("15.00", "CN", classification="7325100090", unit="KGM", sima=SIMA_PERCENT)))
    assert (found["customs_duty"], found["sima"], found["vft"], found["gst"]) == ("0.00", "0.00", "15.00", "0.00")


def test_clvs_lines_of_one_cargo_control_number_are_one_shipment():
    two_parcels = cad(line(1, value="25.00", origin="US", treatment="10", cargo_control="8000A"),
                      line(2, value="20.00", origin="US", treatment="10", cargo_control="8000B"), cad_type="C")
    one_parcel = cad(line(1, value="25.00", origin="US", treatment="10", cargo_control="8000A"),
                     line(2, value="20.00", origin="US", treatment="10", cargo_control="8000A"), cad_type="C")
    assert assess(two_parcels)["totals"]["gst"] == "0.00"
    assert assess(one_parcel)["totals"]["gst"] == "2.25"  # C$45 > C$40: GST on both lines (1.25 + 1.00)


def test_a_regular_cad_gets_no_clvs_relief():
    assert amounts_of(assess(cad(line(value="10.00", origin="US", treatment="10"))))["gst"] == "0.50"


# -- W01 -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("declared", ["110.40", "110.4"])
def test_filer_amount_equal_to_the_assessed_one_gives_no_warning(declared):
    assert assess(declaration(line(filer_amounts=(filed("CUD", declared),))))["warnings"] == []


def test_filer_amount_that_differs_gives_w01_at_its_location():
    document = assess(declaration(line(filer_amounts=(filed("CUD", "110.41", "TAX#20"), filed("GST", "74.52", "TAX#21")))))
    assert [(w["code"], w["location"]) for w in document["warnings"]] == [("W01", "TAX#20")]
    assert "110.41" in document["warnings"][0]["message"] and "110.40" in document["warnings"][0]["message"]


def test_filer_amount_that_is_not_a_number_differs():
    document = assess(declaration(line(filer_amounts=(filed("GST", "n/a"),))))
    assert [w["code"] for w in document["warnings"]] == ["W01"]


@pytest.mark.parametrize("declared", [" 110.40 ", "+110.40", "110.400", "0110.4", "110.405", "110.", "-0.00", "1e2", ""])
def test_filer_amount_texts_are_read_as_the_oracle_reads_them(declared):
    # the engine compares plain texts as arrays and the others one by one; both as checks.filer_amount_value
    assess(declaration(line(filer_amounts=(filed("CUD", declared), filed("GST", "74.52"), filed("EXD", declared)))))


def test_w01_and_w03_keep_the_order_of_lines_and_amounts_across_declarations():
    surtaxed = surtax_line(number=2, filer_amounts=(filed("GST", "1.00", "TAX#30"), filed("CUD", "9.99", "TAX#31")))
    batch = [
        cad(line(1), surtaxed, release_date="2026-09-08", shipment_date="2026-09-01",
            document_date="2026-09-08", transaction_number="10207000002945"),
        declaration(line(1, filer_amounts=(filed("CUD", "1.00", "TAX#40"),)), transaction_number="10207000002956"),
    ]
    assessment = assess_declarations(batch, reference())
    for index, declared in enumerate(batch):
        assert list(assessment.warnings[index]) == assess_declaration_decimal(declared, reference())["warnings"]
    assert [(w.code, w.location) for w in assessment.warnings[1]] == [("W01", "TAX#40")]
    assert [w.code for w in assessment.warnings[0]] == ["W01", "W01", "W03"]


# -- batches and faults --------------------------------------------------------------------------------------

def test_a_batch_gives_each_declaration_its_own_totals():
    first = declaration(line(1), line(2, origin="US", treatment="10"), transaction_number="10207000002945")
    second = declaration(line(1, value="10.00"), transaction_number="10207000002956")
    assessment = assess_declarations([first, second], reference())
    assert assessment.declaration_totals(0)["total"] == 25392
    assert assessment.declaration_totals(1)["vfd"] == 1380
    assert list(assessment.lines["declaration"]) == [0, 0, 1]


def test_amounts_beyond_int64_are_computed_exactly():
    huge = declaration(line(value="92233720368547758.07"), line(2, classification="1104191200", unit="KGM",
                                                                 quantity="9223372036854775.807"))
    document = assess(huge)  # equality with the oracle is checked inside
    assert amounts_of(document)["vfd"] == "127282534108595906.14"  # × 1.3800 = …906.1366


def test_a_line_validation_should_have_rejected_is_a_fault():
    with pytest.raises(UnassessableLine, match="0000000000"):
        assess_declarations([declaration(line(classification="0000000000"))], reference())
