"""``carm payments``, ``carm notices`` and ``carm close-period`` from the command line: JSON on stdout and
nothing else, human summaries saying where each output is, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.billing import close_period
from pipeline.cli import build_app
from pipeline.ledger import engine_for, upgrade
from pipeline.runtime import open_runtime
from tests.billing_usecase_helpers import LedgerScript, payments_csv

A = "123456782RM0001"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A CARM_HOME with a ledger holding one importer and one CAD of period 2025-06."""
    for variable in ("CARM_DB_URL", "CARM_INBOUND_URL", "CARM_OUTBOUND_URL", "CARM_ARCHIVE_URL", "CARM_AS_OF",
                     "CARM_REFDATA_DIR", "CARM_INTEREST_WAIVER_UNTIL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("CARM_HOME", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'carm.db'}"
    upgrade(url)
    engine = engine_for(url)
    script = LedgerScript(engine)
    script.importer(A, "Maple Imports Ltd", security="5000.00")
    script.cad(A, "10207000000401", 1, accepted_on=date(2025, 6, 2), period="2025-06", due=date(2025, 7, 2),
               postings={"customs_duty": "92.00", "gst": "62.10"}, lines={"customs_duty": "92.00", "gst": "62.10"})
    engine.dispose()
    return tmp_path


def carm(*args: str):  # noqa: ANN201
    return CliRunner().invoke(build_app(), list(args))


def test_payments_notices_and_close_period_as_json(home: Path) -> None:
    payments = home / "payments.csv"
    payments.write_bytes(payments_csv(("P-1", A, "100.00", "2025-06-03T10:00:00-04:00", "eft")))
    loaded = carm("payments", str(payments), "--json", "--as-of", "2025-06-04")
    assert loaded.exit_code == 0, loaded.output
    document = json.loads(loaded.stdout)
    assert (document["loaded"], document["applied"], document["credit"]) == (1, "100.00", "0.00")
    assert document["payments"] == [{"payment_id": "P-1", "importer": A, "amount": "100.00", "effective_date": "2025-06-03"}]

    notices = carm("notices", "--date", "2025-06-02", "--json")
    assert notices.exit_code == 0, notices.output
    assert json.loads(notices.stdout)["importers"] == [{
        "importer": A, "key": f"importers/{A}/daily-notices/2025-06-02.xml", "postings": 2, "total": "154.10",
    }]
    assert (home / "buckets" / "outbound" / "importers" / A / "daily-notices" / "2025-06-02.xml").is_file()

    closed = carm("close-period", "--period", "2025-06", "--json", "--as-of", "2025-06-25", "--pdf-workers", "1")
    assert closed.exit_code == 0, closed.output
    result = json.loads(closed.stdout)
    assert list(result) == ["period", "start", "end", "statement_date", "due_date", "statements", "security_review",
                            "reconciliation"]
    assert (result["start"], result["end"], result["statement_date"], result["due_date"]) == (
        "2025-05-18", "2025-06-17", "2025-06-25", "2025-07-02"
    )
    assert result["statements"][0]["closing_balance"] == "54.10"
    assert result["security_review"] == [] and result["reconciliation"] == {"differences": []}
    for ext in ("xml", "csv", "pdf"):
        assert (home / "buckets" / "outbound" / "importers" / A / "statements" / f"2025-06.{ext}").is_file()


def test_human_summaries_say_where_the_outputs_are(home: Path) -> None:
    closed = carm("close-period", "--period", "2025-06", "--as-of", "2025-06-25", "--pdf-workers", "1")
    assert closed.exit_code == 0, closed.output
    assert "statements/2025-06.xml | .csv | .pdf" in closed.stdout
    assert "finance/2025-06/reconciliation.csv | .html" in closed.stdout and "No differences" in closed.stdout
    again = carm("close-period", "--period", "2025-06", "--as-of", "2025-07-01", "--pdf-workers", "1")
    assert "already closed" in again.stdout
    quiet = carm("notices", "--date", "2025-06-14")
    assert quiet.exit_code == 0 and "no daily notice" in quiet.stdout


def test_exit_codes(home: Path) -> None:
    bad = home / "bad.csv"
    bad.write_bytes(payments_csv(("P-1", A, "1.00", "2025-06-03T10:00:00-04:00", "eft"),
                                 ("P-2", A, "lots", "2025-06-03T10:00:00-04:00", "eft")))
    partly = carm("payments", str(bad), "--as-of", "2025-06-04")
    assert partly.exit_code == 1 and "row 3, column amount" in partly.stdout
    assert carm("payments", str(home / "missing.csv")).exit_code == 2
    assert carm("close-period", "--period", "2025-13", "--as-of", "2025-06-25").exit_code == 2
    assert carm("close-period", "--period", "2025-06", "--as-of", "2025-06-10").exit_code == 2
    assert carm("notices", "--date", "June 2").exit_code == 2


def test_close_period_refuses_to_skip_a_period(home: Path) -> None:
    assert carm("close-period", "--period", "2025-06", "--as-of", "2025-09-25", "--pdf-workers", "1").exit_code == 0
    gap = carm("close-period", "--period", "2025-08", "--as-of", "2025-09-25", "--pdf-workers", "1")
    assert gap.exit_code == 2 and "period 2025-07 is not closed yet" in gap.output
    assert "close 2025-07 before 2025-08" in gap.output
    assert carm("close-period", "--period", "2025-07", "--as-of", "2025-09-25", "--pdf-workers", "1").exit_code == 0
    assert carm("close-period", "--period", "2025-08", "--as-of", "2025-09-25", "--pdf-workers", "1").exit_code == 0


def test_close_period_acts_at_carm_as_of_when_as_of_is_not_given(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARM_AS_OF", "2025-06-20")
    earlier = carm("close-period", "--json", "--as-of", "2025-06-10", "--pdf-workers", "1")  # the option wins
    assert earlier.exit_code == 0, earlier.output
    assert json.loads(earlier.stdout)["period"] == "2025-05"
    closed = carm("close-period", "--pdf-workers", "1")
    assert closed.exit_code == 0, closed.output
    assert "Closing period 2025-06, the last one that has ended" in closed.output


def test_close_period_defaults_to_the_last_period_that_has_ended(home: Path) -> None:
    closed = carm("close-period", "--as-of", "2025-06-20", "--pdf-workers", "1")
    assert closed.exit_code == 0, closed.output
    assert "Closing period 2025-06, the last one that has ended" in closed.output
    as_json = carm("close-period", "--json", "--as-of", "2025-06-30", "--pdf-workers", "1")
    assert json.loads(as_json.stdout)["period"] == "2025-06"


def test_close_period_takes_carm_interest_waiver_until_and_closes_as_the_dag_does(
    home: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The 154.10 of period 2025-06 is due 2025-07-02 and never paid: with the waiver over on 2025-01-01, period
    # 2025-07 (2025-06-18 .. 2025-07-17) bears interest from 2025-07-03; with the default waiver (2026-01-31), none.
    dag_home = tmp_path_factory.mktemp("dag") / "home"
    shutil.copytree(home, dag_home)  # the same ledger, for the close the carm_close_period DAG task makes
    monkeypatch.setenv("CARM_INTEREST_WAIVER_UNTIL", "2025-01-01")
    closed = carm("close-period", "--period", "2025-07", "--json", "--as-of", "2025-07-25", "--pdf-workers", "1")
    assert closed.exit_code == 0, closed.output
    by_cli = json.loads(closed.stdout)
    assert by_cli["statements"][0]["interest"] not in ("0.00", None)

    monkeypatch.setenv("CARM_HOME", str(dag_home))
    runtime = open_runtime()  # as the DAG task does: close(open_runtime(), period, as_of=…, pdf_workers=1)
    try:
        by_dag = close_period(runtime, "2025-07", as_of="2025-07-25", pdf_workers=1)
    finally:
        runtime.engine.dispose()
    assert by_dag.as_json() == by_cli


def test_waiver_until_option_wins_over_carm_interest_waiver_until(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARM_INTEREST_WAIVER_UNTIL", "2025-01-01")
    closed = carm("close-period", "--period", "2025-07", "--json", "--as-of", "2025-07-25", "--pdf-workers", "1",
                  "--waiver-until", "2026-01-31")
    assert closed.exit_code == 0, closed.output
    assert json.loads(closed.stdout)["statements"][0]["interest"] == "0.00"


def test_a_malformed_carm_interest_waiver_until_stops_the_close_naming_the_variable(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARM_INTEREST_WAIVER_UNTIL", "31/01/2026")
    refused = carm("close-period", "--period", "2025-06", "--as-of", "2025-06-25", "--pdf-workers", "1")
    assert refused.exit_code == 2
    assert "CARM_INTEREST_WAIVER_UNTIL='31/01/2026': expected a date YYYY-MM-DD" in refused.output
    assert not (home / "buckets" / "outbound" / "importers").exists()  # nothing closed
    wrong_option = carm("close-period", "--period", "2025-06", "--waiver-until", "Jan 31")
    assert wrong_option.exit_code == 2 and "--waiver-until 'Jan 31': expected a date YYYY-MM-DD" in wrong_option.output


def test_close_period_help_names_the_variable_behind_the_waiver_default() -> None:
    shown = CliRunner().invoke(build_app(), ["close-period", "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    assert "Default: CARM_INTEREST_WAIVER_UNTIL, else 2026-01-31" in " ".join(shown.stdout.split())
