"""``make airflow`` (scripts/airflow_local.py) as a user runs it: every carm DAG unpaused once the API answers,
a quiet console, and no Airflow process left behind however the script is stopped.

The script runs on a free port with a temporary ``CARM_AIRFLOW_HOME`` (SQLite metadata, the demo data). The
first test waits until the script says it is ready, checks through the REST API that every DAG of ``dags/`` is
unpaused (or, for the close, left paused with the reason printed), checks that the console holds only the
script's own lines, then sends SIGTERM and expects every process of Airflow's session gone within 30 s. The
second SIGKILLs the script (nothing of it can clean up) and expects the watchdog to stop Airflow. About 2 to 3
minutes on 2 cores.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipeline.orchestration.airflow_api import AirflowClient
from pipeline.orchestration.process_session import session_members
from tests.airflow_harness import PASSWORD, USER, free_port

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "airflow_local.py"
READY_TIMEOUT = 300
STOPPED_WITHIN = 30.0


@dataclass
class Local:
    """The script running, its console read line by line."""

    process: subprocess.Popen
    home: Path
    port: int
    console: list[str] = field(default_factory=list)

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.console.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.console):
                if found := re.search(pattern, line):
                    return found
            assert self.process.poll() is None, "the script exited:\n" + self.text()
            time.sleep(0.5)
        raise AssertionError(f"no line matching {pattern!r} within {timeout:.0f} s:\n{self.text()}")

    def text(self) -> str:
        log = self.home / "airflow.log"
        tail = log.read_text(errors="replace").splitlines()[-30:] if log.exists() else []
        return "\n".join(self.console) + "\n--- airflow.log (last lines) ---\n" + "\n".join(tail)

    def airflow_session(self) -> int:
        return int(self.wait_for(r"starting Airflow \(pid (\d+)\)", 120).group(1))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Airflow home for the module: the second start reuses the metadata and the demo data."""
    return tmp_path_factory.mktemp("airflow-local") / "home"


def start(home: Path) -> Local:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CARM_", "AIRFLOW"))}
    env.update({"CARM_AIRFLOW_HOME": str(home), "CARM_AIRFLOW_PORT": str(port), "PYTHONUNBUFFERED": "1"})
    process = subprocess.Popen([sys.executable, str(SCRIPT)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    local = Local(process, home, port)
    threading.Thread(target=local.read, daemon=True).start()
    return local


@pytest.fixture
def local(home: Path) -> Iterator[Local]:
    running = start(home)
    yield running
    if running.process.poll() is None:  # a failed test: leave nothing behind
        running.process.send_signal(signal.SIGTERM)
        running.process.wait(timeout=60)


def gone_within(session: int, seconds: float) -> list[int]:
    """The processes of ``session`` still alive after ``seconds`` (empty as soon as there are none)."""
    deadline = time.monotonic() + seconds
    while (left := session_members(session)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def dag_ids_of_the_project() -> set[str]:
    return {found for path in (ROOT / "dags").glob("*.py")
            for found in re.findall(r'dag_id="(carm_\w+)"', path.read_text(encoding="utf-8"))}


def test_every_dag_is_unpaused_the_console_stays_quiet_and_sigterm_stops_all_of_airflow(local: Local) -> None:
    session = local.airflow_session()
    local.wait_for(r"ready after \d+ s", READY_TIMEOUT)
    time.sleep(3)  # the table follows the ready line

    client = AirflowClient(f"http://127.0.0.1:{local.port}", USER, PASSWORD)
    dags = {d["dag_id"]: d for d in client.api("GET", "/dags?limit=100")["dags"]}
    expected = dag_ids_of_the_project()
    assert expected <= set(dags), sorted(dags)
    console = "\n".join(local.console)
    for dag_id in expected:
        row = next((line for line in local.console if line.startswith(f"[carm] {dag_id} ")), None)
        assert row is not None, f"{dag_id} missing from the table:\n{console}"
        if dags[dag_id]["is_paused"]:  # only the close, and only when its scheduled run is due, saying so
            assert dag_id == "carm_close_period" and "left paused: " in row, row
        else:
            assert " unpaused " in row, row

    # Quiet: only the script's own short lines; Airflow's output is in its log.
    lines = [line for line in local.console if line.strip()]
    assert all(line.startswith("[carm] ") for line in lines), console
    assert len(lines) < 40, console
    assert "scheduler" in (local.home / "airflow.log").read_text(errors="replace")
    assert any(f"{local.home / 'airflow.log'}" in line for line in lines), console

    assert session_members(session), "Airflow is not running"
    sent = time.monotonic()
    local.process.send_signal(signal.SIGTERM)
    assert local.process.wait(timeout=STOPPED_WITHIN + 15) == 0
    left = gone_within(session, max(1.0, STOPPED_WITHIN - (time.monotonic() - sent)))
    assert not left, f"still running {time.monotonic() - sent:.0f} s after SIGTERM: {left}\n{local.text()}"
    stopped = next(line for line in local.console if line.startswith("[carm] Airflow stopped"))
    # SIGTERM reaches every process: standalone, which does not handle it, never waits for the SIGKILL.
    assert "airflow standalone" not in stopped, stopped


def test_airflow_dies_with_the_script_when_the_script_is_killed(local: Local) -> None:
    session = local.airflow_session()
    # Wait until standalone has started its four components, so there is something to leave behind.
    deadline = time.monotonic() + READY_TIMEOUT
    while len(session_members(session)) < 5:
        assert time.monotonic() < deadline and local.process.poll() is None, local.text()
        time.sleep(1)

    local.process.send_signal(signal.SIGKILL)
    local.process.wait(timeout=10)
    left = gone_within(session, STOPPED_WITHIN)
    assert not left, f"Airflow outlived the killed script by {STOPPED_WITHIN:.0f} s: {left}\n{local.text()}"
