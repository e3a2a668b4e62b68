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
LEDGER_ONLY = {"S13", "B04", "B05", "B23"}  # need the ledger: tested through intake
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


@pytest.mark.parametrize("command", ["validate", "assess"])
@pytest.mark.parametrize("as_json", [True, False])
def test_a_checker_fault_on_one_file_is_reported_for_that_file_and_the_others_are_checked(
    command: str, as_json: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No input makes ``carm validate`` say ``internal error``: a fault of our reader on one file is that file's
    result (exit 1, as for a rejected file), and the other files are checked as usual."""
    import pipeline.checking

    good = next(e for e in INDEX["files"] if e["code"] == "B15")
    bad = tmp_path / "crashes-the-reader.edi"
    bad.write_bytes(b"UNB+UNOC:3+HOSTILE'")
    original = pipeline.checking.read_submission

    def read(data: bytes, **options: object) -> object:
        if data == b"UNB+UNOC:3+HOSTILE'":
            raise RecursionError("maximum recursion depth exceeded")
        return original(data, **options)

    monkeypatch.setattr(pipeline.checking, "read_submission", read)
    arguments = [command, *(["--json"] if as_json else []), "--as-of", good["business_date"],
                 str(bad), str(ROOT / good["file"])]
    result = CliRunner().invoke(build_app(), arguments)
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output + result.stderr
    if not as_json:
        assert f"{bad}" in result.stdout and "RecursionError: maximum recursion depth exceeded" in result.stdout
        assert "B15" in result.stdout  # the other file was checked
        return
    document = json.loads(result.stdout)
    faulty, checked = document["files"]
    assert faulty["file"] == str(bad) and faulty["status"] == "rejected"
    assert "RecursionError: maximum recursion depth exceeded" in faulty["fault"]
    assert checked["file"].endswith(good["file"]) and "fault" not in checked
    assert sorted(d["status"] for d in document["declarations"]) == ["accepted", "rejected"]
    assert all(d["file"] == checked["file"] for d in document["declarations"])


def test_an_assessment_fault_on_one_file_leaves_the_others_assessed(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.assess

    good = next(e for e in INDEX["files"] if e["code"] == "B15")
    other = tmp_path / "second.edi"
    other.write_bytes((ROOT / good["file"]).read_bytes())
    original = pipeline.assess.assess_declarations
    seen = []

    def assess(declarations: list, reference: object) -> object:
        seen.append(len(declarations))
        if len(seen) == 1 or (len(seen) == 2 and declarations):
            raise ArithmeticError("rate table")
        return original(declarations, reference)

    monkeypatch.setattr(pipeline.assess, "assess_declarations", assess)
    result = CliRunner().invoke(build_app(), ["assess", "--json", "--as-of", good["business_date"],
                                              str(ROOT / good["file"]), str(other)])
    assert result.exit_code == 1 and "internal error" not in result.stderr
    document = json.loads(result.stdout)
    assert "ArithmeticError: rate table" in document["files"][0]["fault"] and "fault" not in document["files"][1]
    assert [d["file"] for d in document["declarations"] if d["status"] == "accepted"] == [str(other)]
    assert all("totals" in d for d in document["declarations"] if d["status"] == "accepted")
