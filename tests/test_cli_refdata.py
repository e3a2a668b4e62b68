"""``carm refdata check`` and ``carm refdata show`` through the real command line: what a user sees after dropping
CBSA's export into a folder (tables, editions, unreadable cells by file/row/column, real vs example), the
exit codes (0 clean, 1 some cells unreadable or no such classification, 2 cannot run) and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import build_app
from tests.tariff_export_rows import HEADER, VERBATIM_ROWS, full_size_export

HEADER_LINE = ",".join(HEADER) + "\r\n"


def carm(*args: str, refdata: Path | None = None, as_of: str = "") -> tuple[int, str, str]:
    environ = {"CARM_REFDATA_DIR": str(refdata) if refdata else "", "CARM_AS_OF": as_of, "COLUMNS": "200"}
    result = CliRunner().invoke(build_app(), list(args), env=environ)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory) -> tuple[Path, object]:
    export = full_size_export(seed=11, items=1200)
    directory = tmp_path_factory.mktemp("refdata")
    (directory / "tariff.csv").write_bytes(export.data("cp1252"))
    return directory, export


def test_check_on_the_shipped_data_says_what_is_real_and_what_is_an_example():
    code, out, err = carm("refdata", "check", "--json")
    assert code == 0, err
    document = json.loads(out)
    tables = document["tables"]
    assert document["directory"] is None and document["unreadable_cells"] == 0
    (edition,) = tables["tariff"]["editions"]
    assert (edition["name"], edition["rows"], edition["form"]) == ("tariff.csv", 97, "printed form")
    assert tables["tariff"]["kind"] == "real" and tables["tariff"]["from"] == "shipped"
    assert tables["exchange_rates"]["currencies"]["USD"] == {"from": "2023-12-27", "to": "2025-12-30", "days": 501}
    assert tables["sima"]["kind"] == "example" and tables["sima"]["example_rows"] == tables["sima"]["rows"]
    assert tables["excise"]["kind"] == "real and examples" and tables["excise"]["example_rows"] == 2
    assert tables["surtaxes"]["kind"] == "real"


def test_check_of_a_real_export_lists_editions_unknown_columns_and_unreadable_cells(export_dir):
    directory, export = export_dir
    code, out, err = carm("refdata", "check", str(directory), "--json")
    assert code == 1, err  # some cells are unreadable: the items they decide are unusable
    document = json.loads(out)
    tariff = document["tables"]["tariff"]
    assert tariff["from"] == "CARM_REFDATA_DIR" and document["directory"] == str(directory)
    (edition,) = tariff["editions"]
    assert edition["form"] == "CBSA TPHS export" and edition["rows"] == export.rows
    assert edition["duplicates"] == export.duplicates and edition["unknown_columns"] == ["IDT"]
    expected = sorted({(e.item_row, column, cell) for e in export.classifications.values()
                       for column, cell in e.unreadable.items()})
    cells = edition["unreadable_cells"]
    assert sorted((c["row"], c["column"], c["text"]) for c in cells) == expected
    assert all(c["file"] == "tariff.csv" for c in cells) and document["unreadable_cells"] == len(expected)
    code, text, _ = carm("refdata", "check", str(directory))
    first = cells[0]
    assert code == 1 and f"unreadable: tariff.csv, row {first['row']}, column {first['column']}:" in text
    assert "unknown columns (not used): IDT" in text


def test_check_reads_the_directory_of_carm_refdata_dir_and_lists_each_edition(tmp_path):
    (tmp_path / "tariff-T2026-2.csv").write_text(HEADER_LINE + VERBATIM_ROWS, encoding="utf-8")
    (tmp_path / "tariff-T2026-0.csv").write_text(
        HEADER_LINE + VERBATIM_ROWS.replace("09/01/26", "01/01/26"), encoding="utf-8")
    code, out, err = carm("refdata", "check", "--json", refdata=tmp_path)
    assert code == 0, err
    editions = json.loads(out)["tables"]["tariff"]["editions"]
    assert [(e["name"], e["in_force_from"], e["in_force_to"]) for e in editions] == [
        ("T2026-0", None, "2026-08-31"), ("T2026-2", "2026-09-01", None)]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "the reference data directory does not exist"),
        (lambda d: (d.mkdir(), (d / "tariff.csv").write_text("CODE,RATE\n1,8%\n")), "tariff.csv, row 1: header is"),
        (lambda d: (d.mkdir(), (d / "tariff.csv").write_text("TARIFF,EFF_DATE,DESC1,UOM\n")),
         "tariff.csv, row 1, column MFN: column missing"),
    ],
)
def test_check_of_a_directory_that_cannot_load_is_one_line_and_exit_code_2(tmp_path, setup, message):
    directory = tmp_path / "refdata"
    setup(directory)
    code, out, err = carm("refdata", "check", str(directory))
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_show_gives_every_treatment_the_unit_edition_and_row():
    code, out, err = carm("refdata", "show", "9503.00.10.10", "--on", "2025-05-05", "--json")
    assert code == 0, err
    document = json.loads(out)
    item = document["item"]
    assert (item["classification"], item["unit"], item["edition"], item["row"]) == ("9503001010", "C62",
                                                                                    "tariff.csv", 90)
    treatments = {t["abbreviation"]: t for t in document["treatments"]}
    assert treatments["MFN"]["rate"] == {"text": "8%", "ad_valorem_percent": "8", "specific_dollars": None,
                                         "specific_unit": None, "combine": None}
    assert treatments["UST"]["rate"]["text"] == "Free" and treatments["GPT"]["rate"]["ad_valorem_percent"] == "5"
    assert treatments["AUT"]["offered"] is False and treatments["AUT"]["rate"] is None
    assert {t["edition"] for t in document["treatments"]} == {"tariff.csv"}
    assert document["surtaxes"] == [] and document["sima"] == [] and document["excise"] == []


def test_show_names_the_surtax_sima_and_excise_that_cover_the_goods():
    code, out, _ = carm("refdata", "show", "0404102200", "--on", "2026-10-01", "--json")
    (surtax,) = json.loads(out)["surtaxes"]
    assert code == 0 and (surtax["order"], surtax["rate_percent"], surtax["countries"]) == ("SOR/2026-186", "50",
                                                                                             ["US"])
    assert json.loads(carm("refdata", "show", "0404102200", "--on", "2025-10-01", "--json")[1])["surtaxes"] == []
    sima = json.loads(carm("refdata", "show", "6907402100", "--on", "2025-05-05", "--json")[1])["sima"]
    assert [(m["code"], m["example"]) for m in sima] == [("S01", True)]
    excise = json.loads(carm("refdata", "show", "8703409010", "--on", "2025-05-05", "--json")[1])["excise"]
    assert {e["code"] for e in excise} >= {"AC", "FV13", "FV16"}
    code, text, _ = carm("refdata", "show", "6907402100", "--on", "2025-05-05")
    assert code == 0 and "SIMA S01" in text and "[example]" in text


def test_show_names_an_unreadable_cell_of_the_users_export(export_dir):
    directory, export = export_dir
    name, expected = next((n, e) for n, e in export.classifications.items() if e.unreadable)
    (column, cell), = expected.unreadable.items()
    code, out, err = carm("refdata", "show", name, "--on", "2026-06-01", "--json", refdata=directory)
    assert code == 0, err
    abbreviation = "GT" if column == "General Tariff" else column
    (treatment,) = [t for t in json.loads(out)["treatments"] if t["abbreviation"] == abbreviation]
    assert treatment["offered"] is False
    assert treatment["unusable"] == {"file": "tariff.csv", "row": expected.item_row, "column": column,
                                     "text": cell, "problem": treatment["unusable"]["problem"]}
    code, text, _ = carm("refdata", "show", name, "--on", "2026-06-01", refdata=directory)
    assert f"unusable: tariff.csv, row {expected.item_row}, column {column}" in text


def test_show_of_a_classification_not_in_force_is_exit_code_1_and_bad_input_is_2():
    code, out, _ = carm("refdata", "show", "9503001099", "--on", "2025-05-05", "--json")
    assert code == 1 and json.loads(out)["item"] is None
    code, out, _ = carm("refdata", "show", "9503001010", "--on", "2023-12-31")
    assert code == 1 and "not in the tariff in force on 2023-12-31" in out
    for args, message in ((("95a",), "classification '95a'"), (("9503001010", "--on", "2025-13-01"), "--on")):
        code, out, err = carm("refdata", "show", *args)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_show_without_on_acts_on_the_day_of_carm_as_of_and_a_bad_one_is_named():
    code, out, _ = carm("refdata", "show", "9503001010", as_of="2023-12-31T10:00")
    assert code == 1 and "not in the tariff in force on 2023-12-31" in out
    code, out, err = carm("refdata", "show", "9503001010", as_of="2025-13-01")
    assert code == 2 and out == ""
    assert err.strip() == "error: CARM_AS_OF='2025-13-01': expected YYYY-MM-DD or YYYY-MM-DDTHH:MM (Eastern time)"


def test_a_declaration_using_an_unreadable_cell_is_rejected_naming_it_and_the_rest_of_the_export_works(tmp_path):
    sample = Path(__file__).resolve().parent.parent / "docs" / "samples" / "cad-sample.xml"  # 9503.00.10.10, MFN
    export = HEADER_LINE + VERBATIM_ROWS + (
        "9503.00.10,01/01/25 00:00:00,1,,Wheeled toys,,,,,4.2¢,,,,,,Free,,,,,,,,,,,,,,,,,27001,,35%,\r\n"
        "9503.00.10.10,01/01/12 00:00:00,0,,Tricycles,,,,NMB,8 %,,,,,,,,,,,,,,,,,,,,,,,27002,,35%,\r\n")
    (tmp_path / "tariff-T2026-2.csv").write_bytes(export.encode("cp1252"))
    code, out, err = carm("validate", str(sample), "--json", "--as-of", "2025-06-01", refdata=tmp_path)
    assert code == 1, err
    (declaration,) = json.loads(out)["declarations"]
    (error,) = declaration["errors"]
    assert error["code"] == "B12"
    assert "tariff-T2026-2.csv, row 6, column MFN: '4.2¢'" in error["message"]
    code, out, _ = carm("refdata", "show", "0105.11.21", "--on", "2026-09-01", "--json", refdata=tmp_path)
    chicks = {t["abbreviation"]: t for t in json.loads(out)["treatments"]}
    assert code == 0 and chicks["MFN"]["rate"]["specific_dollars"] == "0.0086" and chicks["MFN"]["edition"] == "T2026-2"
