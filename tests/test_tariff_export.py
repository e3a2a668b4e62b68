"""CBSA's real tariff export (TPHS via mdb-export) as a user drops it into CARM_REFDATA_DIR: the verbatim rows of
the spec, a full-size export generated from the real grammar, unreadable cells that reject only the declarations
that use them (naming the cell), and several editions side by side, each used on the release dates it is in
force, named in the explanation."""

from __future__ import annotations

import gc
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.assess import assess_declarations, explain_declaration
from pipeline.reference import load_reference
from pipeline.reference.loader import tariff_files
from pipeline.reference.tariff import load_tariff
from pipeline.reference.types import UNIT_OF_MEASURE, WHOLE_ITEM, ReferenceData
from pipeline.validate import validate_submission
from pipeline.validate.context import ValidationContext
from tests.model_samples import parse_result, valid_declaration, valid_line
from tests.tariff_export_rows import HEADER, RATE_FORMS, VERBATIM_ROWS, full_size_export

MFN, GT, UST, CPTPT = "2", "3", "10", "33"
HEADER_LINE = ",".join(HEADER) + "\r\n"
COLUMN_CODES = {"MFN": MFN, "General Tariff": GT, "UST": UST, "GPT": "9", "CPTPT": CPTPT, "AUT": "4", "NZT": "5",
                "CCCT": "7", "LDCT": "8", "MXT": "11", "CIAT": "13", "CT": "14", "CRT": "21", "IT": "22", "NT": "23",
                "SLT": "24", "PT": "25", "COLT": "26", "JT": "27", "PAT": "28", "HNT": "29", "KRT": "30",
                "CEUT": "31", "UAT": "32", "UKT": "34"}


SHIPPED = load_reference()
UNITS = SHIPPED.units
CODES: dict[str, str | None] = {t.abbreviation: code for code, t in SHIPPED.treatments.items()} | {"CPUKT": None}


def row(tariff: str, eff_date: str, uom: str = "", **rates: str) -> str:
    """One export row in the header's order; rate keyword arguments are column names (``General_Tariff``)."""
    values = {"TARIFF": tariff, "EFF_DATE": eff_date, "DESC1": f"goods {tariff}", "UOM": uom,
              **{name.replace("_", " "): cell for name, cell in rates.items()}}
    return ",".join(values.get(column, "") for column in HEADER) + "\r\n"


def folder(tmp_path: Path, files: dict[str, str], encoding: str = "utf-8") -> Path:
    for name, text in files.items():
        (tmp_path / name).write_bytes(text.encode(encoding))
    return tmp_path


def findings(reference: ReferenceData, *, as_of: date = date(2026, 12, 1), **fields: object) -> list:
    line_fields = {k: fields.pop(k) for k in ("classification", "treatment", "origin", "unit") if k in fields}
    declaration = valid_declaration(lines=[valid_line(**line_fields)], **fields)
    verdict = validate_submission(parse_result(declaration), ValidationContext(reference, as_of))
    return list(verdict.declarations[0].findings)


# -- the verbatim rows ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_the_verbatim_rows_of_the_spec_load_with_rates_of_the_tariff_item(tmp_path, encoding):
    tariff = load_reference(folder(tmp_path, {"tariff.csv": HEADER_LINE + VERBATIM_ROWS}, encoding)).tariff
    horses = tariff.lookup("0101210000", date(2026, 9, 1))
    assert horses.classification == "0101210000" and horses.unit == "C62"  # NMB, from the 10-digit row
    assert horses.rates[MFN].is_free and horses.rates[GT].ad_valorem == Decimal("35") and horses.rates[UST].is_free
    assert (horses.edition, horses.rates_row, horses.changed, horses.row) == ("tariff.csv", 3, date(2026, 9, 1), 4)
    # the row changed on 2026-09-01: this one edition says nothing of the rate before
    assert tariff.lookup("0101210000", date(2026, 8, 31)) is None
    chicks = tariff.lookup("0105112100", date(2026, 9, 1))
    assert chicks.rates[MFN].specific == Decimal("0.0086") and chicks.rates[MFN].specific_unit == "C62"
    assert chicks.rates[MFN].text == "0.86 ¢each" and chicks.description == "Within access commitment"
    (edition,) = tariff.editions
    assert (edition.rows, edition.headings, edition.items, edition.classifications) == (4, 1, 2, 1)
    assert edition.latest_change == date(2026, 9, 1) and edition.faults == () and edition.unknown_columns == ()


