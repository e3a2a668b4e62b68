"""An exchange rate is never older than 7 days (spec/codes.md B14, assessment.md step 1, reference-data.md).

The shipped Bank of Canada rates end on 2025-12-30: a USD declaration shipped on 2026-11-20 used to be assessed
with the eleven-month-old rate without a word; it is now B14, and the message names the currency, the day and
the latest rate there is. The worked example (Saturday 2025-05-03 takes Friday's rate) still holds.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pipeline.assess import UnassessableLine, assess_declaration_decimal, assess_declarations, assessment_json
from pipeline.findings import Finding
from pipeline.model import Declaration
from pipeline.reference.types import ExchangeRates
from pipeline.validate import validate_submission
from tests.model_samples import parse_result, valid_declaration
from tests.test_assess_support import declaration, line, reference
from tests.validate_refdata import context

SHIPMENT = "/DocumentMetaData/Declaration[1]/GoodsShipment"


def findings(declaration: Declaration, as_of: date) -> list[Finding]:
    verdict = validate_submission(parse_result(declaration), context(as_of=as_of))
    return list(verdict.declarations[0].findings)


def shipped_late_2026(shipment: str) -> Declaration:
    return valid_declaration(shipment_date=shipment, release_date="2026-11-23", document_date="2026-11-23")


def test_a_usd_declaration_shipped_eleven_months_after_the_last_rate_is_b14() -> None:
    found = findings(shipped_late_2026("2026-11-20"), as_of=date(2026, 11, 24))
    assert [f.code for f in found] == ["B14"], found
    assert found[0].message == (
        'no Bank of Canada "USD" rate for 2026-11-20 or the 7 days before it (latest: 2025-12-30)'
    )
    assert found[0].location == f"{SHIPMENT}/Invoice/CurrencyCode"


def test_the_rate_of_seven_days_before_still_applies_and_eight_days_do_not() -> None:
    # The last shipped rate is Tuesday 2025-12-30: usable through 2026-01-06, not on 2026-01-07.
    def codes(shipment: str) -> list[str]:
        declaration = valid_declaration(shipment_date=shipment, release_date="2026-01-08",
                                        document_date="2026-01-08")
        return [f.code for f in findings(declaration, as_of=date(2026, 1, 9))]

    assert codes("2026-01-06") == []
    assert codes("2026-01-07") == ["B14"]


def test_the_worked_example_saturday_still_takes_fridays_rate() -> None:
    assert findings(valid_declaration(shipment_date="2025-05-03"), as_of=date(2025, 5, 6)) == []


def test_a_currency_the_bank_never_published_says_so() -> None:
    rates = ExchangeRates(series={"USD": ((date(2025, 5, 2), Decimal("1.38")),)}, source="test")
    assert rates.rate_for("THB", date(2025, 5, 2)) is None
    assert rates.latest_published("THB", date(2025, 5, 2)) is None
    found = findings(valid_declaration(currency="THB"), as_of=date(2025, 5, 6))
    assert [f.code for f in found] == ["B14"]
    assert found[0].message == 'no Bank of Canada "THB" rate for 2025-05-02 or the 7 days before it (none published)'


def test_the_age_bound_holds_for_every_caller_of_the_rate_table() -> None:
    """Assessment and the generator ask ``rate_for`` too: none of them may get a rate older than 7 days."""
    rates = ExchangeRates(series={"USD": ((date(2025, 12, 30), Decimal("1.3693")),)}, source="test")
    assert rates.rate_for("USD", date(2026, 1, 6)).published == date(2025, 12, 30)
    assert rates.rate_for("USD", date(2026, 1, 7)) is None
    assert rates.latest_published("USD", date(2026, 1, 7)) == date(2025, 12, 30)
    assert rates.rate_for("USD", date(2025, 12, 29)) is None  # nothing before the first rate
    assert rates.rate_for("CAD", date(2030, 1, 1)).rate == 1


def test_neither_the_engine_nor_the_oracle_assesses_with_a_stale_rate() -> None:
    """Validation rejects such a declaration first; should one reach assessment anyway, both refuse it."""
    stale = declaration(line(), shipment_date="2026-11-20", release_date="2026-11-23", document_date="2026-11-23")
    with pytest.raises(UnassessableLine, match="USD"):
        assess_declarations([stale], reference())
    with pytest.raises(UnassessableLine, match="USD"):
        assess_declaration_decimal(stale, reference())
    recent = declaration(line(), shipment_date="2026-01-06", release_date="2026-01-07", document_date="2026-01-07")
    engine = assess_declarations([recent], reference())
    oracle = assess_declaration_decimal(recent, reference())
    assert str(oracle["lines"][0]["vfd"]) == "1369.30"  # US$1,000.00 at the 2025-12-30 rate 1.3693
    assert assessment_json(engine)["declarations"][0]["lines"][0]["vfd"] == "1369.30"
