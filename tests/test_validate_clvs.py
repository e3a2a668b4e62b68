"""B21: courier low-value shipment (CAD type C) rules; and what is *not* checked on a regular (AB) CAD."""

from __future__ import annotations

import pytest

from pipeline.findings import Finding
from pipeline.model import Line
from pipeline.validate import validate_submission
from tests.model_samples import parse_result, valid_declaration, valid_line
from tests.validate_refdata import context

D1 = "/DocumentMetaData/Declaration[1]"
ITEM = f"{D1}/GoodsShipment/GovernmentAgencyGoodsItem"


def findings(*lines: Line, style: str = "xml", **header: object) -> list[Finding]:
    header.setdefault("cad_type", "C")
    declaration = valid_declaration(style=style, lines=lines, **header)
    return list(validate_submission(parse_result(declaration, style=style), context()).declarations[0].findings)


def test_clvs_lines_each_with_a_cargo_control_number_are_clean() -> None:
    assert findings(valid_line(1, cargo_control="ABCD1234567", value="30.00"),
                    valid_line(2, cargo_control="ABCD7654321", value="2391.30")) == []


def test_b21_line_without_cargo_control_number() -> None:
    [b21] = findings(valid_line(1, cargo_control="ABCD1234567"), valid_line(2))
    assert (b21.code, b21.line, b21.location) == ("B21", 2, f"{ITEM}[2]")
    assert 'line "2"' in b21.message


def test_b21_line_without_cargo_control_number_edifact_points_at_the_line() -> None:
    [b21] = findings(valid_line(1), style="edifact")
    assert (b21.code, b21.location) == ("B21", "CST#14")


@pytest.mark.parametrize("ccn", ["ABC", "abcd1234", "ABCD_1234", "AB-D1234", "ABCD" + "1" * 22])
def test_b21_malformed_cargo_control_number(ccn: str) -> None:
    [b21] = findings(valid_line(1, cargo_control=ccn))
    assert (b21.code, b21.line, b21.location) == ("B21", 1, f"{ITEM}[1]/UCR/TraderAssignedReferenceID")
    assert f'"{ccn}"' in b21.message


def test_b21_malformed_header_cargo_control_number() -> None:
    [b21] = findings(valid_line(1, cargo_control="ABCD1234567"), style="edifact", cargo_control="A B")
    assert (b21.code, b21.line, b21.location) == ("B21", 0, "RFF#8")
    assert '"A B"' in b21.message


def test_b21_shipment_over_the_low_value_limit() -> None:
    # US$2,391.31 x 1.3800 = 3,300.0078 -> VFD 3,300.01, one cent over C$3,300.
    [b21] = findings(valid_line(1, cargo_control="ABCD1234567", value="2391.31"), style="edifact")
    assert (b21.code, b21.line, b21.location) == ("B21", 1, "RFF#19")
    assert '"ABCD1234567"' in b21.message and "3,300.01" in b21.message and "3,300.00" in b21.message


def test_shipment_at_the_limit_is_a_low_value_shipment() -> None:
    assert findings(valid_line(1, cargo_control="ABCD1234567", value="3300.00"), currency="CAD") == []
    [b21] = findings(valid_line(1, cargo_control="ABCD1234567", value="3300.01"), currency="CAD")
    assert b21.code == "B21"


def test_b21_lines_sharing_a_cargo_control_number_are_one_shipment() -> None:
    # Each US$1,500.00 line is C$2,070.00, under the limit; together they are C$4,140.00.
    found = findings(valid_line(1, cargo_control="ABCD0000001", value="10.00"),
                     valid_line(2, cargo_control="ABCD1234567", value="1500.00"),
                     valid_line(3, cargo_control="ABCD1234567", value="1500.00"))
    [b21] = found
    assert (b21.code, b21.line, b21.location) == ("B21", 2, f"{ITEM}[2]/UCR/TraderAssignedReferenceID")
    assert '"ABCD1234567"' in b21.message and "4,140.00" in b21.message


def test_no_threshold_finding_when_the_value_is_already_invalid() -> None:
    found = findings(valid_line(1, cargo_control="ABCD1234567", value="lots"))
    assert [f.code for f in found] == ["B15"]


def test_no_threshold_finding_without_an_exchange_rate() -> None:
    found = findings(valid_line(1, cargo_control="ABCD1234567", value="9999.00"), shipment_date="2023-01-03")
    assert [f.code for f in found] == ["B14"]


def test_regular_cad_needs_no_cargo_control_number_and_has_no_value_limit() -> None:
    assert findings(valid_line(1, value="999999.00"), cad_type="AB") == []


def test_regular_cad_cargo_control_number_format_is_not_judged() -> None:
    # Decision: on an AB CAD the CCN is informational here; B21 is a CLVS code and no other code fits.
    assert findings(valid_line(1, cargo_control="not a ccn"), cad_type="AB", cargo_control="??") == []
