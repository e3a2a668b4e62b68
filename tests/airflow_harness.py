"""A real Airflow for tests: metadata migration, scheduler, DAG processor and API server in subprocesses.

``running_airflow(...)`` starts the three long-running components the way a deployment runs them (LocalExecutor,
PostgreSQL metadata database, the simple auth manager with a known user), waits until the API answers, and yields
an ``Airflow`` handle whose ``client`` speaks the stable REST API (v2) with a JWT from ``/auth/token``. On exit every
component's process group is terminated (then killed). Each component writes its output to
``$AIRFLOW_HOME/<component>.log``; ``Airflow.diagnostics()`` gathers those and the task logs for a failure message.

The test owns the databases: it passes the metadata URL in and drops the database afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.orchestration.airflow_api import FINISHED, AirflowApiError, AirflowClient

ROOT = Path(__file__).resolve().parent.parent
DAGS_FOLDER = ROOT / "dags"
AIRFLOW = Path(sys.executable).with_name("airflow")
USER, PASSWORD = "admin", "admin"
COMPONENTS = ("scheduler", "dag-processor", "api-server")


class AirflowError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def async_url(metadata_url: str) -> str:
    """The async twin of a metadata URL. Airflow would pick asyncpg for PostgreSQL, which is not installed; psycopg
    3 is both drivers in one."""
    scheme, rest = metadata_url.split(":", 1)
    if scheme.split("+")[0] == "postgresql":
        return f"postgresql+psycopg_async:{rest}"
    if scheme.split("+")[0] == "sqlite":
        return f"sqlite+aiosqlite:{rest}"
    return metadata_url


def airflow_environment(
    home: Path, metadata_url: str, port: int, *, dags_folder: Path = DAGS_FOLDER,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of every Airflow process: one home, one metadata DB, one shared secret, fast loops."""
    base_url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW__")}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": async_url(metadata_url),
        "AIRFLOW__API__BASE_URL": base_url,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__SECRET_KEY": "carm-integration-test",
        "AIRFLOW__API_AUTH__JWT_SECRET": "carm-integration-test-jwt-secret-0123456789",
        # Short loops: the test waits on the scheduler, not on idle sleeps.
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "300",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__CORE__FERNET_KEY": "",
        "PYTHONUNBUFFERED": "1",
        # Make the venv's console scripts (``airflow``) win whatever PATH the caller has.
        "PATH": f"{AIRFLOW.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    env.update(extra or {})
    return env


@dataclass
class Airflow:
    """A running Airflow: its processes, and its REST API through ``client``."""

    home: Path
    client: AirflowClient
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    # --- waiting ----------------------------------------------------------------------------------------------

    def wait_until_up(self, timeout: float) -> None:
        def answers() -> bool:
            self._check_alive()
            return self.client.healthy()

        _poll(answers, timeout, "the API server to answer", self)

    def wait_for_dags(self, dag_ids: set[str], timeout: float) -> None:
        def parsed() -> bool:
            self._check_alive()
            errors = self.client.import_errors()
            if errors:
                raise AirflowError("DAG import errors: " + json.dumps(errors, indent=1))
            return dag_ids <= self.client.dag_ids()

        _poll(parsed, timeout, f"the DAG processor to parse {sorted(dag_ids)}", self)

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        state: dict[str, str] = {}

        def finished() -> bool:
            self._check_alive()
            state["now"] = self.client.run(dag_id, run_id)["state"]
            return state["now"] in FINISHED

        _poll(finished, timeout, f"run {run_id} of {dag_id} to finish", self)
        return state["now"]

    def _check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AirflowError(f"the {name} exited with code {process.returncode}\n" + self.diagnostics())

    # --- diagnostics ------------------------------------------------------------------------------------------

    def run_report(self, dag_id: str, run_id: str) -> str:
        """Every task instance of the run with its state, and the log of each one that did not succeed."""
        parts = [f"run {run_id} of {dag_id}:"]
        try:
            instances = self.client.task_instances(dag_id, run_id)
        except AirflowApiError as exc:
            return f"{parts[0]} cannot list task instances ({exc})"
        for ti in sorted(instances, key=lambda t: (t["task_id"], t["map_index"])):
            label = ti.get("rendered_map_index") or ti["map_index"]
            parts.append(f"  {ti['task_id']}[{label}]: {ti['state']} (try {ti['try_number']})")
        for ti in instances:
            if ti["state"] not in ("success", "skipped"):
                try:
                    log = self.client.task_log(dag_id, run_id, ti["task_id"], map_index=ti["map_index"],
                                               try_number=max(ti["try_number"], 1))
                except AirflowApiError as exc:
                    log = f"(no log: {exc})"
                parts.append(f"--- log of {ti['task_id']}[{ti['map_index']}] ---\n{log[-6000:]}")
        return "\n".join(parts)

    def diagnostics(self) -> str:
        parts = []
        for name in COMPONENTS:
            path = self.home / f"{name}.log"
            if path.exists():
                parts.append(f"--- last lines of {name}.log ---\n" + "\n".join(path.read_text(errors="replace")
                                                                                .splitlines()[-40:]))
        return "\n".join(parts)

    # --- processes --------------------------------------------------------------------------------------------

    def stop(self) -> None:
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            # The group, not just the leader: the executor's workers and the API server's workers too.
            _signal_group(process, signal.SIGKILL)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def _signal_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _poll(condition, timeout: float, what: str, airflow: Airflow) -> None:  # noqa: ANN001 - a predicate
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() > deadline:
            raise AirflowError(f"timed out after {timeout:.0f} s waiting for {what}\n" + airflow.diagnostics())
        time.sleep(1)


def migrate(env: Mapping[str, str], home: Path, timeout: float = 180) -> None:
    """``airflow db migrate`` on the metadata database."""
    log = home / "db-migrate.log"
    with log.open("wb") as out:
        code = subprocess.call([str(AIRFLOW), "db", "migrate"], env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                               timeout=timeout, cwd=home)
    if code != 0:
        raise AirflowError(f"airflow db migrate failed ({code}):\n{log.read_text(errors='replace')[-4000:]}")


@contextmanager
def running_airflow(
    home: Path, metadata_url: str, *, dags_folder: Path = DAGS_FOLDER, extra_env: Mapping[str, str] | None = None,
    startup_timeout: float = 120,
) -> Iterator[Airflow]:
    """Migrate the metadata database, start scheduler, DAG processor and API server, and yield the handle."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = airflow_environment(home, metadata_url, port, dags_folder=dags_folder, extra=extra_env)
    # A known password for the known user, so the test (and a person) can log in.
    (home / "passwords.json").write_text(json.dumps({USER: PASSWORD}) + "\n")
    migrate(env, home)
    airflow = Airflow(home=home, client=AirflowClient(f"http://127.0.0.1:{port}", USER, PASSWORD), env=env)
    try:
        for name in COMPONENTS:
            args = [str(AIRFLOW), name] + (["--port", str(port), "--host", "127.0.0.1"] if name == "api-server" else [])
            out = (home / f"{name}.log").open("wb")
            airflow.processes[name] = subprocess.Popen(
                args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=home, start_new_session=True,
            )
            out.close()  # the child holds its own descriptor
        airflow.wait_until_up(startup_timeout)
        yield airflow
    finally:
        airflow.stop()