def test_a_ten_digit_rows_stale_rate_is_never_used(tmp_path):
    text = HEADER_LINE + row("9503.00.10", "09/01/26 00:00:00", MFN="6 %", General_Tariff="35%") + row(
        "9503.00.10.10", "01/01/12 00:00:00", "NMB", MFN="8 %", General_Tariff="35%", UST="12 %")
    item = load_reference(folder(tmp_path, {"tariff.csv": text})).tariff.lookup("9503001010", date(2026, 9, 2))
    assert item.rates[MFN].ad_valorem == Decimal("6") and UST not in item.rates and item.unit == "C62"


# -- a full-size export ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_size(tmp_path_factory):
    export = full_size_export(seed=2026, items=5300)
    directory = tmp_path_factory.mktemp("refdata")
    (directory / "tariff.csv").write_bytes(export.data("cp1252"))
    return export, load_reference(directory)


def test_a_full_size_export_loads_every_form_from_the_tariff_item_row(full_size):
    export, reference = full_size
    assert 19_000 <= export.rows <= 22_000 and len(export.classifications) > 10_000
    on = date(2026, 6, 1)
    forms_seen = set()
    for text, expected in export.classifications.items():
        item = reference.tariff.lookup(text, on)
        assert item is not None, text
        assert item.classification == text.replace(".", "") and item.description == expected.description
        assert item.rates_row == expected.item_row
        assert item.unit == (None if expected.unit.strip() in ("-", "") else reference.units.canonical(expected.unit))
        for column, cell in expected.rates.items():
            code = COLUMN_CODES[column]
            if column in expected.unreadable:
                fault = item.unusable[code]
                assert (fault.path, fault.row, fault.column, fault.text) == ("tariff.csv", expected.item_row, column,
                                                                              cell)
                continue
            if cell == "N/A":
                assert code not in item.rates
                continue
            rate = item.rates[code]
            assert rate.text == cell
            if cell in RATE_FORMS:
                forms_seen.add(cell)
                ad_valorem, specific, unit, combine = RATE_FORMS[cell]
                assert rate.ad_valorem == (None if ad_valorem is None else Decimal(ad_valorem))
                assert rate.specific == (None if specific is None else Decimal(specific))
                assert (rate.specific_unit, rate.combine) == (unit, combine)
        assert set(item.rates) <= {COLUMN_CODES[c] for c in expected.rates} | {GT}  # nothing from the stale row
    assert forms_seen == set(RATE_FORMS)


def test_a_full_size_export_reports_rows_headings_duplicates_unknown_columns_and_faults(full_size):
    export, reference = full_size
    (edition,) = reference.tariff.editions
    assert (edition.rows, edition.headings, edition.duplicates) == (export.rows, export.headings, export.duplicates)
    assert edition.classifications == len(export.classifications)
    assert edition.unknown_columns == ("IDT",)
    unreadable = {(e.item_row, column) for e in export.classifications.values() for column in e.unreadable}
    assert unreadable and {(f.row, f.column) for f in edition.faults} == unreadable


def test_load_time_grows_linearly_with_the_export(tmp_path):
    def files(items: int) -> list:
        directory = tmp_path / str(items)
        directory.mkdir()
        (directory / "tariff.csv").write_bytes(full_size_export(seed=7, items=items).data())
        return tariff_files(directory)

    def seconds(found: list) -> float:
        # CPU time of this process (the machine is shared), without the cyclic collector: whether a full
        # collection falls inside a run depends on what other tests left alive, not on the loader.
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            load_tariff(found, CODES, UNITS, Decimal(35))
            return time.process_time() - start
        finally:
            gc.enable()

    small, large = files(1000), files(2000)
    runs = [(seconds(small), seconds(large)) for _ in range(9)]  # interleaved, so load drift hits both
    assert min(run[1] for run in runs) <= min(run[0] for run in runs) * 2.5


# -- unreadable cells ------------------------------------------------------------------------------------------------


