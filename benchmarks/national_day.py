"""A national day from inbound to answers, next to pydifact (issue 11): ``.venv/bin/python benchmarks/national_day.py
[--cads N] [--workers W] [--seed S] [--db URL] [--skip-pydifact]``.

The day is ``carm generate --day``'s (110,000 CADs in 550 files of 200 from 40 providers, 1-20 lines, 70 % of the
files EDIFACT, about 170 MB, a few faulty CADs and files); ``--cads N`` makes a smaller day in the same
proportions. It is generated once per seed and shape into ``var/bench-cache/`` (``--cache``) and reused: the
generation is never timed. Then, in one run, each part after printing the load average:

(a) pydifact's ``Interchange.from_str`` (it only splits segments) over every EDIFACT file of the day, and
(b) our EDIFACT reading (``pipeline.parsers.read_submission``, into the model) over the same bytes, file by file
    in turn with (a), so that a load that comes and goes on a shared machine falls on both alike;
(c) intake (``run_intake``: discover, archive, read, validate against the ledger, assess, post, answer) of the
    whole day on PostgreSQL — a fresh database on the server of ``--db`` (default ``CARM_BENCH_POSTGRES_URL`` or
    the local server), skipped with a message when none answers — and on SQLite. Each intake runs in a child
    process of its own with a fresh CARM_HOME, so that its memory is its own: the peak printed is the resident
    memory of that process and its workers summed (sampled every 50 ms; shared pages of forked workers count
    once per process, so it errs high), next to the process's high-water mark (VmHWM) and its largest worker's.

Targets (issue 11): intake ≤ 0.75 × pydifact's time on both databases, peak ≤ 1 GB, our reading ≥ 10 × pydifact.
The engine's and the frame build's lines/s are ``benchmarks/assess.py``'s (``make bench`` runs both). Exit code
1 when intake did not archive and answer every file, or failed on one; figures off target only print OVER (or MISSED).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from intake import _cpu_seconds, fresh_postgres_database  # noqa: E402
from run_all import DEFAULT_POSTGRES_URL, postgres_reachable  # noqa: E402

INTAKE_RATIO = 0.75  # intake time / pydifact's split time
READING_RATIO = 10.0  # pydifact's time / our reading time
PEAK_MB = 1024
AS_OF = "2025-05-05T18:00"  # the evening of the day's business date (pipeline.generate.day.DAY_DATE)
SAMPLE_SECONDS = 0.05


def _load() -> float:
    return os.getloadavg()[0]


# ============================================================================================ the reading parts


def edifact_files(folder: Path) -> list[bytes]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return [(folder / entry["path"]).read_bytes() for entry in manifest["files"] if entry["syntax"] == "edifact"]


def time_reading(files: list[bytes], *, with_pydifact: bool) -> dict[str, tuple[float, float, int]]:
    """Seconds (wall and CPU) to split every file with pydifact and to read it into the model with ours, file by
    file in turn (so that both see the same machine: a load that comes and goes falls on both), and how many files
    pydifact refused (the day's broken files) and ours found syntax errors in (S codes)."""
    from pydifact.segmentcollection import Interchange

    from pipeline.parsers import read_submission

    totals = {"pydifact": [0.0, 0.0, 0], "ours": [0.0, 0.0, 0]}

    def pydifact(data: bytes) -> int:
        try:
            Interchange.from_str(data.decode("latin-1"))
        except Exception:  # noqa: BLE001 - a broken file (S01 and the like) is refused, as it should be
            return 1
        return 0

    def ours(data: bytes) -> int:
        return int(not read_submission(data).syntax_ok)

    readers = {"pydifact": pydifact, "ours": ours} if with_pydifact else {"ours": ours}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydifact warns per segment that it has no D.96B directory
        for read in readers.values():
            read(files[0])  # warm-up: compiled patterns and tables
        for data in files:
            for name, read in readers.items():
                started, cpu = time.perf_counter(), time.process_time()
                refused = read(data)
                total = totals[name]
                total[0] += time.perf_counter() - started
                total[1] += time.process_time() - cpu
                total[2] += refused
    return {name: (wall, cpu, refused) for name, (wall, cpu, refused) in totals.items() if name in readers}


# ============================================================================================ intake, in a child


class TreeMemory:
    """The highest sum of resident memory of this process and its descendants, sampled in a thread."""

    def __init__(self) -> None:
        import psutil

        self.process = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="rss-sampler", daemon=True)

    def _watch(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for process in [self.process, *self.process.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:  # a worker that just ended
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _high_water_mb() -> float:
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmHWM:"):
            return int(row.split()[1]) / 1024
    return 0.0


def intake_day(folder: Path, db: str | None, workers: int | None) -> dict:
    """Intake of the day in ``folder`` into a fresh CARM_HOME (and ``db``, else SQLite there): figures as JSON."""
    import resource

    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from pipeline.config import Settings
    from pipeline.intake import run_intake
    from pipeline.ledger import InboxEntry, LineAssessment, save_registry
    from pipeline.registry import load_registry_file
    from pipeline.runtime import open_runtime

    home = Path(tempfile.mkdtemp(prefix="carm-bench-day-"))
    try:
        environ = {"CARM_HOME": str(home)} | ({"CARM_DB_URL": db} if db else {})
        runtime = open_runtime(Settings.from_env(environ))
        with Session(runtime.engine) as session, session.begin():
            save_registry(session, load_registry_file(folder / "registry.json"))
        inbound = home / "buckets" / "inbound"
        files = 0
        for sender in sorted(p for p in folder.iterdir() if p.is_dir()):
            shutil.copytree(sender, inbound / sender.name, dirs_exist_ok=True)
            files += sum(1 for _ in sender.iterdir())
        Path("/proc/self/clear_refs").write_text("5")  # the high-water mark from here on
        load = _load()
        cpu_before = _cpu_seconds()
        with TreeMemory() as memory:
            started = time.perf_counter()
            summary = run_intake(runtime, as_of=AS_OF, workers=workers)
            seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
        with Session(runtime.engine) as session:
            lines = session.scalar(select(func.count()).select_from(LineAssessment))
            archived = session.scalar(
                select(func.count()).select_from(InboxEntry).where(InboxEntry.archive_key.is_not(None)))
        answered = sum(1 for _ in runtime.buckets.outbound.list())
        backend = runtime.engine.dialect.name
        runtime.engine.dispose()
        return {
            "backend": backend, "seconds": seconds, "cpu": cpu, "load": load, "files": files,
            "answered_files": summary.files, "archived": archived, "answers": answered, "failed": summary.failed,
            "quarantined": summary.quarantined, "accepted": summary.accepted, "rejected": summary.rejected,
            "duplicate": summary.duplicate, "lines": lines, "posted": summary.posted_total,
            "peak_mb": memory.peak / 2**20, "process_hwm_mb": _high_water_mb(),
            "largest_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run_intake_child(folder: Path, db: str | None, workers: int | None) -> dict | None:
    """``intake_day`` in a child process of its own; None (and the child's error shown) when it fails."""
    command = [sys.executable, str(Path(__file__).resolve()), "--intake-of", str(folder)]
    command += ["--db", db] if db else []
    command += ["--workers", str(workers)] if workers else []
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stdout + done.stderr, file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def intake_on(folder: Path, db: str | None, workers: int | None) -> dict | None:
    if db and db.startswith("postgresql"):
        with fresh_postgres_database(db) as url:
            return run_intake_child(folder, url, workers)
    return run_intake_child(folder, db, workers)


# ============================================================================================ the report


def verdict(ok: bool) -> str:
    return "within" if ok else "OVER"


def print_intake(name: str, figures: dict, pydifact: tuple[float, float] | None) -> bool:
    """The intake line; whether intake archived and answered every file."""
    cads = figures["accepted"] + figures["rejected"] + figures["duplicate"]
    print(f"  intake {name:<10} {figures['seconds']:8.1f} s  {cads / figures['seconds']:8,.0f} CADs/s  "
          f"{figures['lines'] / figures['seconds']:9,.0f} posted lines/s   {figures['cpu']:.1f} CPU-s   "
          f"(load before {figures['load']:.1f})")
    print(f"    {figures['answered_files']:,} files answered, {figures['archived']:,} archived, "
          f"{figures['quarantined']} quarantined, {figures['failed']} failed; CADs {figures['accepted']:,} accepted, "
          f"{figures['rejected']:,} rejected, {figures['duplicate']} duplicate; {figures['lines']:,} lines posted, "
          f"total {figures['posted']}")
    peak = figures["peak_mb"]
    print(f"    peak memory {peak:,.0f} MB (process + workers; {verdict(peak <= PEAK_MB)} the {PEAK_MB} MB target); "
          f"process high-water mark {figures['process_hwm_mb']:,.0f} MB, largest worker "
          f"{figures['largest_worker_mb']:,.0f} MB")
    if pydifact is not None:
        ratio = figures["seconds"] / pydifact[0]
        print(f"    intake / pydifact = {ratio:.2f}  (target <= {INTAKE_RATIO}: {verdict(ratio <= INTAKE_RATIO)}; "
              f"in CPU time {figures['cpu'] / pydifact[1]:.2f})")
    return (figures["failed"] == 0 and figures["archived"] == figures["files"]
            and figures["answered_files"] + figures["quarantined"] == figures["files"])


def main(argv: list[str]) -> int:
    from pipeline.generate import cached_day, day_shape
    from pipeline.reference import load_reference

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cads", type=int, default=None, help="a smaller day in the same proportions")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None, help="intake worker processes (default: one per core)")
    parser.add_argument("--db", help="PostgreSQL server URL (default: CARM_BENCH_POSTGRES_URL or the local server)")
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "bench-cache", help="where generated days are kept")
    parser.add_argument("--skip-pydifact", action="store_true", help="leave pydifact out (no ratios then)")
    parser.add_argument("--intake-of", type=Path, help=argparse.SUPPRESS)  # the child process's part
    args, _ = parser.parse_known_args(argv)
    if args.intake_of is not None:
        print(json.dumps(intake_day(args.intake_of, args.db, args.workers)))
        return 0

    shape = day_shape(args.cads)
    started = time.perf_counter()
    stored = cached_day(args.cache, seed=args.seed, shape=shape, reference=load_reference())
    record = stored.record
    how = "generated" if stored.generated else "reused from the cache"
    scale = "" if shape.cads == 110_000 else f" ({shape.cads / 110_000:.2f} of a national day)"
    print(f"national day{scale}: {record['declarations']:,} CADs in {record['files']} files, "
          f"{record['bytes'] / 1e6:.1f} MB, {record['providers']} providers; EDIFACT {record['edifact_files']} files, "
          f"{record['edifact_bytes'] / 1e6:.1f} MB, {record['edifact_declarations']:,} CADs; "
          f"{record['files_with_faults']} files with a faulty CAD or file; seed {args.seed}; "
          f"{how} in {time.perf_counter() - started:.1f} s (not timed)\n  {stored.folder}", flush=True)

    files = edifact_files(stored.folder)
    load = _load()
    reading = time_reading(files, with_pydifact=not args.skip_pydifact)
    pydifact = None
    if "pydifact" in reading:
        pydifact, pydifact_cpu, refused = reading["pydifact"]
        print(f"  pydifact split    {pydifact:8.1f} s  {record['edifact_declarations'] / pydifact:8,.0f} CADs/s  "
              f"{record['edifact_bytes'] / pydifact / 1e6:6.2f} MB/s  {pydifact_cpu:.1f} CPU-s  ({refused} files "
              f"refused; load before {load:.1f})", flush=True)
    ours, ours_cpu, refused = reading["ours"]
    print(f"  our EDIFACT read  {ours:8.1f} s  {record['edifact_declarations'] / ours:8,.0f} CADs/s  "
          f"{record['edifact_bytes'] / ours / 1e6:6.2f} MB/s  {ours_cpu:.1f} CPU-s  ({refused} files with S codes; "
          f"read file by file in turn with pydifact's split)")
    if pydifact is not None:
        ratio = pydifact / ours
        met = "met" if ratio >= READING_RATIO else "MISSED"
        print(f"    pydifact / ours = {ratio:.2f} x  (target >= {READING_RATIO:.0f}: {met}; "
              f"in CPU time {pydifact_cpu / ours_cpu:.2f} x)")
    del files

    ok = True
    postgres = args.db or os.environ.get("CARM_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    runs = [("SQLite", None)]
    if postgres_reachable(postgres):
        runs.insert(0, ("PostgreSQL", postgres))
    else:
        print(f"  PostgreSQL not reachable at {postgres}: intake on SQLite only")
    for name, db in runs:
        sys.stdout.flush()
        figures = intake_on(stored.folder, db, args.workers)
        if figures is None:
            print(f"  intake {name}: FAILED (see above)")
            ok = False
            continue
        if not print_intake(name, figures, None if pydifact is None else (pydifact, pydifact_cpu)):
            print(f"  intake {name}: FAILED: not every file was archived and answered", file=sys.stderr)
            ok = False
    print(f"  python {sys.version.split()[0]}, {os.cpu_count()} cores; engine and frame build lines/s: "
          "benchmarks/assess.py")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
