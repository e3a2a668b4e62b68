"""Run every benchmark in turn with its defaults, printing their figures (``make bench``).

Each benchmark is also one command of its own: ``benchmarks/parse.py`` (50 MB EDIFACT and XML, next to
pydifact), ``benchmarks/assess.py`` (1,000,000 lines), ``benchmarks/intake.py`` (10,000 CADs inbound to answers),
``benchmarks/close_period.py`` (5,000 importers, 1,000,000 postings), ``benchmarks/refdata.py`` (a 20,000-row CBSA
tariff export and ten years of exchange rates loaded, target ≤ 2 s), ``benchmarks/national_day.py`` (110,000 CADs
from inbound to answers on PostgreSQL and SQLite next to pydifact's split of the same EDIFACT, issue 11; the day is
generated once into ``var/bench-cache/``; see benchmarks/README.md), ``benchmarks/dag_workers.py`` (the intake
DAG under a real Airflow scheduler on one executor worker, then two, on 22,000 CADs). Intake runs a second time on PostgreSQL
when a server answers at ``CARM_BENCH_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/``),
and says so when none does. Figures depend on the machine and its load: the script prints the load average before
each.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("assess.py", "intake.py", "close_period.py", "parse.py", "refdata.py", "national_day.py",
              "dag_workers.py")
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/"


def postgres_reachable(url: str) -> bool:
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(url).set(drivername="postgresql", database=make_url(url).database or "postgres", query={})
    try:
        with psycopg.connect(server.render_as_string(hide_password=False), connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def main() -> int:
    postgres = os.environ.get("CARM_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    runs = [[name] for name in BENCHMARKS]
    if postgres_reachable(postgres):
        runs.insert(2, ["intake.py", "--db", postgres])
        runs[-1] += ["--db", postgres]  # the intake DAG's workers share a PostgreSQL ledger, as in production
    else:
        print(f"PostgreSQL not reachable at {postgres}: intake runs on SQLite only", flush=True)
    failures = 0
    for name, *options in runs:
        print(f"\n=== {' '.join([name, *options])} (load average {os.getloadavg()[0]:.1f}) ===", flush=True)
        failures += subprocess.call([sys.executable, str(HERE / name), *options, *sys.argv[1:]]) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