@pytest.fixture
def unreadable(tmp_path) -> ReferenceData:
    text = HEADER_LINE + "".join([
        row("9503.00.10", "01/01/25 00:00:00", MFN="4.2¢", UST="Free"),
        row("9503.00.10.10", "01/01/12 00:00:00", "NMB"),
        row("9503.00.20", "01/01/25 00:00:00", MFN="8 %", General_Tariff="35%"),
        row("9503.00.20.10", "01/01/12 00:00:00", "BOXES"),
        row("9503.00.30", "13/45/25 00:00:00", MFN="8 %", General_Tariff="35%"),
        row("9503.00.30.10", "01/01/12 00:00:00", "NMB"),
        row("9503.00.90", "01/01/25 00:00:00", MFN="8 %", General_Tariff="35%"),
        row("9503.00.90.10", "01/01/12 00:00:00", "NMB"),
    ])
    return load_reference(folder(tmp_path, {"tariff.csv": text}))


def test_an_unreadable_rate_cell_rejects_only_the_treatment_it_decides_naming_the_cell(unreadable):
    (b12,) = findings(unreadable, classification="9503001010", treatment=MFN)
    assert b12.code == "B12"
    assert "tariff.csv, row 2, column MFN" in b12.message and "'4.2¢'" in b12.message
    assert findings(unreadable, classification="9503001010", treatment=UST, origin="US") == []
    # the General Tariff the row leaves blank would come from MFN: unusable for the same cell
    item = unreadable.tariff.lookup("9503001010", date(2025, 5, 5))
    assert item.unusable[GT] == item.unusable[MFN]


def test_an_unreadable_unit_is_b13_and_an_unreadable_date_is_b10_each_naming_the_cell(unreadable):
    (b13,) = findings(unreadable, classification="9503002010")
    assert b13.code == "B13" and "tariff.csv, row 5, column UOM" in b13.message and "'BOXES'" in b13.message
    (b10,) = findings(unreadable, classification="9503003010")
    assert b10.code == "B10" and "tariff.csv, row 6, column EFF_DATE" in b10.message
    assert findings(unreadable, classification="9503009010") == []  # the rest of the file is usable
    faults = {(fault.row, fault.column) for fault in unreadable.tariff.editions[0].faults}
    assert faults == {(2, "MFN"), (5, "UOM"), (6, "EFF_DATE")}
    assert UNIT_OF_MEASURE in unreadable.tariff.lookup("9503002010", date(2025, 5, 5)).unusable
    assert WHOLE_ITEM in unreadable.tariff.lookup("9503003010", date(2025, 5, 5)).unusable


def test_an_undefined_windows_1252_byte_makes_one_cell_unreadable(tmp_path):
    text = HEADER_LINE + row("9503.00.10", "01/01/25 00:00:00", MFN="8 %", UST="Fr\x81ee") + row(
        "9503.00.10.10", "01/01/12 00:00:00", "NMB") + row("0101.21.00", "01/01/25 00:00:00", MFN="Free")
    text = text.replace("goods 0101.21.00", "Café")
    data = text.replace("\x81", "\x00").encode("cp1252").replace(b"\x00", b"\x81")
    (tmp_path / "tariff.csv").write_bytes(data)
    tariff = load_reference(tmp_path).tariff
    assert [fault.column for fault in tariff.editions[0].faults] == ["UST"]
    horses = tariff.lookup("0101210000", date(2025, 5, 5))
    assert horses.rates[MFN].is_free and horses.description == "Café"


def test_a_nul_byte_spoils_only_its_own_cell(tmp_path):
    text = HEADER_LINE + row("9503.00.10", "01/01/25 00:00:00", MFN="8 %", UST="Fr\x00ee") + row(
        "9503.00.10.10", "01/01/12 00:00:00", "NMB")
    tariff = load_reference(folder(tmp_path, {"tariff.csv": text})).tariff
    assert [(fault.row, fault.column) for fault in tariff.editions[0].faults] == [(2, "UST")]
    assert tariff.lookup("9503001010", date(2025, 5, 5)).rates[MFN].ad_valorem == Decimal("8")


