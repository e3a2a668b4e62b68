"""The intake DAG on one worker and on two (issue 11): ``.venv/bin/python benchmarks/dag_workers.py [--cads N]
[--workers 1 2] [--rounds R] [--batch-size B] [--db URL] [--seed S]``.

The day is ``carm generate --day --cads N``'s (default 22,000 CADs: 110 files of 200 from 8 providers, about a
minute of DAG run on one worker), generated once into ``var/bench-cache/`` (``--cache``) and reused; the
generation is never timed. For each worker count,
in turn: a fresh CARM_HOME whose inbound bucket holds the day's files and whose ledger is a fresh database
(SQLite in the home, or a new database on the PostgreSQL server of ``--db``) with the day's registry; a fresh
Airflow (scheduler, DAG processor, API server, as ``tests/airflow_harness.py`` starts them; metadata in a new
database on the PostgreSQL server of ``--airflow-db`` when it answers, else SQLite); one manual run of
``carm_intake`` for the day's evening; the figures; Airflow stopped and every database dropped.

What "W workers" means: the LocalExecutor with ``[core] parallelism = W``. That executor forks exactly
``parallelism`` worker processes, each runs one task instance at a time (in a child process it forks), and the
scheduler never queues more than ``parallelism`` at once: W workers is W task instances at a time, like W Celery
workers of concurrency 1. Nothing else binds below 2: the DAG allows ``BATCH_CONCURRENCY`` (4) mapped batches of
a run at once, and the default pool has 128 slots.

The batches are the DAG's own (``plan_batches``: a sender's files are never split, small senders share a batch);
``--batch-size`` sets ``CARM_INTAKE_BATCH_SIZE`` for the tasks. The default, 10, is below every provider's file
count on these days, so each provider's files are one mapped batch (8 on the default day, of 11 to 16 files).
The DAG's own default (50) packs a day's providers three to a batch: on 11,000 CADs (4 providers) that is 2
batches of 44 and 11 files, which no number of workers runs faster than the 44-file one.

Printed per worker count, after the load average: the DAG run's wall time (first task instance's start to the
last one's end, from the API), the mapped batches' span and their summed busy time, the mapped task count,
CADs/s, the CPU seconds of the task processes (the executor's workers and the tasks they fork) and of Airflow's
own processes during the run, the share of the tasks' wall time they spent on a core (the rest is waiting for a
core, a lock or I/O: on a shared 2-core machine, mostly for a core), and the speed-up over the first worker
count. ``--rounds R`` alternates the worker counts R times, each run on fresh everything, and ends with the
speed-up of each count's fastest run (the one other work on the machine disturbed least). Then the outcomes are compared: every
file must be answered (or quarantined), none failed, and every run must have the same files answered and
quarantined, the same accepted, rejected and duplicate CADs, and the same total posted (exact, from the ledger),
which the run's summary must agree with. Exit code 1 when not.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from intake import fresh_postgres_database  # noqa: E402
from run_all import DEFAULT_POSTGRES_URL, postgres_reachable  # noqa: E402

DAG_ID = "carm_intake"
MAPPED_TASK = "process_batch"
AS_OF = "2025-05-05T18:00"  # the evening of the day's business date (pipeline.generate.day.DAY_DATE)
DEFAULT_CADS = 22_000
DEFAULT_BATCH_SIZE = 10
WORKER_TITLE = "airflow worker -- LocalExecutor"  # the process title of the executor's workers
RUN_TIMEOUT = 1800.0


# ============================================================================================ figures (pure)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a run left in the ledger and the outbound bucket, and the CADs its summary counted."""

    files: int  # dropped in the inbound bucket
    answered: int  # inbox entries answered
    quarantined: int
    failed: int
    unanswered: tuple[str, ...]  # entries not quarantined with no answer in the outbound bucket
    accepted: int  # CADs, as the run's summary counts them (a file refused whole rejects all of its CADs)
    rejected: int
    duplicate: int
    ledger_accepted: int  # accepted declaration versions in the ledger
    ledger_rejected: int  # rejected versions the ledger recorded (not those of files refused whole)
    posted: Decimal  # sum of every posting in the ledger, exact

    @property
    def cads(self) -> int:
        return self.accepted + self.rejected + self.duplicate

    def complete(self) -> bool:
        """Every file answered or quarantined, none failed, and every answered file has its answer."""
        return self.failed == 0 and self.answered + self.quarantined == self.files and not self.unanswered

    def comparable(self) -> tuple:
        return (self.files, self.answered, self.quarantined, self.failed, self.accepted, self.rejected,
                self.duplicate, self.ledger_accepted, self.ledger_rejected, self.posted)


