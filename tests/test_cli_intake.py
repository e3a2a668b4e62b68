"""``carm intake``, ``carm replay``, ``carm account``, ``carm registry`` and ``carm db upgrade`` through the real
command line (typer's runner, the environment variables of interfaces.md), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from pipeline.storage import layout
from tests.model_samples import IMPORTER, SENDER, TRANSACTION
from tests.test_intake_support import cad, edifact, xml

INTAKE_KEYS = {"files", "interchanges", "declarations", "quarantined", "posted_total", "seconds"}
POSTING_KEYS = {"date", "transaction_number", "version", "kind", "charge_type", "amount", "period", "due_date"}


def registered(carm) -> None:  # noqa: ANN001
    assert carm("registry", "add-provider", SENDER, "--name", "Acme Broker Software")[0] == 0
    assert carm("registry", "add-importer", IMPORTER, "--name", "Acme Imports Ltd", "--security", "5000")[0] == 0
    assert carm("registry", "authorize", SENDER, IMPORTER)[0] == 0


def drop(carm, key: str, data: bytes) -> None:  # noqa: ANN001
    path = carm.home / "buckets" / "inbound" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_registry_commands_check_identifiers_and_list_what_is_registered(carm, tmp_path: Path) -> None:  # noqa: ANN001
    code, _, err = carm("registry", "add-provider", "sp-1", "--name", "Lower case")
    assert code == 2 and "3 to 17 characters A-Z 0-9" in err
    code, _, err = carm("registry", "add-importer", "123456789RM0001", "--name", "Bad check digit")
    assert code == 2 and "123456789RM0001" in err and "BN15" in err
    code, _, err = carm("registry", "add-importer", "123456782RT0001", "--name", "GST account")
    assert code == 2 and "RM" in err
    code, _, err = carm("registry", "add-importer", IMPORTER, "--name", "X", "--security", "12.345")
    assert code == 2 and "2 decimals" in err
    code, _, err = carm("registry", "authorize", SENDER, IMPORTER)
    assert code == 2 and "not registered" in err
    registered(carm)
    assert carm("registry", "add-broker", "864015219", "--name", "Border Brokers Inc")[0] == 0
    assert carm("registry", "add-broker", "864015218", "--name", "Bad")[0] == 2
    assert carm("registry", "add-importer", "100000009RM0001", "--name", "Second", "--no-rpp")[0] == 0
    code, out, _ = carm("registry", "list", "--json")
    assert code == 0
    assert json.loads(out) == {
        "providers": [{"id": SENDER, "name": "Acme Broker Software"}],
        "importers": [{"bn15": "100000009RM0001", "name": "Second", "security": "0.00", "rpp": False},
                      {"bn15": IMPORTER, "name": "Acme Imports Ltd", "security": "5000.00", "rpp": True}],
        "brokers": [{"bn9": "864015219", "name": "Border Brokers Inc"}],
        "authorizations": [{"provider": SENDER, "importer": IMPORTER}],
    }
    csv = tmp_path / "registry.csv"
    csv.write_text("kind,id,name,security,rpp,importer\nprovider,SP00099,Other SP,,,\n"
                   "authorization,SP00099,,,,100000009RM0001\n", encoding="utf-8")
    code, out, _ = carm("registry", "load", str(csv), "--json")
    assert code == 0 and json.loads(out) == {"providers": 1, "importers": 0, "brokers": 0, "authorizations": 1}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"authorizations": [{"provider": "NOBODY", "importer": IMPORTER}]}), encoding="utf-8")
    code, _, err = carm("registry", "load", str(bad))
    assert code == 2 and "NOBODY" in err


def test_intake_json_document_and_account(carm) -> None:  # noqa: ANN001
    registered(carm)
    code, out, _ = carm("intake", "--json", "--as-of", "2025-05-06T10:00")
    assert code == 0 and json.loads(out) == {
        "files": 0, "interchanges": 0, "declarations": {"accepted": 0, "rejected": 0, "duplicate": 0},
        "quarantined": 0, "posted_total": "0.00", "seconds": json.loads(out)["seconds"],
    }
    drop(carm, f"{SENDER}/one.edi", edifact(cad(), cad(number="1", index=2)))
    drop(carm, "stray.xml", xml(cad()))
    code, out, err = carm("intake", "--json", "--as-of", "2025-05-06T10:00")
    assert code == 0, err
    document = json.loads(out)
    assert set(document) == INTAKE_KEYS and isinstance(document["seconds"], float)
    assert document["declarations"] == {"accepted": 1, "rejected": 1, "duplicate": 0}
    assert (document["files"], document["interchanges"], document["quarantined"]) == (1, 1, 1)

    code, out, _ = carm("account", IMPORTER, "--json")
    assert code == 0
    account = json.loads(out)
    assert set(account) == {"importer", "name", "opening_balance", "balance", "postings"}
    assert account["importer"] == IMPORTER
    assert account["postings"] and all(set(p) == POSTING_KEYS for p in account["postings"])
    assert {(p["date"], p["transaction_number"], p["version"], p["kind"], p["period"], p["due_date"])
            for p in account["postings"]} == {("2025-05-06", TRANSACTION, 1, "assessment", "2025-05", "2025-05-30")}
    assert sum(float(p["amount"]) for p in account["postings"]) == pytest.approx(float(account["balance"]))
    assert float(account["balance"]) > 0 and document["posted_total"] == account["balance"]
    assert json.loads(carm("account", IMPORTER, "--json", "--to", "2025-05-05")[1])["postings"] == []
    assert json.loads(carm("account", IMPORTER, "--json", "--to", "2025-05-05")[1])["balance"] == "0.00"
    code, _, err = carm("account", "100000009RM0001", "--json")
    assert code == 2 and "not registered" in err
    assert carm("account", IMPORTER, "--from", "2025-13-01")[0] == 2

    code, out, _ = carm("intake", "--as-of", "2025-05-06T10:00")  # nothing left: a human summary, still 0
    assert code == 0 and "0 file(s) answered" in out


def test_replay_recognises_processed_files_and_reanswers_them_identically(carm) -> None:  # noqa: ANN001
    registered(carm)
    data = edifact(cad())
    drop(carm, f"{SENDER}/one.edi", data)
    assert carm("intake", "--as-of", "2025-05-06T10:00")[0] == 0
    answers = carm.home / "buckets" / "outbound" / SENDER / "responses"
    first = {path.name: path.read_bytes() for path in answers.iterdir()}
    for path in answers.iterdir():
        path.unlink()
    digest = hashlib.sha256(data).hexdigest()
    code, out, _ = carm("replay", "--sha256", digest, "--json")
    assert code == 0 and json.loads(out)["already_processed"] == 1 and json.loads(out)["processed"] == 0
    assert list(answers.iterdir()) == []
    code, out, _ = carm("replay", "--date", "2025-05-06", "--reanswer", "--json")
    assert code == 0 and json.loads(out)["reanswered"] == 1
    assert {path.name: path.read_bytes() for path in answers.iterdir()} == first
    assert json.loads(carm("account", IMPORTER, "--json")[1])["postings"]  # posted once …
    before = json.loads(carm("account", IMPORTER, "--json")[1])
    assert carm("replay", "--sender", SENDER, "--reanswer")[0] == 0
    assert json.loads(carm("account", IMPORTER, "--json")[1]) == before  # … and never again
    assert carm("replay")[0] == 2  # no selection
    assert carm("replay", "--sha256", "xyz")[0] == 2
    archived = carm.home / "buckets" / "archive" / layout.archive_key(date(2025, 5, 6), digest)
    assert archived.read_bytes() == data


def test_db_upgrade_reports_the_revision(carm) -> None:  # noqa: ANN001
    from pipeline.ledger import head_revision

    code, out, _ = carm("db", "upgrade", "--json")
    assert code == 0 and json.loads(out)["revision"] == head_revision()


@pytest.mark.parametrize("number", ["123456789RM0001", "garbage", "123456782RT0001", "123456782", ""])
def test_account_of_a_number_that_is_no_bn15_import_account_says_it_is_invalid(carm, number: str) -> None:  # noqa: ANN001
    code, out, err = carm("account", number, "--json")
    assert code == 2 and out == ""
    assert "not a valid BN15 import account" in err and "not registered" not in err, err


def test_replay_help_says_the_run_is_dated_by_carm_as_of_unless_as_of_is_given() -> None:
    from typer.testing import CliRunner

    from pipeline.cli import build_app

    shown = CliRunner().invoke(build_app(), ["replay", "--help"], env={"COLUMNS": "200", "CARM_AS_OF": ""})
    assert shown.exit_code == 0
    assert "(default: CARM_AS_OF, else now)" in " ".join(shown.stdout.split())
