"""Bounds on every number a CAD carries, and ASCII-only digits (issue 12).

A hostile number must end as a finding that names it (B13 quantity, B15 value or amount, B20 line numbering,
B03/B01 identifiers), never as a crash or a database fault: a 5,000-digit value, a quantity with 3,000 decimals,
exponents, ``²`` and Arabic-Indic digits, and a declaration whose assessed amounts the ledger's NUMERIC(18, 2)
cannot hold. At the bounds, the engine agrees with the Decimal oracle to the cent (no silent int64 overflow).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from stdnum.exceptions import ValidationError

from pipeline.assess import assess_declaration_decimal, assess_declarations
from pipeline.assess.rules import AMOUNTS
from pipeline.digits import ascii_int, is_ascii_digits
from pipeline.findings import Finding
from pipeline.identifiers import business_number, transaction_number
from pipeline.model import FilerAmount, Line, Party
from pipeline.money import LEDGER_LIMIT_CENTS, to_cents
from pipeline.validate import validate_submission
from pipeline.validate.values import MAX_DIGITS, MAX_QUANTITY_DECIMALS
from tests.model_samples import parse_result, valid_declaration, valid_line
from tests.validate_refdata import EXCISE_CODE, History, context, reference_data

ITEM1 = "/DocumentMetaData/Declaration[1]/GoodsShipment/GovernmentAgencyGoodsItem[1]"
VALUE_AT = f"{ITEM1}/CustomsValuation/ChargeAmount"
QUANTITY_AT = f"{ITEM1}/GoodsMeasure/TariffQuantity"
HOSTILE_DIGITS = ("²", "١٢", "١", "٣", "۵", "१", "０", "𝟙")  # all str.isdigit(), none of them 0-9


def findings_of(*lines: Line, style: str = "xml", history: History | None = None, **header: object) -> list[Finding]:
    declaration = valid_declaration(style=style, lines=lines, **header)
    verdict = validate_submission(parse_result(declaration, style=style), context(history=history))
    return list(verdict.declarations[0].findings)


def only(line: Line, code: str, **header: object) -> Finding:
    found = findings_of(line, **header)
    assert [f.code for f in found] == [code], found
    return found[0]


# -- one home for digits ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", HOSTILE_DIGITS)
def test_only_ascii_digits_are_digits(text: str) -> None:
    assert text.isdigit()  # what the standard library would have let through
    assert not is_ascii_digits(text)
    assert ascii_int(text, 9) is None


def test_ascii_int_bounds_the_digits_before_converting() -> None:
    assert ascii_int("00042", 2) == 42  # leading zeros are not significant digits
    assert ascii_int("123", 2) is None
    assert ascii_int("9" * 5000, 9) is None  # int() would raise past 4,300 digits
    assert ascii_int("", 9) is None and ascii_int(None, 9) is None


@pytest.mark.parametrize("text", [*HOSTILE_DIGITS, "9" * 5000, "1" + "0" * 40, " 1", "1\n", "+1", "-1"])
def test_model_numbers_never_raise(text: str) -> None:
    line = valid_line(number=text)
    declaration = valid_declaration(version=text)
    assert line.line_number == 0
    assert declaration.version_number == 0


def test_model_numbers_of_plain_text() -> None:
    assert valid_line(number="007").line_number == 7
    assert valid_declaration(version="00002").version_number == 2


# -- values (B15) ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["1E5", "1e+3", "NaN", "nan", "Infinity", "-Infinity", "inf", "0x10", "1_000",
                                   "²", "١٠٠٠", "1000.٠٠", "１０００"])
def test_b15_value_that_is_not_a_plain_number(value: str) -> None:
    b15 = only(valid_line(value=value), "B15")
    assert b15.location == VALUE_AT
    assert f'"{value}"' in b15.message and "not a number" in b15.message


def test_b15_value_of_5000_digits_is_named_shortly() -> None:
    value = "9" * 5000
    b15 = only(valid_line(value=value), "B15")
    assert b15.location == VALUE_AT
    assert '"99999999999999999999…"' in b15.message and "5,000" in b15.message
    assert f"at most {MAX_DIGITS}" in b15.message
    assert len(b15.message) < 200


def test_b15_value_with_more_digits_than_the_bound() -> None:
    value = "1" * (MAX_DIGITS + 1)
    b15 = only(valid_line(value=value), "B15", currency="JPY")
    assert f'"{value}"' in b15.message and f"{MAX_DIGITS + 1} digits" in b15.message


def test_b15_value_whose_value_for_duty_the_ledger_cannot_hold() -> None:
    # 10**16 US dollars at 1.38 is a value for duty of 1.38 × 10**16 CAD: NUMERIC(18, 2) holds less than 10**16.
    value = "1" + "0" * 16
    b15 = only(valid_line(value=value), "B15")
    assert b15.location == VALUE_AT
    assert f'"{value}"' in b15.message and "ledger" in b15.message


def test_b15_declaration_whose_total_the_ledger_cannot_hold() -> None:
    # Each line fits; the 999 lines together owe more than the ledger can hold in one posting.
    lines = [valid_line(n, value="10000000000000.00") for n in range(1, 1000)]
    found = findings_of(*lines)
    assert [f.code for f in found] == ["B15"], found[:3]
    assert '"10000000000000.00"' in found[0].message and "ledger" in found[0].message
    assert found[0].line > 1  # the line at which the declaration's totals go beyond the ledger


def test_large_values_the_ledger_can_hold_are_accepted() -> None:
    # 10**15 US dollars: value for tax 1.63 × 10**15 CAD, within NUMERIC(18, 2).
    line = valid_line(value="1000000000000000.00")
    assert findings_of(line) == []
    amounts = assess_declaration_decimal(valid_declaration(lines=(line,)), reference_data())["totals"]
    assert all(abs(to_cents(amount)) < LEDGER_LIMIT_CENTS for amount in amounts.values())


# -- quantities (B13) ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("quantity", ["1E5", "Infinity", "NaN", "²", "١٠", "1.５"])
def test_b13_quantity_that_is_not_a_plain_number(quantity: str) -> None:
    b13 = only(valid_line(quantity=quantity), "B13")
    assert b13.location == QUANTITY_AT and f'"{quantity}"' in b13.message


def test_b13_quantity_with_3000_decimals() -> None:
    quantity = "1." + "1" * 3000
    b13 = only(valid_line(quantity=quantity), "B13")
    assert b13.location == QUANTITY_AT
    assert '"1.111111111111111111…"' in b13.message and "3,000 decimals" in b13.message
    assert len(b13.message) < 200


def test_b13_quantity_with_more_decimals_than_the_bound() -> None:
    quantity = "1." + "5" * (MAX_QUANTITY_DECIMALS + 1)
    b13 = only(valid_line(quantity=quantity), "B13")
    assert f"{MAX_QUANTITY_DECIMALS + 1} decimals" in b13.message and f"at most {MAX_QUANTITY_DECIMALS}" in b13.message
    assert findings_of(valid_line(quantity="1." + "5" * MAX_QUANTITY_DECIMALS)) == []


def test_b13_quantity_of_300_digits() -> None:
    b13 = only(valid_line(quantity="9" * 300), "B13")
    assert "300 digits" in b13.message and b13.location == QUANTITY_AT


def test_b13_quantity_times_a_specific_rate_beyond_the_ledger() -> None:
    # Powdered whey: "208% but not less than $2.07/kg". 10**16 kg owe at least 2.07 × 10**16 dollars of duty.
    quantity = "1" + "0" * 16
    line = valid_line(classification="0404102200", unit="KGM", quantity=quantity)
    b13 = only(line, "B13")
    assert b13.location == QUANTITY_AT
    assert f'"{quantity}"' in b13.message and "ledger" in b13.message


def test_b13_quantity_times_an_excise_rate_beyond_the_ledger() -> None:
    quantity = "2" + "0" * 16  # $1 a tricycle of excise tax
    b13 = only(valid_line(quantity=quantity, excise_code=EXCISE_CODE), "B13")
    assert f'"{quantity}"' in b13.message


# -- filer amounts (B15) ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("amount", ["1E3", "NaN", "Infinity", "²", "١١٠.٤٠"])
def test_b15_filer_amount_that_is_not_a_plain_number(amount: str) -> None:
    b15 = only(valid_line(filer_amounts=(FilerAmount("CUD", amount, ""),)), "B15")
    assert f'"{amount}"' in b15.message and "not an amount" in b15.message


def test_b15_filer_amount_of_5000_digits() -> None:
    b15 = only(valid_line(filer_amounts=(FilerAmount("CUD", "9" * 5000, ""),)), "B15")
    assert "5,000" in b15.message and len(b15.message) < 200


def test_b15_filer_amount_beyond_the_ledger() -> None:
    amount = "1" + "0" * 16 + ".00"
    b15 = only(valid_line(filer_amounts=(FilerAmount("CUD", amount, ""),)), "B15")
    assert f'"{amount}"' in b15.message


# -- line numbers, counts, versions ----------------------------------------------------------------------------

@pytest.mark.parametrize("number", ["²", "١", "9" * 5000])
def test_b20_line_number_that_is_not_ascii_digits(number: str) -> None:
    found = findings_of(valid_line(number=number))
    assert [f.code for f in found] == ["B20"]
    assert found[0].line == 0 and len(found[0].message) < 200


@pytest.mark.parametrize("count", ["²", "١", "9" * 5000])
def test_b20_line_count_that_is_not_ascii_digits(count: str) -> None:
    found = findings_of(valid_line(), style="edifact", declared_line_count=count)
    assert [f.code for f in found] == ["B20"] and len(found[0].message) < 200


@pytest.mark.parametrize("version", ["²", "١", "9" * 5000])
def test_b04_version_that_is_not_ascii_digits(version: str) -> None:
    found = findings_of(valid_line(), history=History(), version=version)
    assert [f.code for f in found] == ["B04"] and len(found[0].message) < 200


# -- identifiers -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("number", ["12345678²RM0001", "١٢٣٤٥٦٧٨٢RM0001", "123456782RM000²", "123456782RM000١"])
def test_business_numbers_reject_non_ascii_digits(number: str) -> None:
    assert not business_number.is_valid_import_account(number)
    with pytest.raises(ValidationError):
        business_number.validate_import_account(number)
    found = findings_of(valid_line(), importer=Party("IM", "Acme Imports Ltd", id=number))
    assert [f.code for f in found] == ["B01"]


@pytest.mark.parametrize("number", ["1020700000294²", "١٠٢٠٧٠٠٠٠٠٢٩٤٥", "10207000002²45", "１０２０７０００００２９４５"])
def test_transaction_numbers_reject_non_ascii_digits(number: str) -> None:
    if "０" not in number:  # python-stdnum folds full-width digits; validation still wants them sent as 0-9
        assert not transaction_number.is_valid(number)
        with pytest.raises(ValidationError):
            transaction_number.validate(number)
    found = findings_of(valid_line(), transaction_number=number)
    assert [f.code for f in found] == ["B03"]


def test_office_in_arabic_indic_digits_is_b07() -> None:
    found = findings_of(valid_line(), office="٠٤٩٧")
    assert [f.code for f in found] == ["B07"]


# -- at the bounds: no silent overflow ---------------------------------------------------------------------------

def _edge_text(draw, whole_digits: int, decimals: int) -> str:
    """A number with ``whole_digits`` integer digits (the top ones nines or random) and ``decimals`` decimals."""
    whole = draw(st.integers(10 ** (whole_digits - 1), 10**whole_digits - 1)) if whole_digits else 0
    if draw(st.booleans()):
        whole = 10**whole_digits - 1 if whole_digits else 0
    if decimals == 0:
        return str(whole)
    fraction = draw(st.integers(0, 10**decimals - 1))
    return f"{whole}.{fraction:0{decimals}d}"


@st.composite
def an_edge_line(draw, number: int) -> Line:
    currency_decimals = 2
    value_whole = draw(st.integers(0, MAX_DIGITS - currency_decimals))
    quantity_decimals = draw(st.integers(0, MAX_QUANTITY_DECIMALS))
    quantity_whole = draw(st.integers(1, MAX_DIGITS - quantity_decimals))
    kind = draw(st.sampled_from(["tricycles", "whey", "excise"]))
    goods = {
        "tricycles": {},
        "whey": {"classification": "0404102200", "unit": draw(st.sampled_from(["KGM", "TNE", "GRM"]))},
        "excise": {"excise_code": EXCISE_CODE},
    }[kind]
    return valid_line(
        number,
        value=_edge_text(draw, value_whole, currency_decimals),
        quantity=_edge_text(draw, quantity_whole, quantity_decimals),
        **goods,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(*(an_edge_line(k) for k in range(1, n + 1)))))
def test_at_the_bounds_validation_and_the_engine_never_overflow(lines: tuple[Line, ...]) -> None:
    declaration = valid_declaration(lines=lines)
    findings = validate_submission(parse_result(declaration), context()).declarations[0].findings
    oracle = assess_declaration_decimal(declaration, reference_data())
    amounts = [to_cents(line[name]) for line in oracle["lines"] for name in AMOUNTS]
    totals = [to_cents(oracle["totals"][name]) for name in AMOUNTS]
    fits = all(abs(cents) < LEDGER_LIMIT_CENTS for cents in amounts + totals)
    event("fits the ledger" if fits else "beyond the ledger")
    # Validation accepts exactly the declarations whose every amount the ledger can hold, naming a number if not.
    assert [f.code for f in findings] == ([] if fits else [findings[0].code])
    assert fits or findings[0].code in ("B13", "B15")
    # The engine (int64 where it can, Python ints where it must) gives the oracle's amounts to the cent.
    assessment = assess_declarations([declaration], reference_data())
    engine = [int(getattr(row, name)) for row in assessment.line_rows(0).itertuples() for name in AMOUNTS]
    assert engine == amounts
    assert assessment.declaration_totals(0) == dict(zip(AMOUNTS, totals, strict=True))


def test_the_ledger_limit_is_numeric_18_2() -> None:
    from pipeline.ledger.types import MONEY_PRECISION, MONEY_SCALE, money_cents

    assert LEDGER_LIMIT_CENTS == 10**MONEY_PRECISION
    assert money_cents(Decimal(LEDGER_LIMIT_CENTS - 1).scaleb(-MONEY_SCALE)) == LEDGER_LIMIT_CENTS - 1
    with pytest.raises(ValueError):
        money_cents(Decimal(LEDGER_LIMIT_CENTS).scaleb(-MONEY_SCALE))


def test_the_engine_rescales_past_int64_exactly() -> None:
    import numpy as np

    from pipeline.assess.fixed import rescale

    # A shift of 10**30 is no int64: the engine carries it in Python ints instead of raising OverflowError.
    assert list(rescale(np.array([3, -2], dtype=np.int64), 0, 30)) == [3 * 10**30, -2 * 10**30]


def test_the_engine_reads_line_numbers_as_the_model_does() -> None:
    from pipeline.assess.frame import build_line_frame

    lines = [valid_line(text) for text in ["1", "²", "١٢", "9" * 5000, "007"]]
    frame = build_line_frame([valid_declaration(lines=lines)])
    assert list(frame.lines["line"]) == [line.line_number for line in lines] == [1, 0, 0, 0, 7]


@pytest.mark.parametrize("text", ["1E999999", "1e3", "NaN", "-Infinity", "1_000", "١٠", "²", "0x10", "9" * 5000])
def test_parse_amount_reads_plain_ascii_decimals_only(text: str) -> None:
    import decimal

    from pipeline.money import parse_amount

    with pytest.raises(decimal.InvalidOperation):
        parse_amount(text)


def test_parse_amount_of_plain_text() -> None:
    from pipeline.money import parse_amount

    assert parse_amount(" 1234.50 ") == Decimal("1234.50")
    assert parse_amount("-0.5") == Decimal("-0.5")


@pytest.mark.parametrize(("value", "quantity", "code", "place"), [
    ("1" + "0" * 16, "10", "B15", "MOA#18"),  # a value for duty beyond NUMERIC(18, 2)
    ("9" * 5000, "10", "B15", "MOA#18"),
    ("1000.00", "1." + "1" * 3000, "B13", "MEA#17"),
    ("1000.00", "9" * 300, "B13", "MEA#17"),
])
def test_a_hostile_number_in_a_real_file_is_a_finding(value: str, quantity: str, code: str, place: str) -> None:
    from dataclasses import replace as replaced

    from pipeline.checking import check_bytes
    from pipeline.writers.edifact import write_interchange
    from tests.model_samples import interchange

    declaration = valid_declaration(style="edifact", lines=(valid_line(value=value, quantity=quantity),))
    data = write_interchange(replaced(interchange(declaration, style="edifact"), prepared_at="261126:0930"))
    checked = check_bytes(data, "hostile.edi", context())
    assert checked.verdict.file_findings == ()
    [verdict] = checked.verdict.declarations
    assert [(f.code, f.location) for f in verdict.findings] == [(code, place)]


@pytest.mark.parametrize("version", ["²", "١", "２", "9" * 5000, "0", "100000"])
def test_b04_version_form_needs_no_ledger(version: str) -> None:
    found = findings_of(valid_line(), version=version)  # carm validate: no history
    assert [f.code for f in found] == ["B04"] and len(found[0].message) < 200


@pytest.mark.parametrize(("weight", "words"), [("9" * 5000, "5,000 digits"), ("²", "not a number"),
                                               ("1E3", "not a number"), ("-1", "negative"),
                                               ("1." + "5" * 7, "7 decimals")])
def test_b13_gross_weight_that_is_not_a_number_we_carry(weight: str, words: str) -> None:
    b13 = only(valid_line(gross_weight=weight, gross_weight_unit="KGM"), "B13", style="edifact")
    assert b13.location.startswith("MEA#") and words in b13.message and "gross weight" in b13.message


def test_a_plain_gross_weight_is_fine() -> None:
    assert findings_of(valid_line(gross_weight="12.5", gross_weight_unit="KGM"), style="edifact") == []


def test_the_exact_ledger_check_is_linear_in_the_declarations_it_reads() -> None:
    # Values of 13 integer digits pass the cheap bound's test only through the exact (oracle) check, and fit.
    import time

    def submission(count: int):  # noqa: ANN202
        return parse_result(*[valid_declaration(index=i + 1, lines=[valid_line(n, value="1000000000000.00")
                                                                    for n in range(1, 201)]) for i in range(count)])

    def seconds(result) -> float:  # noqa: ANN001
        started = time.perf_counter()
        verdict = validate_submission(result, context())
        elapsed = time.perf_counter() - started
        assert all(not v.findings for v in verdict.declarations)
        return elapsed

    small, large = submission(4), submission(8)
    runs = [(seconds(small), seconds(large)) for _ in range(5)]  # interleaved: a busy machine slows both alike
    assert min(t for _, t in runs) <= 2.5 * min(t for t, _ in runs)