COMPARED = ("files", "answered", "quarantined", "failed", "accepted CADs", "rejected CADs", "duplicate CADs",
            "accepted versions in the ledger", "rejected versions in the ledger", "total posted")


@dataclass(frozen=True, slots=True)
class RunFigures:
    workers: int
    load: str  # /proc/loadavg before the run
    state: str
    wall_seconds: float  # first task instance's start to the last one's end
    mapped_seconds: float  # first mapped batch's start to the last one's end
    busy_seconds: float  # the mapped batches' durations, summed
    task_seconds: float  # every task instance's duration, summed
    discover_seconds: float  # the discovery task's duration
    summarize_seconds: float  # the summary task's duration
    mapped: int
    batch_files: tuple[int, ...]
    task_cpu: float  # CPU seconds of the executor's workers and their task processes during the run
    airflow_cpu: float  # CPU seconds of the scheduler, DAG processor and API server during the run
    outcome: Outcome
    summary: Mapping[str, Any]  # the summarize_run task's XCom

    def summary_disagrees(self) -> list[str]:
        """Where the run's own summary differs from the ledger: files answered, accepted CADs, total posted."""
        summary = {"files answered": self.summary.get("files"),
                   "accepted": self.summary.get("declarations", {}).get("accepted"),
                   "posted": Decimal(str(self.summary.get("posted_total", "NaN")))}
        ledger = {"files answered": self.outcome.answered, "accepted": self.outcome.ledger_accepted,
                  "posted": self.outcome.posted}
        return [f"{name}: summary {summary[name]}, ledger {ledger[name]}"
                for name in summary if summary[name] != ledger[name]]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def span_seconds(instances: Sequence[Mapping[str, Any]]) -> float:
    """From the earliest start to the latest end of the task instances that ran."""
    ran = [ti for ti in instances if ti.get("start_date") and ti.get("end_date")]
    if not ran:
        return 0.0
    first = min(_moment(ti["start_date"]) for ti in ran)
    last = max(_moment(ti["end_date"]) for ti in ran)
    return (last - first).total_seconds()


def busy_seconds(instances: Sequence[Mapping[str, Any]]) -> float:
    return sum((_moment(ti["end_date"]) - _moment(ti["start_date"])).total_seconds()
               for ti in instances if ti.get("start_date") and ti.get("end_date"))


def outcome_differences(runs: Sequence[RunFigures]) -> list[str]:
    """Every way in which a run's outcome differs from the first run's, or is incomplete."""
    problems = []
    for run in runs:
        if run.state != "success":
            problems.append(f"{run.workers} worker(s): the DAG run ended {run.state}")
        if not run.outcome.complete():
            problems.append(f"{run.workers} worker(s): not every file answered: {run.outcome}")
        problems += [f"{run.workers} worker(s): {text}" for text in run.summary_disagrees()]
        for name, first, other in zip(COMPARED, runs[0].outcome.comparable(), run.outcome.comparable(), strict=True):
            if first != other:
                problems.append(f"{run.workers} worker(s): {name} {other}, but {first} with {runs[0].workers}")
    return problems


# ============================================================================================ CPU of Airflow's processes


