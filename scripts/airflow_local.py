"""``make airflow``: a local Airflow running the CARM DAGs on demo data, to watch the runs in the UI.

    .venv/bin/python scripts/airflow_local.py [--fresh]

- Airflow home: ``var/airflow`` (``airflow.cfg``, logs). Metadata database: SQLite in that folder, or the
  database of ``CARM_AIRFLOW_DB_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/airflow``).
- CARM home: ``var/airflow/carm``: local buckets (``buckets/inbound`` …) and a SQLite ledger, unless
  ``CARM_DB_URL`` / ``CARM_*_URL`` say otherwise (``s3://`` buckets need ``AWS_ENDPOINT_URL`` or real AWS).
- Demo data: on first start (or with ``--fresh``, which wipes ``var/airflow``), a generated world is registered
  in the ledger and the last three business days of the demo period are dropped in the inbound bucket, EDIFACT
  and XML, a few faulty. ``CARM_AS_OF`` is set to the end of that period, so acceptance dates, postings and
  notices fall in it.
- ``airflow standalone`` on http://localhost:8080 (``CARM_AIRFLOW_PORT``), login **admin / admin** (simple auth
  manager; the password file is written before start, so the login is always the same).
- Airflow's own output goes to ``var/airflow/airflow.log``; the console shows the script's short lines (and the
  last lines of that log if Airflow exits with an error).
- Once the API answers and the DAG processor has parsed every DAG of ``dags/``, every ``carm_*`` DAG is
  unpaused, an event on the inbound asset wakes intake up (as a producer would after an upload), and a table of
  the DAGs, their state and their next scheduled run is printed. A calendar DAG (notices, close, exchange rates)
  whose scheduled run is already due would start at once on unpause, on the real calendar, not the demo's: it
  is left paused and the table says why (an automatic close of the real last period would keep the demo's
  period from ever being closed, since periods close in order).
- Stop with Ctrl-C, ``kill <pid>`` (SIGTERM) or by closing the terminal (SIGHUP): every process of Airflow's
  session gets SIGTERM, then SIGKILL after 20 s. If the script itself is killed outright, a watchdog
  (``pipeline.orchestration.process_session``) stops Airflow.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout: the package is importable either way

from pipeline.orchestration.airflow_api import AirflowApiError, AirflowClient  # noqa: E402
from pipeline.orchestration.defaults import INBOUND_ASSET  # noqa: E402
from pipeline.orchestration.process_session import start_watchdog, stop_session  # noqa: E402

USER = PASSWORD = "admin"
DEMO_DAYS = 3
DEMO_CADS = 240
#: Calendar DAGs left paused when their scheduled run is already due, and why (see ``unpause``).
HELD_WHEN_DUE = {"carm_close_period": "it would close the real calendar's last period over the demo's postings, "
                 "and the demo's period could then never be closed (periods close in order)"}
#: How long to wait for the API and the DAG processor before giving up on unpausing (seconds).
UNPAUSE_TIMEOUT = 300
LOG_TAIL = 25
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stop(Exception):  # noqa: N818 - a request, not an error
    """A stop signal arrived (Ctrl-C, SIGTERM, SIGHUP)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)


def say(text: str) -> None:
    """One line of the script's own, on the console; a closed terminal (after SIGHUP) is not an error."""
    try:
        print(f"[carm] {text}", flush=True)
    except OSError:
        pass


def carm_dag_ids() -> set[str]:
    """The DAG ids declared in ``dags/`` (what the DAG processor must have parsed before unpausing)."""
    found: set[str] = set()
    for path in (ROOT / "dags").glob("*.py"):
        found.update(re.findall(r"dag_id=\"(carm_\w+)\"", path.read_text(encoding="utf-8")))
    return found


def async_url(url: str) -> str:
    """Airflow's async twin of the metadata URL (it would pick asyncpg, which is not installed)."""
    scheme, rest = url.split(":", 1)
    base = scheme.split("+")[0]
    return {"postgresql": f"postgresql+psycopg_async:{rest}", "sqlite": f"sqlite+aiosqlite:{rest}"}.get(base, url)


def demo_moments(period: str) -> tuple[list[date], str, str]:
    """The demo's business days (the last ones of the period), the moment intake acts at (the last day, 17:00)
    and the moment the period is closed (the next morning)."""
    from pipeline.billing import period_bounds
    from pipeline.generate import business_days

    start, end = period_bounds(period)
    days = [d for d in business_days(start, 40) if d <= end][-DEMO_DAYS:]
    at = "%Y-%m-%dT%H:%M"
    return (days, datetime.combine(days[-1], clock_time(17, 0)).strftime(at),
            datetime.combine(end + timedelta(days=1), clock_time(6, 0)).strftime(at))


