"""``carm account`` as a finance clerk uses it: the number typed as people write it, the importer's name, the
opening balance of a --from window, amounts with thousands separated, and a plain error (never an empty new
ledger) when CARM_HOME points where no ledger is."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import build_app
from tests.model_samples import IMPORTER, SENDER
from tests.test_cli_intake import drop, registered
from tests.test_intake_support import cad, edifact


def _posted(carm) -> dict:  # noqa: ANN001
    registered(carm)
    drop(carm, f"{SENDER}/one.edi", edifact(cad()))
    assert carm("intake", "--as-of", "2025-05-06T10:00")[0] == 0
    drop(carm, f"{SENDER}/two.edi", edifact(cad(number="10207000220870", value="9000.00"), reference="ICR000018"))
    assert carm("intake", "--as-of", "2025-05-08T10:00")[0] == 0
    code, out, err = carm("account", IMPORTER, "--json")
    assert code == 0, err
    return json.loads(out)


def test_the_number_may_be_typed_in_lower_case_and_with_spaces(carm) -> None:  # noqa: ANN001
    whole = _posted(carm)
    typed = f"{IMPORTER[:9]} {IMPORTER[9:11].lower()} {IMPORTER[11:]}"
    code, out, err = carm("account", typed, "--json")
    assert code == 0, err
    assert json.loads(out) == whole


def test_the_account_names_the_importer_and_the_opening_balance_of_a_window(carm) -> None:  # noqa: ANN001
    whole = _posted(carm)
    assert whole["name"]
    assert len({p["date"] for p in whole["postings"]}) == 2
    window = json.loads(carm("account", IMPORTER, "--json", "--from", "2025-05-07")[1])
    before = sum(Decimal(p["amount"]) for p in whole["postings"] if p["date"] < "2025-05-07")
    assert Decimal(window["opening_balance"]) == before > 0
    assert Decimal(window["opening_balance"]) + sum(Decimal(p["amount"]) for p in window["postings"]) == Decimal(
        window["balance"]
    )
    code, out, _ = carm("account", IMPORTER, "--from", "2025-05-07")
    assert code == 0 and whole["name"] in out and "Opening balance before 2025-05-07" in out


def test_human_amounts_have_thousands_separated(carm) -> None:  # noqa: ANN001
    whole = _posted(carm)
    code, out, _ = carm("account", IMPORTER)
    balance = Decimal(whole["balance"])
    assert balance >= 1000
    assert f"{balance:,.2f}" in out


def test_a_home_without_a_ledger_is_said_plainly_and_left_empty(tmp_path: Path) -> None:
    home = tmp_path / "nowhere"
    result = CliRunner().invoke(build_app(), ["account", IMPORTER], env={"CARM_HOME": str(home), "CARM_DB_URL": ""})
    assert result.exit_code == 2
    assert "no ledger database at" in result.stderr and "CARM_HOME=var/demo" in result.stderr
    assert not (home / "carm.db").exists()
