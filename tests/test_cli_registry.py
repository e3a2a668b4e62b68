"""``carm registry …`` through the real command line, on SQLite and PostgreSQL: what an update leaves unstated is
kept, every command's ``--json`` document, and malformed registry files reported as bad input (exit code 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.model_samples import IMPORTER, SENDER

SECOND = "100000009RM0001"


def importers(carm) -> dict[str, dict]:  # noqa: ANN001
    code, out, err = carm("registry", "list", "--json")
    assert code == 0, err
    return {i["bn15"]: i for i in json.loads(out)["importers"]}


def test_add_importer_keeps_the_security_and_rpp_status_it_is_not_given(carm) -> None:  # noqa: ANN001
    assert carm("registry", "add-importer", IMPORTER, "--name", "Acme", "--security", "5000", "--no-rpp")[0] == 0
    assert carm("registry", "add-importer", IMPORTER, "--name", "Acme Imports Ltd")[0] == 0  # a rename only
    assert importers(carm)[IMPORTER] == {"bn15": IMPORTER, "name": "Acme Imports Ltd", "security": "5000.00",
                                         "rpp": False}
    assert carm("registry", "add-importer", IMPORTER, "--name", "Acme Imports Ltd", "--rpp")[0] == 0
    assert importers(carm)[IMPORTER]["security"] == "5000.00" and importers(carm)[IMPORTER]["rpp"] is True
    assert carm("registry", "add-importer", IMPORTER, "--name", "Acme Imports Ltd", "--security", "0")[0] == 0
    assert importers(carm)[IMPORTER]["security"] == "0.00" and importers(carm)[IMPORTER]["rpp"] is True
    assert carm("registry", "add-importer", SECOND, "--name", "New Importer")[0] == 0  # a new one: the defaults
    assert importers(carm)[SECOND] == {"bn15": SECOND, "name": "New Importer", "security": "0.00", "rpp": True}


def test_registry_load_keeps_the_security_and_rpp_status_a_record_leaves_blank(carm, tmp_path: Path) -> None:  # noqa: ANN001
    assert carm("registry", "add-importer", IMPORTER, "--name", "Acme", "--security", "5000", "--no-rpp")[0] == 0
    assert carm("registry", "add-importer", SECOND, "--name", "Second", "--security", "750.50")[0] == 0
    renames = tmp_path / "renames.csv"
    renames.write_text(f"kind,id,name,security,rpp,importer\nimporter,{IMPORTER},Acme Imports Ltd,,,\n"
                       f"importer,{SECOND},Second Inc,,no,\n", encoding="utf-8")
    code, _, err = carm("registry", "load", str(renames))
    assert code == 0, err
    assert importers(carm) == {
        IMPORTER: {"bn15": IMPORTER, "name": "Acme Imports Ltd", "security": "5000.00", "rpp": False},
        SECOND: {"bn15": SECOND, "name": "Second Inc", "security": "750.50", "rpp": False},
    }
    document = tmp_path / "renames.json"
    document.write_text(json.dumps({"importers": [
        {"bn15": IMPORTER, "name": "Acme (JSON)"},
        {"bn15": SECOND, "name": "Second (JSON)", "security": None, "rpp": True},
        {"bn15": "123456782RM0002", "name": "Third", "security": "", "rpp": None},
    ]}), encoding="utf-8")
    code, _, err = carm("registry", "load", str(document))
    assert code == 0, err
    assert importers(carm) == {
        IMPORTER: {"bn15": IMPORTER, "name": "Acme (JSON)", "security": "5000.00", "rpp": False},
        SECOND: {"bn15": SECOND, "name": "Second (JSON)", "security": "750.50", "rpp": True},
        "123456782RM0002": {"bn15": "123456782RM0002", "name": "Third", "security": "0.00", "rpp": True},
    }


def test_every_registry_command_prints_one_json_document_keyed_as_the_list(carm) -> None:  # noqa: ANN001
    def document(*args: str) -> dict:
        code, out, err = carm(*args, "--json")
        assert code == 0, err
        return json.loads(out)  # the whole of stdout is one JSON document

    assert document("registry", "add-provider", SENDER, "--name", "Acme Broker Software") == {
        "provider": {"id": SENDER, "name": "Acme Broker Software"}}
    assert document("registry", "add-importer", IMPORTER, "--name", "Acme", "--security", "5000", "--no-rpp") == {
        "importer": {"bn15": IMPORTER, "name": "Acme", "security": "5000.00", "rpp": False}}
    # What is now registered, not what the command was told: the unstated security and RPP status are kept.
    assert document("registry", "add-importer", IMPORTER, "--name", "Acme Imports Ltd") == {
        "importer": {"bn15": IMPORTER, "name": "Acme Imports Ltd", "security": "5000.00", "rpp": False}}
    assert document("registry", "add-broker", "864015219", "--name", "Border Brokers Inc") == {
        "broker": {"bn9": "864015219", "name": "Border Brokers Inc"}}
    assert document("registry", "authorize", SENDER, IMPORTER) == {
        "authorization": {"provider": SENDER, "importer": IMPORTER}}
    listing = document("registry", "list")
    assert listing["providers"] == [{"id": SENDER, "name": "Acme Broker Software"}]
    assert listing["importers"] == [{"bn15": IMPORTER, "name": "Acme Imports Ltd", "security": "5000.00", "rpp": False}]
    assert listing["brokers"] == [{"bn9": "864015219", "name": "Border Brokers Inc"}]
    assert listing["authorizations"] == [{"provider": SENDER, "importer": IMPORTER}]


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("list.json", b"[]", "not an array"),
    ("records.json", json.dumps({"importers": "123456782RM0001"}).encode(), "must be a list of records"),
    ("records.json", json.dumps({"providers": ["SP00042"]}).encode(), "providers[0]: a record must be an object"),
    ("records.json", json.dumps({"providers": [{"id": 42, "name": "X"}]}).encode(), "field 'id' must be text"),
    ("records.json", json.dumps({"importers": [{"bn15": IMPORTER, "name": "X", "rpp": 1}]}).encode(), "rpp 1"),
    ("latin1.csv", "kind,id,name,security,rpp,importer\nprovider,SP00042,Soci\xe9t\xe9,,,\n".encode("latin-1"),
     "not UTF-8 text (byte 0xe9"),
    ("binary.json", b"\xff\xfe\x00junk", "not UTF-8 text (byte 0xff at offset 0)"),
])
def test_registry_load_reports_a_malformed_file_as_bad_input(carm, tmp_path: Path, name: str, content: bytes,  # noqa: ANN001
                                                             problem: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = carm("registry", "load", str(path))
    assert code == 2 and out == ""
    assert "internal error" not in err and str(path) in err and problem in err, err


def test_registry_load_reads_a_csv_that_starts_with_a_byte_order_mark(carm, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "excel.csv"
    path.write_bytes("kind,id,name,security,rpp,importer\nprovider,SP00042,Société,,,\n".encode("utf-8-sig"))
    code, out, err = carm("registry", "load", str(path), "--json")
    assert code == 0, err
    assert json.loads(out)["providers"] == 1