def seed_demo_data(carm_env: dict[str, str], days: list[date]) -> int:
    """Register a generated world and drop its files in the inbound bucket (once); the number of files."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from pipeline.config import Settings
    from pipeline.demo import DEMO_SEED
    from pipeline.generate import generate_submissions
    from pipeline.ledger import Provider, save_registry
    from pipeline.runtime import open_runtime

    runtime = open_runtime(Settings.from_env(carm_env))
    try:
        with Session(runtime.engine) as session:
            if session.scalar(select(func.count()).select_from(Provider)):
                return 0  # seeded before: Airflow picks up where it was
        batch = generate_submissions(
            cads=DEMO_CADS, seed=DEMO_SEED, reference=runtime.reference, start=days[0], days=len(days),
            format="mixed", invalid_rate=0.05, providers=3, cads_per_file=8, amend_rate=0.02,
        )
        with Session(runtime.engine) as session, session.begin():
            save_registry(session, batch.registry)
        for generated in batch.files:
            runtime.buckets.inbound.write(generated.path, generated.data)
        return len(batch.files)
    finally:
        runtime.engine.dispose()


def wake_up(client: AirflowClient, process: subprocess.Popen, files: int, started: float,
            stopping: threading.Event) -> None:
    """Once the API answers and every carm DAG is parsed: unpause them, wake intake up, print the table."""
    expected = carm_dag_ids()
    deadline = time.monotonic() + UNPAUSE_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None and not stopping.is_set():
        try:
            if client.healthy() and expected <= client.dag_ids():
                now = datetime.now(UTC)
                held = unpause(client, expected, now, stopping)
                if stopping.is_set():
                    return
                client.emit_asset_event(INBOUND_ASSET[0], {"source": "make airflow", "files": files})
                say(f"ready after {time.monotonic() - started:.0f} s: DAGs unpaused, inbound asset event emitted "
                    "(intake is starting)")
                for line in dag_table(carm_dags(client), held, now):
                    say(line)
                return
        except AirflowApiError:
            pass  # not ready yet
        stopping.wait(2)
    if process.poll() is None and not stopping.is_set():
        say(f"the DAGs {sorted(expected)} were not all parsed within {UNPAUSE_TIMEOUT} s: unpause them in the UI "
            "(see the log for DAG import errors)")


def carm_dags(client: AirflowClient) -> list[dict[str, Any]]:
    return sorted((d for d in client.api("GET", "/dags?limit=100")["dags"] if d["dag_id"].startswith("carm_")),
                  key=lambda d: d["dag_id"])


def unpause(client: AirflowClient, dag_ids: set[str], now: datetime, stopping: threading.Event) -> dict[str, str]:
    """Unpause every carm DAG but one of ``HELD_WHEN_DUE`` whose scheduled run is already due: unpausing starts
    a due run at once (``catchup=False`` still runs the latest tick when it is recent, or when the DAG ran on
    schedule before). The DAGs left paused, with the reason."""
    held = {}
    for dag in carm_dags(client):
        if dag["dag_id"] not in dag_ids or stopping.is_set():
            continue
        if dag["dag_id"] in HELD_WHEN_DUE and _due(dag, now):
            held[dag["dag_id"]] = (f"left paused: its run of {_local(dag['next_dagrun_run_after'])} is due and "
                                   f"would start at once; {HELD_WHEN_DUE[dag['dag_id']]}. Trigger it by hand")
            continue
        client.set_paused(dag["dag_id"], False)
    return held


def _due(dag: dict[str, Any], now: datetime) -> bool:
    due = dag.get("next_dagrun_run_after")
    return bool(due) and datetime.fromisoformat(due) <= now


def dag_table(dags: list[dict[str, Any]], held: dict[str, str], now: datetime) -> list[str]:
    """The DAGs, their state, schedule and next scheduled run, as console lines."""
    rows = [("DAG", "state", "schedule", "next scheduled run")]
    for dag in dags:
        due = dag.get("next_dagrun_run_after")
        when = (_local(due) + (" (due: runs now)" if _due(dag, now) else "")) if due else "on an asset event only"
        rows.append((dag["dag_id"], "paused" if dag["is_paused"] else "unpaused",
                     str(dag.get("timetable_summary") or ""), held.get(dag["dag_id"]) or when))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3]
            for row in rows]


def _local(moment: str) -> str:
    """An API timestamp as local time, to the minute."""
    return datetime.fromisoformat(moment).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def log_tail(path: Path, lines: int = LOG_TAIL) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh", action="store_true", help="wipe var/airflow first (metadata, ledger, buckets)")
    args = parser.parse_args(argv)

    from pipeline.demo import DEMO_PERIOD

    started = time.monotonic()
    home = Path(os.environ.get("CARM_AIRFLOW_HOME") or ROOT / "var" / "airflow").resolve()
    if args.fresh:
        shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True, exist_ok=True)
    port = int(os.environ.get("CARM_AIRFLOW_PORT") or 8080)
    base_url = f"http://localhost:{port}"
    metadata_url = os.environ.get("CARM_AIRFLOW_DB_URL") or f"sqlite:///{home / 'airflow.db'}"
    days, as_of, close_at = demo_moments(DEMO_PERIOD)

    carm_env = {key: value for key, value in os.environ.items() if key.startswith(("CARM_", "AWS_"))}
    carm_env.setdefault("CARM_HOME", str(home / "carm"))
    carm_env.setdefault("CARM_AS_OF", as_of)
    carm_env.setdefault("CARM_INTAKE_BATCH_SIZE", "10")  # a few mapped batches to look at
    files = seed_demo_data(carm_env, days)

    # A known password for the known user: the simple auth manager only generates one for users not in the file.
    (home / "simple_auth_manager_passwords.json.generated").write_text(json.dumps({USER: PASSWORD}) + "\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW__")}
    env.update(carm_env)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": async_url(metadata_url),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base_url,
        # SQLite has one writer at a time: keep concurrency low unless the metadata is on PostgreSQL.
        "AIRFLOW__CORE__PARALLELISM": "4" if metadata_url.startswith("sqlite") else "8",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    })

    log = home / "airflow.log"
    print(f"""
