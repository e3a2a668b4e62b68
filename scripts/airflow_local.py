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
- Once Airflow answers, ``carm_intake`` and ``carm_payments`` are unpaused and an event on the inbound asset
  wakes intake up, as a producer would after an upload. Stop with Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout: the package is importable either way

from pipeline.orchestration.airflow_api import AirflowApiError, AirflowClient  # noqa: E402
from pipeline.orchestration.defaults import INBOUND_ASSET  # noqa: E402

USER = PASSWORD = "admin"
DEMO_DAYS = 3
DEMO_CADS = 240
UNPAUSED = ("carm_intake", "carm_payments")


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


def wake_up(client: AirflowClient, process: subprocess.Popen, files: int) -> None:
    """Once the API answers: unpause the event-driven DAGs and emit the inbound asset event."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if client.healthy() and set(UNPAUSED) <= client.dag_ids():
                for dag_id in UNPAUSED:
                    client.set_paused(dag_id, False)
                client.emit_asset_event(INBOUND_ASSET[0], {"source": "make airflow", "files": files})
                print(f"\n[carm] {', '.join(UNPAUSED)} unpaused; inbound asset event emitted: intake is starting\n",
                      flush=True)
                return
        except AirflowApiError:
            pass  # not ready yet
        time.sleep(3)
    print("[carm] could not reach the API server to unpause the DAGs; unpause them in the UI", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh", action="store_true", help="wipe var/airflow first (metadata, ledger, buckets)")
    args = parser.parse_args(argv)

    from pipeline.demo import DEMO_PERIOD

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

    print(f"""
[carm] Airflow home     {home}   (metadata: {metadata_url.split('@')[-1]})
[carm] CARM ledger      {carm_env.get('CARM_DB_URL', 'sqlite:///' + str(Path(carm_env['CARM_HOME']) / 'carm.db'))}
[carm] buckets          {carm_env.get('CARM_INBOUND_URL', Path(carm_env['CARM_HOME']) / 'buckets')}
[carm] demo data        {files or 'already there'} new files of period {DEMO_PERIOD}; CARM_AS_OF={carm_env['CARM_AS_OF']}
[carm] web UI           {base_url}   login: {USER} / {PASSWORD}
[carm] try              carm_daily_notices with {{"date": "{days[-1]}"}};
[carm]                  carm_close_period with {{"period": "{DEMO_PERIOD}", "as_of": "{close_at}"}}
[carm] stop             Ctrl-C
""", flush=True)

    process = subprocess.Popen([str(Path(sys.executable).with_name("airflow")), "standalone"], env=env, cwd=home,
                               start_new_session=True)
    client = AirflowClient(base_url, USER, PASSWORD)
    threading.Thread(target=wake_up, args=(client, process, files), daemon=True).start()
    try:
        return process.wait()
    except KeyboardInterrupt:
        os.killpg(process.pid, signal.SIGINT)  # standalone stops its components on SIGINT
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
