"""The tariff in both forms: same rows give the same tariff; look-ups by 10 and 8 digits and by date."""

from __future__ import annotations

import csv
import dataclasses
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.errors import ReferenceDataError
from pipeline.reference import load_reference
from pipeline.reference.loader import SHIPPED_DATA
from pipeline.reference.types import ReferenceData, Tariff

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reference"
MAY_2025 = date(2025, 5, 2)
MFN, GT, UST, GPT, PT, HNT, CPTPT = "2", "3", "10", "9", "25", "29", "33"


@pytest.fixture(scope="module")
def shipped() -> ReferenceData:
    return load_reference()


def load_with_tariff(tmp_path: Path, source: Path) -> ReferenceData:
    shutil.copy(source, tmp_path / "tariff.csv")
    return load_reference(tmp_path)


def without_origin(tariff: Tariff) -> dict:
    """The items without the fields that only say where a row was read."""
    return {
        key: tuple(dataclasses.replace(item, source="", row=0, edition_sha256="") for item in versions)
        for key, versions in tariff.items.items()
    }


def test_both_forms_of_the_same_rows_load_to_the_same_reference_data(shipped, tmp_path):
    export = load_with_tariff(tmp_path, FIXTURES / "tphs_sample.csv")
    assert "TPHS" in export.tariff.source and "printed" in shipped.tariff.source
    assert len(shipped.tariff.items) == 97
    assert without_origin(export.tariff) == without_origin(shipped.tariff)
    for field in dataclasses.fields(ReferenceData):
        if field.name not in ("tariff", "provenance", "files"):
            assert getattr(export, field.name) == getattr(shipped, field.name), field.name


def test_lookup_by_classification_and_by_tariff_item(shipped):
    tricycles = shipped.tariff.lookup("9503.00.10.10", MAY_2025)
    assert tricycles is not None and tricycles.classification == "9503001010"
    assert tricycles.rates[MFN].ad_valorem == Decimal("8")
    assert tricycles.rates[UST].is_free
    assert tricycles.rates[GPT].ad_valorem == Decimal("5")
    assert tricycles.unit == "C62"  # CBSA's NMB
    # a 10-digit classification under a tariff item printed with 8 digits
    shells = shipped.tariff.lookup("1802000010", MAY_2025)
    assert shells is not None and shells.classification == "18020000"
    assert shipped.tariff.lookup("18020000", MAY_2025) is shells
    assert shipped.tariff.lookup("9503009999", MAY_2025) is None  # no such classification nor item


def test_the_sample_is_in_force_from_2024_with_an_open_end(shipped):
    assert shipped.tariff.lookup("9503001010", date(2023, 12, 31)) is None
    item = shipped.tariff.lookup("9503001010", date(2024, 1, 1))
    assert item is not None and item.effective_to is None
    assert shipped.tariff.lookup("9503001010", date(2026, 9, 8)) is item


def test_general_tariff_defaults(shipped):
    # not printed: 35% (Customs Tariff s. 29)
    assert shipped.tariff.lookup("9503001010", MAY_2025).rates[GT].ad_valorem == Decimal("35")
    # printed: as printed
    barley = shipped.tariff.lookup("1104191200", MAY_2025)
    assert barley.rates[GT].text == "$106.50/tonne plus 7%"
    # MFN above 35% ad valorem: the General Tariff is the MFN rate
    whey = shipped.tariff.lookup("0404102200", MAY_2025)
    assert whey.rates[GT] == whey.rates[MFN]
    # N/A MFN: neither MFN nor the General Tariff, only the listed treatments
    sugar = shipped.tariff.lookup("1701911000", MAY_2025)
    assert set(sugar.rates) == {PT, HNT}


def test_no_unit_and_specific_units(shipped):
    assert shipped.tariff.lookup("6909110000", MAY_2025).unit is None  # printed "-"
    beverage = shipped.tariff.lookup("2202993300", MAY_2025)
    assert beverage.unit == "HLT" and beverage.rates[MFN].specific_unit == "HLT"
    assert shipped.tariff.lookup("2402200000", MAY_2025).unit == "MIL"


def test_export_versions_headings_and_statistical_suffixes(tmp_path):
    tariff = load_with_tariff(tmp_path, FIXTURES / "tphs_versions.csv").tariff
    assert "9503" not in tariff.items and "950300" not in tariff.items  # headings
    before = tariff.lookup("9503001010", date(2025, 6, 30))
    after = tariff.lookup("9503001010", date(2025, 7, 1))
    assert before.rates[MFN].ad_valorem == Decimal("8") and before.effective_to == date(2025, 6, 30)
    assert after.rates[MFN].ad_valorem == Decimal("6.5") and after.effective_to is None
    assert before.description == "Tricycles" and before.unit == "C62"
    assert "95030010" in before.source
    # a suffix first listed in 2025 takes the item's rates from then; before, the item itself answers
    assert tariff.lookup("9503001090", date(2025, 1, 1)).description == "Other (scooters, pedal cars)"
    assert tariff.lookup("9503001090", date(2024, 6, 1)).classification == "95030010"
    cigarettes = tariff.lookup("2402200000", MAY_2025)
    assert set(cigarettes.rates) == {MFN, GT, UST, CPTPT}  # CPUKT column skipped
    assert cigarettes.rates[GT].ad_valorem == Decimal("35")
    whey = tariff.lookup("0404102200", MAY_2025)
    assert whey.rates[GT] == whey.rates[MFN]
    assert set(tariff.lookup("1701911000", MAY_2025).rates) == {PT, HNT}


def rewrite_sample(tmp_path: Path, row_index: int, column: str, value: str) -> Path:
    with open(SHIPPED_DATA / "tariff.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[row_index][column] = value
    path = tmp_path / "tariff.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("MFN", "8 percent", "'8 percent'"),
        ("MFN", "", "empty"),
        ("GENERAL_TARIFF", "35", "'35'"),
        ("PREFERENTIAL", "UST: Free; XYZT: 5%", "XYZT"),
        ("PREFERENTIAL", "UST, MFN: Free", "own column"),
        ("UOM", "BOXES", "'BOXES'"),
        ("TARIFF", "9503.00.10.1", "9 digits"),
        ("TARIFF", "9503-00", "not a tariff item"),
        ("TARIFF", "0404.10.10.00", "given twice"),
    ],
)
def test_a_malformed_tariff_row_names_file_row_and_column(tmp_path, column, value, problem):
    path = rewrite_sample(tmp_path, 4, column, value)  # data row 5 = file row 6
    with pytest.raises(ReferenceDataError) as caught:
        load_reference(tmp_path)
    error = caught.value
    assert (error.path, error.row, error.column) == (str(path), 6, column)
    assert problem in error.problem


def test_a_header_of_neither_form_is_refused(tmp_path):
    (tmp_path / "tariff.csv").write_text("CODE,RATE\n9503001010,8%\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError) as caught:
        load_reference(tmp_path)
    assert caught.value.row == 1 and "TPHS" in caught.value.problem


def test_an_export_in_windows_1252_is_read(tmp_path):
    text = (FIXTURES / "tphs_sample.csv").read_text(encoding="utf-8")
    (tmp_path / "tariff.csv").write_bytes(text.encode("cp1252"))
    whey = load_reference(tmp_path).tariff.lookup("0404102100", MAY_2025)
    assert whey.rates[MFN].specific == Decimal("0.0332")
