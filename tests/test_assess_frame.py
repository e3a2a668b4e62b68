"""The frame is built from the records readers make of each line (``pipeline.parsers.records``): the records of
files, each cut down to some of its declarations, give the frame of those declarations."""

from __future__ import annotations

import gc
from dataclasses import replace

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.assess.frame import build_line_frame, frame_from_records
from pipeline.collector import collector_paused
from pipeline.parsers.records import records_of
from pipeline.reference.types import digits
from tests.test_assess_support import declaration, filed, line


def _batch():
    courier = declaration(line(1, cargo_control="8000A1"), line(2, cargo_control="8000A1", origin="US", treatment="10"),
                          line(3), cad_type="C", transaction_number="10207000002945")
    regular = declaration(line(1, filer_amounts=(filed("CUD", "1.00", "TAX#20"), filed("GST", "n/a", "TAX#21"))),
                          line(2, value_currency="EUR", special_authority="24-25-GSTTPS"), currency="USD",
                          transaction_number="10207000002956")
    return [courier, regular]


def test_records_hold_each_field_once_per_line_in_order():
    records = records_of(_batch())
    assert records.line_counts.tolist() == [3, 2]
    assert records.header_keys == [("USD", "2025-05-05", "2025-05-02", "C"), ("USD", "2025-05-05", "2025-05-02", "AB")]
    assert records.header_codes.tolist() == [0, 1]
    assert records.line_numbers.tolist() == [1, 2, 3, 1, 2]
    assert records.cargo_controls == ["8000A1", "8000A1", None, None, None]
    assert [records.keys[code][4] for code in records.codes] == [None, None, None, None, "EUR"]  # value_currency
    assert records.codes.tolist() == [0, 1, 0, 0, 2]  # each distinct code key numbered once
    assert records.filer_rows.tolist() == [3, 3]  # one row per filer amount
    assert records.filer_indexes.tolist() == [0, 1]
    assert records.filer_charges == ["CUD", "GST"]


def test_the_frame_of_files_records_cut_is_the_frame_of_the_declarations_kept():
    courier, regular = _batch()
    third = replace(regular, transaction_number="10207000002967", lines=regular.lines[:1])
    first_file, second_file = records_of([courier, regular]), records_of([third, courier])
    batch = [first_file.selected([1]), second_file.selected([0, 1])]
    assert batch[0].line_counts.tolist() == [2] and batch[0].line_numbers.tolist() == [1, 2]
    assert batch[1].line_counts.tolist() == [1, 3] and batch[1].line_numbers.tolist() == [1, 1, 2, 3]
    expected = build_line_frame([regular, third, courier])
    frame = frame_from_records(batch)
    pd.testing.assert_frame_equal(frame.lines, expected.lines)
    pd.testing.assert_frame_equal(frame.filer, expected.filer)


def test_the_frame_of_the_records():
    frame = frame_from_records([records_of(_batch())])
    lines = frame.lines
    assert lines["currency"].astype(object).tolist() == ["USD", "USD", "USD", "USD", "EUR"]  # a line's own wins
    assert lines["shipment_id"].tolist() == [0, 0, 1, -1, -1]
    assert lines["clvs"].tolist() == [True, True, True, False, False]
    assert lines["special_authority"].astype(object).tolist()[4] == "24-25-GSTTPS"
    assert lines["special_authority"].isna().tolist() == [True, True, True, True, False]
    assert frame.filer["charge"].astype(object).tolist() == ["CUD", "GST"]
    assert frame.filer["row"].tolist() == [3, 3] and frame.filer["index"].tolist() == [0, 1]
    assert frame.filer["amount"].tolist() == ["1.00", "n/a"]


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


TEXTS = {
    "number": ["1", "2", "10", "007", "1.5", "12.", "", "١٢", "1234567890", "0000000000000000000003", "4\n"],
    "classification": ["9503001010", "9503.00.10.10", "7325100010"],
    "treatment": ["2", "10"],
    "origin": ["CN", "US"],
    "unit": ["NMB", "KGM"],
    "quantity": ["10", "2.5", "0.125"],
    "value": ["1000.00", "12", "0.5"],
    "value_currency": [None, None, "", "EUR", "USD"],
    "special_authority": [None, "24-25-GSTTPS"],
    "gst_exemption": [None, "TA-GSTX"],
    "excise_code": [None, "AC"],
    "sima": [None, "TA-SIMA-PCT"],
    "cargo_control": [None, "8000A1", "8000A2"],
}
LINES = st.builds(
    line,
    filer_amounts=st.lists(st.builds(filed, st.sampled_from(["CUD", "GST"]), st.sampled_from(["1.00", "n/a"])), max_size=2)
    .map(tuple),
    **{name: st.sampled_from(texts) for name, texts in TEXTS.items()},
)
DECLARATIONS = st.builds(
    lambda lines, **fields: replace(declaration(**fields), lines=tuple(lines)),
    st.lists(LINES, max_size=4),
    currency=st.sampled_from(["USD", "JPY", None]),  # None: no invoice currency (validation rejects it)
    release_date=st.sampled_from(["2025-05-05", "2025-05-06"]),
    shipment_date=st.sampled_from(["2025-05-02", "2025-05-05"]),
    cad_type=st.sampled_from(["AB", "C"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(DECLARATIONS, max_size=5), st.sampled_from(["1000.00", "-3.5", "123456789012345678901.5"]),
       st.integers(0, 5), st.lists(st.booleans(), min_size=5, max_size=5))
def test_the_frame_of_files_cut_is_the_frame_of_the_declarations_kept(batch, odd_value, cut, kept):
    """The batch is read as two files; some declarations of each are kept (the accepted ones); the frame of
    files' records, cut down to them, is the frame of the declarations kept, each column the lines' own texts and
    categories in order of first appearance."""
    if batch and batch[-1].lines:  # a value only the slow parser reads, now and then
        batch[-1] = replace(batch[-1], lines=(*batch[-1].lines[:-1], replace(batch[-1].lines[-1], value=odd_value)))
    files = [batch[:cut], batch[cut:]]
    chosen = [[index for index in range(len(file)) if kept[index]] for file in files]
    records = [records_of(file).selected(indexes) for file, indexes in zip(files, chosen, strict=True)]
    batch = [file[index] for file, indexes in zip(files, chosen, strict=True) for index in indexes]
    frame = frame_from_records(records)
    expected = build_line_frame(batch)
    pd.testing.assert_frame_equal(frame.lines, expected.lines)
    pd.testing.assert_frame_equal(frame.filer, expected.filer)
    assert (frame.value_exponent, frame.quantity_exponent) == (expected.value_exponent, expected.quantity_exponent)
    assert frame.declaration_count == len(batch)
    lines = [(d, row) for d in batch for row in d.lines]
    assert frame.lines["line"].tolist() == [row.line_number for _, row in lines]
    mine = {
        "classification": [digits(row.classification) for _, row in lines],
        "origin": [row.origin for _, row in lines],
        "currency": [row.value_currency or d.currency for d, row in lines],
        "sima_code": [row.sima for _, row in lines],
        "gst_exemption": [row.gst_exemption for _, row in lines],
    }
    for column, texts in mine.items():
        assert frame.lines[column].astype(object).where(frame.lines[column].notna(), None).tolist() == texts, column
        if column != "currency":  # the currencies of declarations without lines may be categories too
            assert list(frame.lines[column].cat.categories) == [t for t in dict.fromkeys(texts) if t is not None], column
    assert frame.filer["amount"].tolist() == [amount.amount for _, row in lines for amount in row.filer_amounts]
