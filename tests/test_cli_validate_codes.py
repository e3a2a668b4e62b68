"""``carm validate --json`` on a file per validation code (fixtures/codes/): each file draws exactly its code, at
the location a person checked against the file, and the command exits 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import build_app
from pipeline.findings import CODES

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "codes"
INDEX = json.loads((ROOT / "index.json").read_text())
LEDGER_ONLY = {"S13", "B04", "B05"}  # need the ledger: tested through intake
ANSWERED_BY_ASSESSMENT_OR_INTAKE = {"W01", "W02", "W03"}


def run_validate(entry: dict) -> tuple[int, dict]:
    sender = entry["file"].split("/")[0]
    limit = INDEX["size_limit_for_S11"] if entry["code"] == "S11" else 50 * 1024 * 1024
    result = CliRunner().invoke(
        build_app(),
        ["validate", "--json", "--as-of", entry["business_date"], "--sender", sender,
         "--registry", str(ROOT / entry["registry"]), str(ROOT / entry["file"])],
        env={"CARM_MAX_FILE_BYTES": str(limit)},
    )
    return result.exit_code, json.loads(result.stdout)


def errors_of(document: dict) -> list[dict]:
    (file_entry,) = document["files"]
    file_errors = file_entry["errors"]
    own = [e for d in document["declarations"] for e in d["errors"][len(file_errors):]]
    return file_errors + own


@pytest.mark.parametrize("entry", INDEX["files"], ids=[e["file"].split("/")[1] for e in INDEX["files"]])
def test_each_fixture_draws_its_code_at_its_location(entry):
    exit_code, document = run_validate(entry)
    assert exit_code == 1
    (error,) = errors_of(document)
    assert error["code"] == entry["code"] == entry["expected"]["code"]
    assert error["location"] == entry["expected"]["location"]
    assert error["message"]  # plain English, never empty


def test_every_code_a_file_can_draw_alone_has_a_fixture():
    covered = {entry["code"] for entry in INDEX["files"]}
    assert covered == set(CODES) - LEDGER_ONLY - ANSWERED_BY_ASSESSMENT_OR_INTAKE


def test_a_rejected_declaration_leaves_its_sibling_accepted():
    entry = next(e for e in INDEX["files"] if e["code"] == "B15")
    _, document = run_validate(entry)
    assert sorted(d["status"] for d in document["declarations"]) == ["accepted", "rejected"]


def test_a_file_level_error_rejects_every_declaration_of_the_file():
    entry = next(e for e in INDEX["files"] if e["code"] == "A03")
    _, document = run_validate(entry)
    assert document["declarations"] and all(d["status"] == "rejected" for d in document["declarations"])
    assert all(d["errors"][0]["code"] == "A03" for d in document["declarations"])
