"""The DAG files load in Airflow without errors, have the designed shape, and stay cheap to parse.

Airflow is run in subprocesses with a throw-away AIRFLOW_HOME: importing it configures logging and settings
process-wide, which must not leak into the rest of the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DAGS = ROOT / "dags"
DAG_IDS = {"carm_intake", "carm_daily_notices", "carm_close_period", "carm_payments", "carm_fx_rates"}
HEAVY = ("pandas", "numpy", "sqlalchemy", "lxml", "boto3", "botocore", "pydifact", "psycopg", "alembic", "fpdf")
#: The only parts of our package a DAG file may import at parse time: constants, standard library only.
PARSE_TIME_PIPELINE = {"pipeline", "pipeline.orchestration", "pipeline.orchestration.defaults"}

PROBE = r"""
import json, runpy, sys
from pathlib import Path

# What parsing the DAG files adds to what Airflow itself loads (Airflow imports SQLAlchemy for its own use).
import airflow.sdk
before = set(sys.modules)
added = {}
for path in sorted(Path(sys.argv[1]).glob("*.py")):
    seen = set(sys.modules)
    runpy.run_path(str(path))
    added[path.name] = sorted(set(sys.modules) - seen)
imported = sorted(set(sys.modules) - before)

from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable
from airflow.sdk.definitions.mappedoperator import MappedOperator

bag = DagBag(dag_folder=sys.argv[1])

def schedule(timetable):
    if isinstance(timetable, AssetOrTimeSchedule):
        assets = [a.name for a in timetable.asset_condition.objects]
        return {**schedule(timetable.timetable), "kind": "asset-or-time", "assets": sorted(assets)}
    if isinstance(timetable, CronTriggerTimetable):
        tz = timetable.timezone
        return {"kind": "cron", "cron": timetable.expression, "timezone": getattr(tz, "name", str(tz))}
    return {"kind": type(timetable).__name__}

dags = {}
for dag in bag.dags.values():
    dags[dag.dag_id] = {
        "schedule": schedule(dag.timetable),
        "max_active_runs": dag.max_active_runs,
        "catchup": dag.catchup,
        "start_date": str(dag.start_date) if dag.start_date else None,
        "params": sorted(dag.params.keys()),
        "tasks": {
            t.task_id: {
                "mapped": isinstance(t, MappedOperator),
                "trigger_rule": str(getattr(t.trigger_rule, "value", t.trigger_rule)),
                "retries": t.retries,
                "backoff": float(t.retry_exponential_backoff),
                "retry_delay": t.retry_delay.total_seconds(),
                "upstream": sorted(t.upstream_task_ids),
                "map_index_template": getattr(t, "map_index_template", None),
                "display_name": t.task_display_name,
            }
            for t in dag.tasks
        },
    }
result = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": dags,
          "imported": imported, "added": added}
print("JSON:" + json.dumps(result))
"""


def airflow_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False", AIRFLOW__CORE__UNIT_TEST_MODE="False")
    return env


def run_json(args: list[str], home: Path) -> object:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=airflow_env(home), cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next((line for line in done.stdout.splitlines() if line.startswith("JSON:")), None)
    assert line is not None, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(line.removeprefix("JSON:"))


@pytest.fixture(scope="module")
def described(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One fresh interpreter: the DAG files run one after the other, then the folder is loaded as a DagBag."""
    return run_json(["-c", PROBE, str(DAGS)], tmp_path_factory.mktemp("airflow-home"))


def test_the_dag_folder_loads_without_import_errors(described: dict) -> None:
    assert described["errors"] == {}
    assert set(described["dags"]) == DAG_IDS


