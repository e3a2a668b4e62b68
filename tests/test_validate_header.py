"""Declaration-level codes of the header: A02, B01-B09, B14, B20, B22 (each: code, location, value named)."""

from __future__ import annotations

import pytest

from pipeline.findings import Finding
from pipeline.model import Declaration, Party
from pipeline.validate import validate_submission
from pipeline.validate.context import ValidationContext
from tests.model_samples import IMPORTER, parse_result, valid_declaration, valid_line
from tests.validate_refdata import History, context, registry

D1 = "/DocumentMetaData/Declaration[1]"
SHIPMENT = f"{D1}/GoodsShipment"


def findings(declaration: Declaration, ctx: ValidationContext | None = None, style: str = "xml") -> list[Finding]:
    verdict = validate_submission(parse_result(declaration, style=style), ctx or context())
    return list(verdict.declarations[0].findings)


def only(declaration: Declaration, code: str, ctx: ValidationContext | None = None,
         style: str = "xml") -> Finding:
    """The one finding of the declaration, which must have ``code``."""
    found = findings(declaration, ctx, style)
    assert [f.code for f in found] == [code], found
    assert found[0].line == 0 and found[0].message_reference == declaration.message_reference
    return found[0]


def importer(ident: str | None) -> Party:
    return Party("IM", "Acme Imports Ltd", id=ident)


# -- A02, B01, B02 -----------------------------------------------------------------------------------------------

def test_a02_sender_not_authorized_for_the_importer() -> None:
    reg = registry(authorizations=())
    a02 = only(valid_declaration(), "A02", context(registry=reg))
    assert a02.location == f"{D1}/Importer/ID"
    assert '"SP00042"' in a02.message and f'"{IMPORTER}"' in a02.message


def test_a02_edifact_location_is_the_nad() -> None:
    a02 = only(valid_declaration(style="edifact"), "A02", context(registry=registry(authorizations=())), "edifact")
    assert a02.location == "NAD#9"


@pytest.mark.parametrize(("ident", "words"), [
    ("123456783RM0001", "check digit"),
    ("123456782RT0001", "not an RM"),
    ("123456782", "BN9"),
    ("12345678", "not a BN15"),
    ("123456782RMABCD", "not a BN15"),
    ("123456782 RM 0001", "without spaces"),
])
def test_b01_importer_business_number_invalid(ident: str, words: str) -> None:
    b01 = only(valid_declaration(importer=importer(ident)), "B01", context(registry=registry()))
    assert b01.location == f"{D1}/Importer/ID"
    assert f'"{ident}"' in b01.message and words in b01.message


def test_b01_missing_importer_number() -> None:
    b01 = only(valid_declaration(importer=importer(None)), "B01")
    assert b01.location == f"{D1}/Importer/ID"
    assert "missing" in b01.message


def test_b01_edifact_location() -> None:
    b01 = only(valid_declaration(style="edifact", importer=importer("123456782RC0001")), "B01", style="edifact")
    assert b01.location == "NAD#9"
    assert '"123456782RC0001"' in b01.message


def test_b02_importer_not_registered() -> None:
    other = "864015219RM0001"
    b02 = only(valid_declaration(importer=importer(other)), "B02", context(registry=registry()))
    assert b02.location == f"{D1}/Importer/ID"
    assert f'"{other}"' in b02.message


def test_b02_not_checked_without_registry() -> None:
    assert findings(valid_declaration(importer=importer("864015219RM0001"))) == []


# -- B03, B04, B05 -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("number", "words"), [
    ("10207000002946", "check digit of 1020700000294 is 5"),
    ("1020700000294", "13 digits"),
    ("1020700000294X", "not 14 digits"),
    ("10207 000002945", "without spaces"),
    ("", "not 14 digits"),
])
def test_b03_transaction_number_invalid(number: str, words: str) -> None:
    b03 = only(valid_declaration(transaction_number=number), "B03")
    assert b03.location == f"{D1}/ID"
    assert f'"{number}"' in b03.message and words in b03.message


def test_b03_edifact_location_is_the_bgm() -> None:
    assert only(valid_declaration(style="edifact", transaction_number="10207000002946"), "B03",
                style="edifact").location == "BGM#2"


def test_b04_original_must_be_version_1() -> None:
    b04 = only(valid_declaration(version="2"), "B04", context(history=History()))
    assert b04.location == f"{D1}/VersionID"
    assert '"2"' in b04.message


