"""The frame is built from columns: what ``line_columns`` reads from declarations, a reader could give directly."""

from __future__ import annotations

import gc

import pandas as pd

from pipeline.assess.frame import build_line_frame, frame_from_columns, line_columns
from pipeline.collector import collector_paused
from tests.test_assess_support import declaration, filed, line


def _batch():
    courier = declaration(line(1, cargo_control="8000A1"), line(2, cargo_control="8000A1", origin="US", treatment="10"),
                          line(3), cad_type="C", transaction_number="10207000002945")
    regular = declaration(line(1, filer_amounts=(filed("CUD", "1.00", "TAX#20"), filed("GST", "n/a", "TAX#21"))),
                          line(2, value_currency="EUR", special_authority="24-25-GSTTPS"), currency="USD",
                          transaction_number="10207000002956")
    return [courier, regular]


def test_columns_hold_each_field_once_per_line_in_order():
    columns = line_columns(_batch())
    assert columns.line_counts.tolist() == [3, 2]
    assert columns.lines["number"] == ["1", "2", "3", "1", "2"]
    assert columns.lines["cargo_control"] == ["8000A1", "8000A1", None, None, None]
    assert columns.lines["value_currency"] == [None, None, None, None, "EUR"]
    assert columns.declarations["cad_type"] == ["C", "AB"]
    assert columns.filer == {"row": [3, 3], "index": [0, 1], "charge": ["CUD", "GST"], "amount": ["1.00", "n/a"]}


def test_the_frame_from_columns_is_the_frame_of_the_declarations():
    frame = frame_from_columns(line_columns(_batch()))
    lines = frame.lines
    assert lines["currency"].astype(object).tolist() == ["USD", "USD", "USD", "USD", "EUR"]  # a line's own wins
    assert lines["shipment_id"].tolist() == [0, 0, 1, -1, -1]
    assert lines["clvs"].tolist() == [True, True, True, False, False]
    assert lines["special_authority"].astype(object).tolist()[4] == "24-25-GSTTPS"
    assert lines["special_authority"].isna().tolist() == [True, True, True, True, False]
    assert frame.filer["charge"].astype(object).tolist() == ["CUD", "GST"]
    pd.testing.assert_frame_equal(build_line_frame(_batch()).lines, lines)


def test_the_collector_is_paused_inside_and_restored_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # left off, as it was
    finally:
        gc.enable()
