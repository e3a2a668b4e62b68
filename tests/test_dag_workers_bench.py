"""benchmarks/dag_workers.py's core on a tiny day: the intake DAG under a real Airflow with one executor worker,
then with two, each on fresh homes and databases, must answer every file with the same outcome; one worker runs
the mapped batches one at a time, two run them together.

About 2 minutes on a 2-core machine (two Airflow start-ups of ~35 s, two runs of ~15 s). Airflow's metadata is
on the PostgreSQL server of ``CARM_TEST_PG_URL`` (skipped without one, like the other Airflow tests); the ledger
is SQLite, the benchmark's default.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

pytestmark = [pytest.mark.airflow, pytest.mark.slow, pytest.mark.postgres]

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "dag_workers.py"


def load_benchmark():  # noqa: ANN201 - the script's module
    spec = importlib.util.spec_from_file_location("dag_workers_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    path = list(sys.path)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = path  # the script puts benchmarks/ first, whose parse.py, intake.py … would shadow others
    return module


def test_one_and_two_workers_answer_every_file_with_the_same_outcome(tmp_path: Path, postgres_server: URL) -> None:
    from pipeline.generate import cached_day, day_shape
    from pipeline.reference import load_reference

    bench = load_benchmark()
    # Two files from two providers: two mapped batches of one file each (a sender's files are never split).
    day = cached_day(tmp_path / "cache", seed=7, shape=day_shape(400), reference=load_reference())
    lines: list[str] = []
    runs, problems = bench.compare_workers(
        day.folder, [1, 2], batch_size=1, db=None,
        airflow_db=postgres_server.render_as_string(hide_password=False), report=lines.append,
    )

    assert problems == [], "\n".join(problems + lines)
    one, two = runs
    assert (one.workers, two.workers) == (1, 2)
    for run in runs:
        assert run.state == "success"
        assert run.mapped == 2 and run.batch_files == (1, 1), lines
        assert run.outcome.files == 2 and run.outcome.complete(), run.outcome
        assert run.outcome.cads == 400 and run.outcome.accepted > 0, run.outcome
    assert one.outcome == two.outcome
    # One worker: the batches one after the other; two: at the same time.
    assert one.busy_seconds <= one.mapped_seconds + 0.5, lines
    assert two.busy_seconds > two.mapped_seconds, lines
    assert all("speed-up" in line for line in lines[1:]), lines