def test_b04_original_of_a_transaction_number_that_exists() -> None:
    b04 = only(valid_declaration(), "B04", context(history=History({"10207000002945": 3})))
    assert b04.location == f"{D1}/VersionID"
    assert '"10207000002945"' in b04.message and "version 4" in b04.message


def test_b04_change_must_be_the_next_version() -> None:
    declaration = valid_declaration(style="edifact", function="4", version="00003", change_reason="C01")
    b04 = only(declaration, "B04", context(history=History({"10207000002945": 1})), "edifact")
    assert b04.location == "BGM#2"
    assert '"00003"' in b04.message and "expected version 2" in b04.message


def test_change_that_is_the_next_version_is_accepted() -> None:
    declaration = valid_declaration(style="edifact", function="4", version="00002", change_reason="C01")
    assert findings(declaration, context(history=History({"10207000002945": 1})), "edifact") == []


@pytest.mark.parametrize("version", ["0", "100000", "v2"])
def test_b04_version_out_of_range(version: str) -> None:
    b04 = only(valid_declaration(version=version), "B04", context(history=History()))
    assert f'"{version}"' in b04.message and b04.location == f"{D1}/VersionID"


def test_b04_b05_not_checked_without_history() -> None:
    assert findings(valid_declaration(function="4", version="7", change_reason="C01")) == []


def test_history_not_asked_for_an_invalid_transaction_number() -> None:
    history = History()
    assert [f.code for f in findings(valid_declaration(transaction_number="1"), context(history=history))] == ["B03"]
    assert history.asked == []


@pytest.mark.parametrize("function", ["4", "1"])
def test_b05_change_or_cancellation_without_accepted_version(function: str) -> None:
    declaration = valid_declaration(function=function, version="2", change_reason="C01")
    b05 = only(declaration, "B05", context(history=History()))
    assert b05.location == f"{D1}/ID"
    assert '"10207000002945"' in b05.message


# -- B06 ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "path", "label"), [
    ("document_date", f"{D1}/IssueDateTime", "document date"),
    ("release_date", f"{D1}/Status/ReleaseDateTime", "release date"),
    ("shipment_date", f"{SHIPMENT}/ShipmentDateTime", "direct shipment date"),
])
@pytest.mark.parametrize("text", ["2025-02-30", "20250505", "5 May 2025"])
def test_b06_date_not_a_date(field: str, path: str, label: str, text: str) -> None:
    found = findings(valid_declaration(**{field: text}))
    b06 = [f for f in found if f.code == "B06"]
    assert len(b06) == 1, found
    assert b06[0].location == path
    assert f'{label} "{text}"' in b06[0].message


def test_b06_date_missing() -> None:
    b06 = only(valid_declaration(shipment_date=""), "B06")
    assert b06.location == f"{SHIPMENT}/ShipmentDateTime" and "missing" in b06.message


def test_b06_document_date_in_the_future() -> None:
    b06 = only(valid_declaration(document_date="2025-05-07"), "B06")
    assert b06.location == f"{D1}/IssueDateTime"
    assert '"2025-05-07"' in b06.message and "future" in b06.message


def test_b06_release_date_after_document_date() -> None:
    b06 = only(valid_declaration(style="edifact", document_date="2025-05-04"), "B06", style="edifact")
    assert b06.location == "DTM#4"
    assert '"2025-05-05"' in b06.message and '"2025-05-04"' in b06.message


def test_b06_invalid_release_date_skips_the_checks_that_need_it() -> None:
    # No tariff look-up on a date that is not a date: one B06, no derived B10/B12.
    found = findings(valid_declaration(release_date="2025-13-01"))
    assert [f.code for f in found] == ["B06"]


# -- B07, B08, B09, B14 ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("office", ["497", "04970", "O497", ""])
def test_b07_office_not_four_digits(office: str) -> None:
    b07 = only(valid_declaration(office=office), "B07")
    assert b07.location == f"{D1}/ReleaseLocation/ID"
    assert f'"{office}"' in b07.message


@pytest.mark.parametrize("country", ["USA", "us", "XX", ""])
def test_b08_export_country(country: str) -> None:
    b08 = only(valid_declaration(export_country=country), "B08")
    assert b08.location == f"{SHIPMENT}/ExportCountry/ID"
    assert f'"{country}"' in b08.message


def test_b08_export_country_edifact() -> None:
    assert only(valid_declaration(style="edifact", export_country="UK"), "B08", style="edifact").location == "LOC#7"


