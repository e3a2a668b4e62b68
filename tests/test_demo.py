"""``carm demo``: the whole period runs on embedded defaults and leaves every output where it says."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import build_app
from pipeline.demo import run_demo


def test_the_demo_period_is_answered_billed_and_reconciled(tmp_path):
    report = run_demo(tmp_path, cads=40, seed=7)
    summary = report.as_json()
    outbound = Path(report.home) / "buckets" / "outbound"

    assert summary["files"] > 0 and summary["declarations"]["accepted"] > 0
    answered = {p.name for p in outbound.glob("*/responses/*")}
    inbound_files = [p for p in (Path(report.home) / "buckets" / "inbound").glob("SP*/*")]
    for submitted in inbound_files:
        assert any(name.startswith(submitted.name + ".") for name in answered), submitted.name

    statements = summary["close_period"]["statements"]
    assert statements
    for statement in statements:
        folder = outbound / "importers" / statement["importer"] / "statements"
        assert {p.suffix for p in folder.glob("2025-06.*")} == {".xml", ".csv", ".pdf"}
    assert summary["close_period"]["reconciliation"]["differences"] == []
    assert (outbound / "finance" / "2025-06" / "reconciliation.html").is_file()
    assert summary["daily_notices"] > 0
    assert summary["payments"]["loaded"] > 0


def test_the_demo_command_prints_where_to_look(tmp_path):
    result = CliRunner().invoke(build_app(), ["demo", "--cads", "20", "--seed", "3"], env={"CARM_HOME": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "Where to look" in result.output and "reconciliation" in result.output
    assert (tmp_path / "demo" / "carm.db").is_file()


def test_the_summary_accounts_for_every_cad_and_shows_the_statements_figures(tmp_path):
    import shlex
    from decimal import Decimal

    report = run_demo(tmp_path, cads=60, seed=11)
    summary = report.as_json()
    counted = sum(summary["declarations"].values())
    assert summary["generated"] == 60
    # Every generated CAD is accounted for: read and judged, or inside a file rejected whole.
    unread = summary["generated"] - counted
    assert unread == 0 or any(code.startswith("S") for code in summary["rejected_by_code"])

    # The summary's figures are the statements' and the reconciliation page's.
    statements_total = sum(
        Decimal(amount) for statement in summary["close_period"]["statements"] for amount in statement["charges"].values()
    ) + sum(Decimal(s["corrections"]) + Decimal(s["adjustments"]) for s in summary["close_period"]["statements"])
    assert sum(Decimal(amount) for amount in summary["charges"].values()) == statements_total
    page = (Path(report.home) / "buckets/outbound/finance/2025-06/reconciliation.html").read_text()
    assert f"Total {statements_total:,}:" in page

    # The commands it prints work as printed.
    runner = CliRunner()
    for line in summary["explore"]:
        if not line.startswith("CARM_HOME="):
            continue
        words = shlex.split(line.split("#")[0])
        home = words[0].removeprefix("CARM_HOME=")
        result = runner.invoke(build_app(), words[2:], env={"CARM_HOME": home, "CARM_DB_URL": ""})
        assert result.exit_code == 0, (line, result.output)
