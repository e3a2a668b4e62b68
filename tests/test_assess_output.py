"""What ``carm assess`` shows: explanations that let a reader redo every amount, the JSON document merging
validation verdicts with the assessment, and the text renderings."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from pipeline.assess import (
    assess_declarations,
    document_text,
    explain_declaration,
    explain_line,
    explanation_text,
)
from pipeline.checking import CheckedFile
from pipeline.findings import Finding
from pipeline.money import from_cents, round_cents
from pipeline.parsers import ParseResult
from pipeline.report import assessment_document, validation_document
from pipeline.validate.verdict import DeclarationVerdict, SubmissionVerdict
from tests.test_assess_support import (
    CAPPED,
    EXCISE_AC,
    GST_BREAK,
    SIMA_PER_TONNE,
    declaration,
    line,
    reference,
)


def mixed_declaration():
    return declaration(
        line(1),
        line(2, classification="1104191200", unit="KGM", quantity="2500", value="1000.03"),
        line(3, classification="0404102200", unit="KGM", quantity="120", value="100.00"),
        line(4, classification=CAPPED, unit="KGM", quantity="30", value="999.99"),
        line(5, classification="7302309000", unit="KGM", quantity="2000", origin="CN", sima=SIMA_PER_TONNE),
        line(6, classification="8703409010", unit="NMB", quantity="2", origin="DE", excise_code=EXCISE_AC),
        line(7, classification="7325100090", unit="KGM", origin="CN"),
    )


def test_explanation_names_the_exchange_rate_its_date_and_series():
    assessment = assess_declarations([declaration(line(), shipment_date="2025-05-03")], reference())
    step = explain_line(assessment, 0, 1).step("vfd")
    inputs = dict(step.inputs)
    assert (inputs["exchange rate"], inputs["rate series"], inputs["rate published"]) == (
        "1.3800 CAD per USD", "FXUSDCAD", "2025-05-02")
    assert inputs["direct shipment date"] == "2025-05-03"
    assert step.exact == Decimal("1380.00") and step.formula == "1000.00 USD × 1.3800 = 1380.00"


def test_explanation_names_the_rate_text_and_reference_row():
    assessment = assess_declarations([declaration(line())], reference())
    step = explain_line(assessment, 0, 1).step("customs_duty")
    inputs = dict(step.inputs)
    assert inputs["rate"] == "8%"
    assert "9503001010" in inputs["reference row"] and "row 90" in inputs["reference row"]
    assert step.formula == "1380.00 × 8% = 110.40"


def test_every_explained_amount_is_its_exact_value_rounded_and_matches_the_assessment():
    assessment = assess_declarations([mixed_declaration()], reference())
    rows = assessment.line_rows(0)
    for row, explanation in zip(rows.itertuples(), explain_declaration(assessment, 0), strict=True):
        for step in explanation.steps:
            assert step.amount == from_cents(getattr(row, step.charge))
            assert round_cents(step.exact) == step.amount or step.formula.startswith("courier")


def test_explanation_of_a_rounded_compound_rate_can_be_redone_by_hand():
    assessment = assess_declarations([mixed_declaration()], reference())
    vfd = explain_line(assessment, 0, 2).step("vfd")
    assert vfd.exact == Decimal("1000.03") * Decimal("1.3800") and vfd.amount == Decimal("1380.04")
    duty = explain_line(assessment, 0, 2).step("customs_duty")
    # 7% of 1380.04 = 96.6028, plus 2500 kg = 2.5 t × 106.50 = 266.25
    assert duty.exact == Decimal("96.6028") + Decimal("266.25")
    assert duty.amount == Decimal("362.85") and duty.rounded
    assert "2500 KGM × 0.001 = 2.500 TNE" in duty.formula and "the sum of" in duty.formula
    assert "rounded to the cent" in duty.rounding


def test_explanation_names_the_measure_and_why_it_applied():
    assessment = assess_declarations([mixed_declaration()], reference())
    named = dict(explain_line(assessment, 0, 5).step("sima").inputs)
    found = dict(explain_line(assessment, 0, 7).step("sima").inputs)
    assert named["measure"].startswith(SIMA_PER_TONNE) and "SIMA code" in named["applied because"]
    assert "W03" in found["applied because"]
    assert "example" in named["reference row"]


def test_explanation_of_a_gst_relief_names_the_code_and_its_approximation():
    released = "2025-01-10"
    assessment = assess_declarations(
        [declaration(line(special_authority=GST_BREAK), currency="CAD", release_date=released,
                     shipment_date=released)], reference())
    step = explain_line(assessment, 0, 1).step("gst")
    assert step.amount == 0 and GST_BREAK in step.formula
    assert "approximation" in dict(step.inputs)["relief"]


def test_explanation_text_lists_every_amount_with_its_inputs():
    assessment = assess_declarations([mixed_declaration()], reference())
    text = explanation_text(explain_line(assessment, 0, 6))
    assert "excise tax: 200.00" in text and "2 NMB × $100/C62 = 200.00" in text
    assert "value for duty: 1380.00" in text and "FXUSDCAD" in text


# -- the document of a run ----------------------------------------------------------------------------------

def _file(verdict: SubmissionVerdict) -> CheckedFile:
    return CheckedFile("cads.edi", ParseResult(None), verdict)


def _without_file_keys(document: dict) -> dict:
    return {"declarations": [{k: v for k, v in d.items() if k != "file"} for d in document["declarations"]]}


def test_document_merges_accepted_and_rejected_declarations_in_file_order():
    accepted = declaration(line(), transaction_number="10207000002945")
    rejected = declaration(line(classification="0000000000"), transaction_number="10207000002956")
    late = Finding("W02", "filed late", "/Declaration", 0)
    error = Finding("B10", "classification 0000000000 not in the tariff", "/Declaration/Item[1]", 1)
    verdict = SubmissionVerdict(None, (), (DeclarationVerdict(rejected, (error,)), DeclarationVerdict(accepted, (late,))))
    assessment = assess_declarations([accepted], reference())
    document = assessment_document([_file(verdict)], assessment)
    first, second = document["declarations"]
    assert first == {"file": "cads.edi", "transaction_number": "10207000002956", "version": 1, "importer": "123456782RM0001",
                     "status": "rejected", "errors": [error.as_json()], "warnings": []}
    assert second["status"] == "accepted" and second["totals"]["total"] == "184.92"
    assert second["warnings"] == [late.as_json()]


def test_file_level_errors_reject_every_declaration_of_the_file():
    fault = Finding("S04", "segment count", "UNT#9")
    verdict = SubmissionVerdict(None, (fault,), (DeclarationVerdict(declaration(line()), ()),))
    document = validation_document([_file(verdict)])
    assert document["declarations"][0]["status"] == "rejected"
    assert document["declarations"][0]["errors"] == [fault.as_json()]


def test_text_rendering_has_a_table_per_declaration():
    accepted = declaration(line(1), line(2, origin="US", treatment="10"))
    assessment = assess_declarations([accepted], reference())
    verdict = SubmissionVerdict(None, (), (DeclarationVerdict(accepted, ()),))
    text = document_text(assessment_document([_file(verdict)], assessment))
    rows = text.splitlines()
    assert rows[0] == "Transaction 10207000002945 version 1, importer 123456782RM0001: accepted"
    assert rows[2].split() == ["1", "9503001010", "2", "CN", "1380.00", "110.40", "0.00", "0.00", "0.00", "0.00",
                               "1490.40", "74.52", "184.92"]
    assert rows[4].split() == ["Total", "2760.00", "110.40", "0.00", "0.00", "0.00", "0.00", "2870.40", "143.52",
                               "253.92"]


def test_worked_example_document_matches_the_golden_file():
    golden = json.loads((Path(__file__).parents[1] / "fixtures/assess/worked_example.json").read_text())
    declarations = [
        declaration(line(origin="CN", treatment="2"), transaction_number="10207000002945"),
        declaration(line(origin="US", treatment="10"), transaction_number="10207000002956"),
        declaration(line(origin="CN", treatment="2"), transaction_number="10207000002967", shipment_date="2025-05-03"),
    ]
    assessment = assess_declarations(declarations, reference())
    verdict = SubmissionVerdict(None, (), tuple(DeclarationVerdict(d, ()) for d in declarations))
    assert _without_file_keys(assessment_document([_file(verdict)], assessment)) == {"declarations": golden["declarations"]}