def test_b08_vendor_country() -> None:
    vendor = Party("SE", "Vendor", country="U.S.")
    b08 = only(valid_declaration(vendor=vendor), "B08")
    assert b08.location == f"{SHIPMENT}/Seller/Address/CountryCode"
    assert '"U.S."' in b08.message


def test_b08_vendor_country_empty() -> None:
    b08 = only(valid_declaration(vendor=Party("SE", "Vendor", country="")), "B08")
    assert 'vendor country ""' in b08.message


def test_vendor_without_address_is_accepted() -> None:
    # cad.xsd makes the seller's Address (and so its CountryCode) optional; only a given country is judged.
    assert findings(valid_declaration(vendor=Party("SE", "Vendor"))) == []


@pytest.mark.parametrize("currency", ["US$", "XXY", "usd"])
def test_b09_invoice_currency(currency: str) -> None:
    b09 = only(valid_declaration(currency=currency), "B09")
    assert b09.location == f"{SHIPMENT}/Invoice/CurrencyCode"
    assert f'"{currency}"' in b09.message


def test_b09_edifact_location_is_the_cux() -> None:
    assert only(valid_declaration(style="edifact", currency="DOL"), "B09", style="edifact").location == "CUX#12"


def test_b14_no_exchange_rate_on_or_before_the_shipment_date() -> None:
    b14 = only(valid_declaration(shipment_date="2023-01-03", document_date="2025-05-05"), "B14")
    assert b14.location == f"{SHIPMENT}/Invoice/CurrencyCode"
    assert '"USD"' in b14.message and "2023-01-03" in b14.message


def test_b14_currency_without_bank_of_canada_rates() -> None:
    b14 = only(valid_declaration(currency="XAF", lines=[valid_line(1, value="1000")]), "B14")
    assert '"XAF"' in b14.message


def test_weekend_shipment_takes_the_last_rate_before_it() -> None:
    assert findings(valid_declaration(shipment_date="2025-05-03")) == []


def test_cad_invoices_need_no_exchange_rate() -> None:
    assert findings(valid_declaration(currency="CAD", shipment_date="2020-01-02")) == []


# -- B20 ---------------------------------------------------------------------------------------------------------

def test_b20_no_lines() -> None:
    b20 = only(valid_declaration(lines=[]), "B20")
    assert b20.location == SHIPMENT
    assert "no lines" in b20.message


def test_b20_more_than_999_lines() -> None:
    lines = [valid_line(n) for n in range(1, 1001)]
    b20 = only(valid_declaration(lines=lines), "B20")
    assert b20.location == SHIPMENT and "1000 lines" in b20.message


def test_999_lines_are_allowed() -> None:
    assert findings(valid_declaration(lines=[valid_line(n) for n in range(1, 1000)])) == []


@pytest.mark.parametrize(("numbers", "bad", "position"), [
    (["1", "3", "4"], "3", 2),
    (["2"], "2", 1),
    (["1", "1"], "1", 2),
    (["1", "x"], "x", 2),
])
def test_b20_numbering_broken(numbers: list[str], bad: str, position: int) -> None:
    found = findings(valid_declaration(lines=[valid_line(n) for n in numbers]))
    [b20] = [f for f in found if f.code == "B20"]
    assert b20.location == f"{SHIPMENT}/GovernmentAgencyGoodsItem[{position}]/SequenceNumeric"
    assert f'"{bad}"' in b20.message and f"line {position} was expected" in b20.message


def test_b20_cnt_disagrees_with_the_lines() -> None:
    b20 = only(valid_declaration(style="edifact", declared_line_count="2"), "B20", style="edifact")
    assert b20.location == "CNT#20"
    assert '"2"' in b20.message and "1 lines" in b20.message


# -- B22 ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("function", "kind"), [("4", "change"), ("1", "cancellation")])
def test_b22_change_reason_missing(function: str, kind: str) -> None:
    b22 = only(valid_declaration(function=function, version="2"), "B22")
    assert b22.location == f"{D1}/FunctionCode"
    assert f'{kind} (function "{function}")' in b22.message and '"10207000002945"' in b22.message


def test_b22_blank_change_reason_edifact() -> None:
    declaration = valid_declaration(style="edifact", function="4", version="00002", change_reason=" ")
    b22 = only(declaration, "B22", style="edifact")
    assert b22.location == "RFF#9"


def test_original_needs_no_change_reason() -> None:
    assert findings(valid_declaration(function="9")) == []
