"""load_reference: the user's directory overrides file by file; every table's faults name file, row, column."""

from __future__ import annotations

import json
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.errors import ReferenceDataError
from pipeline.reference import load_reference
from pipeline.reference.loader import SHIPPED_DATA


def shipped_text(name: str) -> str:
    return (SHIPPED_DATA / name).read_text(encoding="utf-8")


def test_loading_everything_is_fast():
    started = time.perf_counter()
    load_reference()
    # "well under a second" on an idle machine (about 0.15 s); the bound leaves room for a busy shared CI box
    assert time.perf_counter() - started < 2


def test_a_directory_overrides_one_file_and_the_rest_falls_back(tmp_path):
    (tmp_path / "sima_measures.csv").write_text(
        "code,description,goods,countries,percent,per_unit,unit,from,to,source,example\n"
        "AD7,Real measure from the user's list,9503.00.10,CN,17.5,,,2025-01-01,,CBSA measures in force,no\n",
        encoding="utf-8",
    )
    shipped = load_reference()
    user = load_reference(str(tmp_path))
    assert set(user.sima) == {"AD7"}
    assert user.sima_for("9503001010", "CN", date(2025, 5, 2)).percent == Decimal("17.5")
    assert str(tmp_path / "sima_measures.csv") in user.provenance["sima"]
    assert "CARM_REFDATA_DIR" in user.provenance["sima"]
    assert user.tariff == shipped.tariff and user.excise == shipped.excise
    assert user.provenance["tariff"] == shipped.provenance["tariff"]


def test_exchange_rate_files_are_merged_with_the_users(tmp_path):
    document = {
        "terms": {"url": "https://www.bankofcanada.ca/terms/"},
        "observations": [{"d": "2026-01-02", "FXUSDCAD": {"v": "1.3700"}}],
    }
    (tmp_path / "valet_fx_daily_2026.json").write_text(json.dumps(document), encoding="utf-8")
    rates = load_reference(tmp_path).exchange_rates
    assert rates.rate_for("USD", date(2026, 1, 5)).rate == Decimal("1.3700")
    assert rates.rate_for("USD", date(2025, 5, 3)).rate == Decimal("1.3800")  # shipped files still read


def test_conflicting_exchange_rates_are_refused(tmp_path):
    document = {
        "observations": [
            {"d": "2025-05-01", "FXUSDCAD": {"v": "1.3836"}},
            {"d": "2025-05-02", "FXUSDCAD": {"v": "1.5000"}},
        ]
    }
    path = tmp_path / "valet_fx_extra.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ReferenceDataError) as caught:
        load_reference(tmp_path)
    assert (caught.value.path, caught.value.row, caught.value.column) == (str(path), 2, "FXUSDCAD")
    assert "1.3800" in caught.value.problem


@pytest.mark.parametrize(
    ("cell", "problem"),
    [({"v": "1,38"}, "not a decimal"), ({"v": "-1"}, "positive"), ("1.38", "not an observation")],
)
def test_a_malformed_exchange_rate_names_the_observation_and_series(tmp_path, cell, problem):
    path = tmp_path / "valet_fx_daily_2025.json"  # replaces the shipped file of that name
    path.write_text(json.dumps({"observations": [{"d": "2025-01-02", "FXEURCAD": cell}]}), encoding="utf-8")
    with pytest.raises(ReferenceDataError) as caught:
        load_reference(tmp_path)
    assert (caught.value.path, caught.value.row, caught.value.column) == (str(path), 1, "FXEURCAD")
    assert problem in caught.value.problem


def test_a_float_in_a_valet_file_is_read_as_its_decimal_text(tmp_path):
    (tmp_path / "valet_fx_daily_2025.json").write_text(
        '{"observations": [{"d": "2025-01-02", "FXUSDCAD": {"v": 1.4385}}]}', encoding="utf-8"
    )
    rate = load_reference(tmp_path).exchange_rates.rate_for("USD", date(2025, 1, 2)).rate
    assert rate == Decimal("1.4385") and str(rate) == "1.4385"


def corrupt(tmp_path: Path, name: str, line: int, old: str, new: str) -> Path:
    """Copy a shipped table with one cell changed on one (1-based) line."""
    lines = shipped_text(name).splitlines(keepends=True)
    assert old in lines[line - 1], (name, line, lines[line - 1])
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path = tmp_path / name
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "line", "old", "new", "column", "problem"),
    [
        ("sima_measures.csv", 3, ",12.5,", ",twelve,", "percent", "not a decimal"),
        ("sima_measures.csv", 2, ",CN,", ",ZZ,", "countries", "'ZZ'"),
        ("surtax_orders.csv", 4, "2026-09-08", "2026-13-08", "from", "not a date"),
        ("surtax_orders.csv", 3, "8207.30.00", "8207.20.00", "tariff_item", "already in SOR/2026-186"),
        ("excise_codes.csv", 2, ",NMB,", ",UNIT,", "unit", "'UNIT'"),
        ("excise_codes.csv", 3, ",tax,", ",levy,", "kind", "'levy'"),
        ("gst_exemption_codes.csv", 3, ",yes", ",maybe", "example", "'maybe'"),
        ("special_authority_codes.csv", 2, ",gst,", ",pst,", "relieves", "'pst'"),
        ("special_authority_codes.csv", 2, ",2025-02-15,", ",2024-01-01,", "to", "before it starts"),
        ("clvs_thresholds.csv", 3, "150.00", "30.00", "max_vfd", "not above"),
        ("treatment_countries.csv", 5, "UST,US,", "UST,USA,", "country", "'USA'"),
        ("treatment_countries.csv", 2, ",excluded,", ",banned,", "relation", "'banned'"),
        ("tariff_treatment_codes.csv", 5, "5,NZT", "4,NZT", "code", "given twice"),
        ("unit_conversions.csv", 2, ",1000,", ",-1000,", "factor", "positive"),
        ("cbsa_unit_aliases.csv", 2, "NMB,C62", "NMB,Q9Z", "code", "Q9Z"),
        ("statutory_rates.csv", 2, "gst,5", "gst,five", "percent", "not a decimal"),
    ],
)
def test_a_malformed_row_names_file_row_and_column(tmp_path, name, line, old, new, column, problem):
    path = corrupt(tmp_path, name, line, old, new)
    with pytest.raises(ReferenceDataError) as caught:
        load_reference(tmp_path)
    error = caught.value
    assert (error.path, error.row, error.column) == (str(path), line, column)
    assert problem in error.problem
    assert f"{path}, row {line}, column {column}: " in str(error)


def test_a_missing_column_is_named(tmp_path):
    text = shipped_text("clvs_thresholds.csv").replace("max_vfd", "amount", 1)
    (tmp_path / "clvs_thresholds.csv").write_text(text, encoding="utf-8")
    with pytest.raises(ReferenceDataError) as caught:
        load_reference(tmp_path)
    assert (caught.value.row, caught.value.column) == (1, "max_vfd")


def test_a_missing_directory_is_a_fault(tmp_path):
    with pytest.raises(ReferenceDataError, match="does not exist"):
        load_reference(tmp_path / "nowhere")