def test_duplicates_are_counted_and_conflicting_rows_make_the_item_unusable(tmp_path):
    item = row("9503.00.10", "01/01/25 00:00:00", MFN="8 %")
    text = HEADER_LINE + item + item + row("9503.00.10.10", "01/01/12 00:00:00", "NMB") + row(
        "9503.00.20", "01/01/25 00:00:00", MFN="8 %") + row("9503.00.20", "01/01/25 00:00:00", MFN="9 %")
    reference = load_reference(folder(tmp_path, {"tariff.csv": text}))
    assert reference.tariff.editions[0].duplicates == 1
    assert findings(reference, classification="9503001010") == []
    (b10,) = findings(reference, classification="9503002010")
    assert b10.code == "B10" and "row 6, column TARIFF" in b10.message and "row 5" in b10.message


def test_a_description_over_several_lines_keeps_the_row_numbers_of_the_file(tmp_path):
    multi = row("9503.00.10", "01/01/25 00:00:00", MFN="8 %").replace("goods 9503.00.10", '"Wheeled toys,\r\nridden"')
    text = HEADER_LINE + multi + row("9503.00.10.10", "01/01/12 00:00:00", "NMB") + row(
        "9503.00.20", "01/01/25 00:00:00", MFN="4.2¢")
    tariff = load_reference(folder(tmp_path, {"tariff.csv": text})).tariff
    assert tariff.lookup("95030010", date(2025, 5, 5)).description == "Wheeled toys, ridden"
    assert tariff.lookup("9503001010", date(2025, 5, 5)).row == 4  # the item's row took lines 2 and 3
    assert [(fault.row, fault.column) for fault in tariff.editions[0].faults] == [(5, "MFN")]


# -- editions ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def editions(tmp_path) -> ReferenceData:
    first = HEADER_LINE + "".join([
        row("9503.00.10", "01/01/26 00:00:00", MFN="8 %", General_Tariff="35%"),
        row("9503.00.10.10", "01/01/12 00:00:00", "NMB"),
        row("9503.00.20", "01/01/22 00:00:00", MFN="5 %", General_Tariff="35%"),
        row("9503.00.20.10", "01/01/12 00:00:00", "NMB"),
    ])
    second = HEADER_LINE + "".join([
        row("95.03", "01/01/98 00:00:00"),
        row("9503.00.10", "09/01/26 00:00:00", MFN="6 %", General_Tariff="35%"),
        row("9503.00.10.10", "01/01/12 00:00:00", "NMB"),
    ])
    return load_reference(folder(tmp_path, {"tariff-T2026-0.csv": first, "tariff-T2026-2.csv": second}))


def test_each_release_date_takes_the_edition_in_force(editions):
    before, after = date(2026, 8, 31), date(2026, 9, 1)
    assert [(e.name, e.start, e.end) for e in editions.tariff.editions] == [
        ("T2026-0", None, before), ("T2026-2", after, None)]
    assert editions.tariff.lookup("9503001010", before).rates[MFN].ad_valorem == Decimal("8")
    assert editions.tariff.lookup("9503001010", after).rates[MFN].ad_valorem == Decimal("6")
    assert editions.tariff.lookup("9503002010", before) is not None
    assert editions.tariff.lookup("9503002010", after) is None  # not in the edition in force
    assert editions.tariff.lookup("9503001010", date(2025, 12, 31)) is None  # changed 2026-01-01


def test_the_explanation_names_the_edition_the_tariff_item_row_and_its_eff_date(editions):
    def duty(release: str):  # noqa: ANN202
        declaration = valid_declaration(currency="CAD", shipment_date=release, release_date=release,
                                        document_date=release)
        assert findings(editions, currency="CAD", shipment_date=release, release_date=release,
                        document_date=release) == []
        assessment = assess_declarations([declaration], editions)
        step = explain_declaration(assessment, 0)[0].step("customs_duty")
        return step.amount, dict(step.inputs)

    amount, inputs = duty("2026-09-01")
    assert amount == Decimal("60.00")  # 1,000.00 CAD × 6 %
    assert inputs["tariff edition"] == "T2026-2 (tariff item row 3, EFF_DATE 2026-09-01)"
    amount, inputs = duty("2026-08-31")
    assert amount == Decimal("80.00")
    assert inputs["tariff edition"] == "T2026-0 (tariff item row 2, EFF_DATE 2026-01-01)"


def test_a_line_released_after_an_item_left_the_tariff_is_b10(editions):
    (b10,) = findings(editions, classification="9503002010", currency="CAD", shipment_date="2026-09-02",
                      release_date="2026-09-02", document_date="2026-09-02")
    assert b10.code == "B10" and "2026-09-02" in b10.message