def test_intake_fans_out_per_batch_and_reports_even_when_a_batch_fails(described: dict) -> None:
    intake = described["dags"]["carm_intake"]
    assert intake["schedule"] == {"kind": "asset-or-time", "assets": ["carm_inbound_declarations"],
                                  "cron": "*/5 * * * *", "timezone": "America/Toronto"}
    assert intake["max_active_runs"] == 1 and intake["catchup"] is False
    assert intake["params"] == ["as_of"]
    tasks = intake["tasks"]
    assert set(tasks) == {"discover_inbound_files", "process_batch", "summarize_run", "fail_if_a_batch_failed"}
    assert tasks["process_batch"]["mapped"] is True
    assert tasks["process_batch"]["map_index_template"] == "{{ batch_label }}"
    assert tasks["process_batch"]["upstream"] == ["discover_inbound_files"]
    assert tasks["discover_inbound_files"]["mapped"] is False
    # Whatever became of the batches, once discovery succeeded (and skipped when nothing was pending).
    assert tasks["summarize_run"]["trigger_rule"] == "all_done_min_one_success"
    assert tasks["summarize_run"]["upstream"] == ["discover_inbound_files", "process_batch"]
    # The watcher: the run shows failed when a batch failed, although the summary ran.
    assert tasks["fail_if_a_batch_failed"]["trigger_rule"] == "one_failed"
    assert tasks["fail_if_a_batch_failed"]["upstream"] == ["process_batch", "summarize_run"]


def test_billing_dags_run_on_the_billing_calendar(described: dict) -> None:
    dags = described["dags"]
    assert dags["carm_daily_notices"]["schedule"] == {"kind": "cron", "cron": "30 0 * * *",
                                                      "timezone": "America/Toronto"}
    assert list(dags["carm_daily_notices"]["tasks"]) == ["issue_daily_notices"]
    # The period ends on the 17th; it is closed the next morning.
    assert dags["carm_close_period"]["schedule"] == {"kind": "cron", "cron": "0 6 18 * *",
                                                     "timezone": "America/Toronto"}
    assert dags["carm_close_period"]["params"] == ["as_of", "period"]
    assert dags["carm_payments"]["schedule"] == {"kind": "asset-or-time", "assets": ["carm_inbound_payments"],
                                                 "cron": "15 * * * *", "timezone": "America/Toronto"}
    for dag_id in DAG_IDS:
        assert dags[dag_id]["max_active_runs"] == 1 and dags[dag_id]["catchup"] is False
        # No start date: unpausing a DAG then waits for its next tick instead of running the last one at once
        # (which, for the close, would close the current month's period ahead of the one being caught up).
        assert dags[dag_id]["start_date"] is None, dag_id


def test_exchange_rates_are_fetched_after_the_banks_publication_on_weekdays(described: dict) -> None:
    fx = described["dags"]["carm_fx_rates"]
    # The Bank publishes around 16:30 Eastern on business days; holidays are handled by the task.
    assert fx["schedule"] == {"kind": "cron", "cron": "0 17 * * 1-5", "timezone": "America/Toronto"}
    assert fx["params"] == ["day"]
    assert list(fx["tasks"]) == ["fetch_fx_rates"]


def test_every_working_task_retries_with_exponential_backoff(described: dict) -> None:
    for dag_id, dag in described["dags"].items():
        for task_id, task in dag["tasks"].items():
            if task_id == "fail_if_a_batch_failed":
                assert task["retries"] == 0  # it only reports; retrying it cannot change anything
                continue
            assert (task["retries"], task["backoff"], task["retry_delay"]) == (3, 2.0, 60.0), (dag_id, task_id)
            assert task["display_name"] and task["display_name"] != task_id, (dag_id, task_id)


def test_parsing_the_dag_files_imports_no_heavy_library(described: dict) -> None:
    assert set(described["added"]) == {f"{d}.py" for d in DAG_IDS}  # every file was parsed
    heavy = sorted(m for m in described["imported"] if m.split(".")[0] in HEAVY)
    assert heavy == []
    ours = {m for m in described["imported"] if m == "pipeline" or m.startswith("pipeline.")}
    assert ours <= PARSE_TIME_PIPELINE, sorted(ours - PARSE_TIME_PIPELINE)


def test_the_dag_folder_holds_the_dag_files_only() -> None:
    # Anything else in dags/ would be parsed by the DAG processor on every loop.
    assert sorted(p.name for p in DAGS.glob("*.py")) == sorted(f"{d}.py" for d in DAG_IDS)