def cpu_by_role(roots: Sequence[int]) -> tuple[float, float]:
    """CPU seconds so far of (the executor's workers and everything they forked, every other Airflow process)
    under the processes ``roots``. A process's own time plus that of the children it has reaped: a task process
    that ended is counted in its worker's, a live one by itself, so each CPU second is counted once."""
    import psutil

    tasks = other = 0.0
    seen: set[int] = set()
    for root in roots:
        try:
            tree = [psutil.Process(root), *psutil.Process(root).children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        workers = set()
        for process in tree:
            try:
                if " ".join(process.cmdline()).startswith(WORKER_TITLE):
                    workers.add(process.pid)
                    workers.update(child.pid for child in process.children(recursive=True))
            except psutil.Error:
                pass
        for process in tree:
            if process.pid in seen:
                continue
            seen.add(process.pid)
            try:
                times = process.cpu_times()
            except psutil.Error:  # it just ended; its time goes to its parent's
                continue
            spent = times.user + times.system + times.children_user + times.children_system
            if process.pid in workers:
                tasks += spent
            else:
                other += spent
    return tasks, other


# ============================================================================================ one run (the shell)


def seed_home(folder: Path, environ: Mapping[str, str]) -> int:
    """The day's registry into a fresh ledger and its files into the inbound bucket; how many files."""
    from sqlalchemy.orm import Session

    from pipeline.config import Settings
    from pipeline.ledger import save_registry
    from pipeline.registry import load_registry_file
    from pipeline.runtime import open_runtime

    runtime = open_runtime(Settings.from_env(environ))
    try:
        with Session(runtime.engine) as session, session.begin():
            save_registry(session, load_registry_file(folder / "registry.json"))
        files = 0
        for sender in sorted(p for p in folder.iterdir() if p.is_dir()):
            for path in sorted(sender.iterdir()):
                runtime.buckets.inbound.write(f"{sender.name}/{path.name}", path.read_bytes())
                files += 1
        return files
    finally:
        runtime.engine.dispose()


def ledger_outcome(environ: Mapping[str, str], files: int, summary: Mapping[str, Any]) -> Outcome:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from pipeline.config import Settings
    from pipeline.ledger import DeclarationRecord, InboxEntry, InboxState, Posting
    from pipeline.runtime import open_runtime

    runtime = open_runtime(Settings.from_env(environ))
    try:
        with Session(runtime.engine) as session:
            states = dict(session.execute(select(InboxEntry.state, func.count()).group_by(InboxEntry.state)).all())
            statuses = dict(session.execute(
                select(DeclarationRecord.status, func.count()).group_by(DeclarationRecord.status)).all())
            posted = session.scalar(select(func.sum(Posting.amount))) or Decimal("0.00")  # Money: exact
            to_answer = [row.key for row in session.scalars(
                select(InboxEntry).where(InboxEntry.state != InboxState.QUARANTINED))]
        answers = {info.key for info in runtime.buckets.outbound.list()}
    finally:
        runtime.engine.dispose()
    unanswered = tuple(sorted(key for key in to_answer if not any(
        answer.startswith(key.replace("/", "/responses/", 1) + ".") for answer in answers)))
    cads = summary.get("declarations", {})
    return Outcome(
        files=files, answered=states.get(InboxState.ANSWERED, 0), quarantined=states.get(InboxState.QUARANTINED, 0),
        failed=states.get(InboxState.FAILED, 0), unanswered=unanswered,
        accepted=int(cads.get("accepted", 0)), rejected=int(cads.get("rejected", 0)),
        duplicate=int(cads.get("duplicate", 0)), ledger_accepted=statuses.get("accepted", 0),
        ledger_rejected=statuses.get("rejected", 0), posted=posted,
    )


@contextmanager
def database(server: str | None, fallback: str) -> Iterator[str]:
    """A fresh database on the PostgreSQL server ``server`` (dropped afterwards), else ``fallback``."""
    if server is None:
        yield fallback
        return
    with fresh_postgres_database(server) as url:
        yield url


def run_dag(folder: Path, workers: int, *, batch_size: int, db: str | None, airflow_db: str | None,
            work: Path) -> RunFigures:
    """One run of the intake DAG over the day in ``folder`` with ``workers`` executor workers."""
    from tests.airflow_harness import running_airflow

    base = Path(tempfile.mkdtemp(prefix=f"dag-workers-{workers}-", dir=work))
    try:
        with ExitStack() as stack:
            ledger = stack.enter_context(database(db, f"sqlite:///{base / 'carm' / 'carm.db'}"))
            metadata = stack.enter_context(database(airflow_db, f"sqlite:///{base / 'airflow' / 'airflow.db'}"))
            (base / "airflow").mkdir(parents=True)
            carm_env = {
                "CARM_HOME": str(base / "carm"),
                "CARM_DB_URL": ledger,
                "CARM_INBOUND_URL": (base / "carm" / "buckets" / "inbound").as_uri(),
                "CARM_OUTBOUND_URL": (base / "carm" / "buckets" / "outbound").as_uri(),
                "CARM_ARCHIVE_URL": (base / "carm" / "buckets" / "archive").as_uri(),
                "CARM_AS_OF": "",
                "CARM_INTAKE_BATCH_SIZE": str(batch_size),
            }
            files = seed_home(folder, carm_env)
            airflow_env = {
                **carm_env,
                "AIRFLOW__CORE__PARALLELISM": str(workers),  # the LocalExecutor's worker processes
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # no cron run on unpause: only ours
                # Parsed once at start; no re-parse every 30 s taking CPU from the run.
                "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "3600",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "3600",
            }
            airflow = stack.enter_context(running_airflow(base / "airflow", metadata, extra_env=airflow_env))
            airflow.wait_for_dags({DAG_ID}, timeout=300)
            airflow.client.set_paused(DAG_ID, False)
            roots = [process.pid for process in airflow.processes.values()]
            time.sleep(2)  # let the unpause settle: the scheduler's own work is not the run's
            load = Path("/proc/loadavg").read_text().strip()
            task_cpu, airflow_cpu = cpu_by_role(roots)
            run_id = airflow.client.trigger(DAG_ID, {"as_of": AS_OF})
            state = airflow.wait_for_run(DAG_ID, run_id, timeout=RUN_TIMEOUT)
            time.sleep(1)  # the last task process reaped by its worker
            task_cpu_after, airflow_cpu_after = cpu_by_role(roots)
            instances = airflow.client.task_instances(DAG_ID, run_id)
            mapped = [ti for ti in instances if ti["task_id"] == MAPPED_TASK]
            batches = airflow.client.xcom(DAG_ID, run_id, "discover_inbound_files") or []
            try:
                summary = airflow.client.xcom(DAG_ID, run_id, "summarize_run")
            except Exception:  # noqa: BLE001 - a failed run has none; the comparison reports the state
                summary = {}
            if state != "success":
                print(airflow.run_report(DAG_ID, run_id), file=sys.stderr)
            outcome = ledger_outcome(carm_env, files, summary or {})
            return RunFigures(
                workers=workers, load=load, state=state,
                wall_seconds=span_seconds([ti for ti in instances if ti["state"] == "success"]),
                mapped_seconds=span_seconds(mapped), busy_seconds=busy_seconds(mapped),
                task_seconds=busy_seconds(instances), mapped=len(mapped),
                discover_seconds=busy_seconds([ti for ti in instances if ti["task_id"] == "discover_inbound_files"]),
                summarize_seconds=busy_seconds([ti for ti in instances if ti["task_id"] == "summarize_run"]),
                batch_files=tuple(len(batch["inbox_ids"]) for batch in batches),
                task_cpu=task_cpu_after - task_cpu, airflow_cpu=airflow_cpu_after - airflow_cpu,
                outcome=outcome, summary=summary or {},
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


def compare_workers(folder: Path, workers: Sequence[int], *, batch_size: int, db: str | None,
                    airflow_db: str | None, rounds: int = 1,
                    report=print) -> tuple[list[RunFigures], list[str]]:  # noqa: ANN001 - a line printer
    """``rounds`` times, one DAG run per worker count over the same day, each on fresh homes and databases
    (alternating, so that a shared machine's load falls on every count alike); every run's figures, in order,
    and the problems (empty when every run answered every file with the same outcome)."""
    runs: list[RunFigures] = []
    with tempfile.TemporaryDirectory(prefix="carm-bench-dag-workers-") as work:
        for _ in range(rounds):
            first = None
            for count in workers:
                figures = run_dag(folder, count, batch_size=batch_size, db=db, airflow_db=airflow_db,
                                  work=Path(work))
                report(figure_lines(figures, first))
                first = first or figures
                runs.append(figures)
    return runs, outcome_differences(runs)


def fastest_by_workers(runs: Sequence[RunFigures]) -> dict[int, RunFigures]:
    """Per worker count, its run of the shortest wall time (the one a shared machine disturbed least)."""
    fastest: dict[int, RunFigures] = {}
    for run in runs:
        if run.workers not in fastest or run.wall_seconds < fastest[run.workers].wall_seconds:
            fastest[run.workers] = run
    return fastest


def fastest_lines(runs: Sequence[RunFigures]) -> list[str]:
    fastest = list(fastest_by_workers(runs).values())
    base = fastest[0]
    return [f"  fastest of {sum(r.workers == run.workers for r in runs)} with {run.workers} worker(s): "
            f"{run.wall_seconds:.1f} s wall, {run.outcome.cads / run.wall_seconds:,.0f} CADs/s, mapped part "
            f"{run.mapped_seconds:.1f} s, speed-up {base.wall_seconds / run.wall_seconds:.2f} x "
            f"(mapped part {base.mapped_seconds / run.mapped_seconds:.2f} x), {run.task_cpu:.1f} task CPU-s"
            for run in fastest]


def figure_lines(run: RunFigures, first: RunFigures | None) -> str:
    cads = run.outcome.cads
    rate = cads / run.wall_seconds if run.wall_seconds else 0.0
    speed_up = (f"   speed-up {first.wall_seconds / run.wall_seconds:.2f} x over {first.workers} worker(s) "
                f"(mapped part {first.mapped_seconds / run.mapped_seconds:.2f} x)"
                if first and run.wall_seconds and run.mapped_seconds else "")
    concurrency = run.busy_seconds / run.mapped_seconds if run.mapped_seconds else 0.0
    on_core = run.task_cpu / run.task_seconds if run.task_seconds else 0.0
    outcome = run.outcome
    return "\n".join([
        f"  {run.workers} worker(s)  (load before: {run.load})",
        f"    DAG run {run.state}: {run.wall_seconds:7.1f} s wall   {rate:6,.0f} CADs/s   {run.mapped} mapped "
        f"batches of {', '.join(map(str, run.batch_files))} files{speed_up}",
        f"    mapped batches: {run.mapped_seconds:.1f} s from first start to last end, {run.busy_seconds:.1f} s "
        f"busy (on average {concurrency:.2f} at a time); outside them {run.wall_seconds - run.mapped_seconds:.1f} s: "
        f"discovery {run.discover_seconds:.1f} s, summary {run.summarize_seconds:.1f} s, the rest between tasks",
        f"    CPU: {run.task_cpu:.1f} s in task processes ({on_core:.0%} of their {run.task_seconds:.1f} s of wall: "
        f"the rest waiting for a core, a lock or I/O), {run.airflow_cpu:.1f} s in the scheduler, DAG processor "
        f"and API server",
        f"    {outcome.files} files: {outcome.answered} answered, {outcome.quarantined} quarantined, "
        f"{outcome.failed} failed, {len(outcome.unanswered)} without an answer; CADs {outcome.accepted:,} "
        f"accepted, {outcome.rejected:,} rejected, {outcome.duplicate} duplicate (ledger: "
        f"{outcome.ledger_accepted:,} accepted and {outcome.ledger_rejected:,} rejected versions); posted "
        f"{outcome.posted}",
    ])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--cads", type=int, default=DEFAULT_CADS, help=f"CADs of the day (default {DEFAULT_CADS:,})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="executor worker counts, one DAG run each; speed-up over the first (default: 1 2)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                        help=f"CARM_INTAKE_BATCH_SIZE, files a mapped batch (default {DEFAULT_BATCH_SIZE}; "
                             "the DAG's own default is 50)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every worker count this many times, alternating; speed-up of the fastest runs")
    parser.add_argument("--db", help="the ledger on a fresh database of this PostgreSQL server (default: SQLite)")
    parser.add_argument("--airflow-db", default=os.environ.get("CARM_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
                        help="PostgreSQL server for Airflow's metadata (a fresh database each run; SQLite in the "
                             "Airflow home when it does not answer)")
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "bench-cache", help="where generated days are kept")
    args = parser.parse_args(argv)
    if not all(count >= 1 for count in args.workers):
        parser.error("--workers: at least one worker each")
    if args.rounds < 1:
        parser.error("--rounds: at least one")

    from pipeline.generate import cached_day, day_shape
    from pipeline.reference import load_reference

    started = time.perf_counter()
    stored = cached_day(args.cache, seed=args.seed, shape=day_shape(args.cads), reference=load_reference())
    record = stored.record
    how = "generated" if stored.generated else "reused from the cache"
    airflow_db = args.airflow_db if postgres_reachable(args.airflow_db) else None
    if args.db and not postgres_reachable(args.db):
        print(f"PostgreSQL not reachable at {args.db}", file=sys.stderr)
        return 2
    print(f"intake DAG on {' then '.join(map(str, args.workers))} worker(s): {record['declarations']:,} CADs in "
          f"{record['files']} files from {record['providers']} providers, {record['bytes'] / 1e6:.1f} MB, seed "
          f"{args.seed}; {how} in {time.perf_counter() - started:.1f} s (not timed)\n  {stored.folder}\n"
          f"  batch size {args.batch_size}; ledger {'PostgreSQL' if args.db else 'SQLite'}; Airflow metadata "
          f"{'PostgreSQL' if airflow_db else 'SQLite'}; LocalExecutor parallelism = workers; {os.cpu_count()} cores, "
          f"python {sys.version.split()[0]}", flush=True)
    runs, problems = compare_workers(stored.folder, args.workers, batch_size=args.batch_size, db=args.db,
                                     airflow_db=airflow_db, rounds=args.rounds,
                                     report=lambda text: print(text, flush=True))
    if args.rounds > 1:
        print("\n".join(fastest_lines(runs)))
    for problem in problems:
        print(f"  FAILED: {problem}", file=sys.stderr)
    if not problems:
        print(f"  same outcome on every run: {runs[0].outcome.files} files answered or quarantined, "
              f"{runs[0].outcome.cads:,} CADs, posted {runs[0].outcome.posted}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