[carm] Airflow home     {home}   (metadata: {metadata_url.split('@')[-1]})
[carm] Airflow log      {log}
[carm] CARM ledger      {carm_env.get('CARM_DB_URL', 'sqlite:///' + str(Path(carm_env['CARM_HOME']) / 'carm.db'))}
[carm] buckets          {carm_env.get('CARM_INBOUND_URL', Path(carm_env['CARM_HOME']) / 'buckets')}
[carm] demo data        {f'{files} new files' if files else 'already there'} (period {DEMO_PERIOD}); CARM_AS_OF={carm_env['CARM_AS_OF']}
[carm] web UI           {base_url}   login: {USER} / {PASSWORD}
[carm] try              carm_daily_notices with {{"date": "{days[-1]}"}};
[carm]                  carm_close_period with {{"period": "{DEMO_PERIOD}", "as_of": "{close_at}"}}
[carm] stop             Ctrl-C, or kill {os.getpid()}
""", flush=True)
    return run_airflow(env, home, log, AirflowClient(base_url, USER, PASSWORD), files, started)


def run_airflow(env: dict[str, str], home: Path, log: Path, client: AirflowClient, files: int,
                started: float) -> int:
    """Run ``airflow standalone`` in a session of its own, its output in ``log``, until it exits or a stop signal
    comes; then stop the whole session."""
    # A stop signal waits until Airflow and its watchdog are both started (blocking the signals instead would
    # block them in Airflow too: children inherit the signal mask).
    stop_signals = StopSignals()
    with log.open("ab") as out:
        process = subprocess.Popen([str(Path(sys.executable).with_name("airflow")), "standalone"], env=env, cwd=home,
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    watchdog = start_watchdog(process.pid, log)  # stops the session if this process is killed outright
    say(f"starting Airflow (pid {process.pid}); its output goes to the log above")
    stopping = threading.Event()
    threading.Thread(target=wake_up, args=(client, process, files, started, stopping), daemon=True).start()
    try:
        stop_signals.arm()
        code = process.wait()
    except Stop as stop:
        stopping.set()
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)  # one stop is enough; a second Ctrl-C must not cut it short
        say(f"{stop}: stopping Airflow (SIGTERM, SIGKILL after 20 s)")
        stubborn = stop_session(process.pid, reap=process.poll)
        say("Airflow stopped" if not stubborn else f"Airflow stopped; killed after 20 s: {'; '.join(stubborn)}")
        code = 0
    else:
        stop_session(process.pid, reap=process.poll)  # what the standalone process left behind
        say(f"Airflow exited by itself with code {code}; the last lines of {log}:")
        for line in log_tail(log):
            say(f"  {line}")
        code = code if code > 0 else 1
    finally:
        watchdog.stdin.close()
        watchdog.wait()
    return code


class StopSignals:
    """Handlers of the stop signals: they raise ``Stop`` once armed; a signal that came before is kept and
    raised on arming."""

    def __init__(self) -> None:
        self.armed = False
        self.pending: int | None = None
        for signum in STOP_SIGNALS:
            signal.signal(signum, self.handle)

    def handle(self, signum: int, _frame: object) -> None:
        if self.armed:
            raise Stop(signum)
        self.pending = self.pending or signum

    def arm(self) -> None:
        self.armed = True
        if self.pending is not None:
            raise Stop(self.pending)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # Ctrl-C while the demo data is prepared, before Airflow starts
        sys.exit(130)
