"""Benchmark of intake: ``.venv/bin/python benchmarks/intake.py [--cads N] [--db URL] [--workers W]``.

Generates N realistic CADs (default 10,000, about five lines each) in EDIFACT and XML files from several service
providers with ``pipeline.generate`` — outside the timed part —, registers the providers and importers, drops
the files into the inbound bucket of a temporary CARM_HOME, then times ``run_intake`` from the inbound bucket
to answers and postings (discover, archive, parse, validate against the ledger, assess, post, answer). Prints
files, CADs, lines, seconds and CADs/s, and checks that every CAD was answered and every file archived.

``--db postgresql+psycopg://postgres@127.0.0.1:5432/`` runs on PostgreSQL: the benchmark creates a fresh
database ``carm_bench_<random>`` on that server and drops it afterwards. Default: SQLite in the temporary home.

Target on the project's 2-core machine: 10,000 CADs in at most 30 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_SECONDS = 30.0


@contextmanager
def fresh_postgres_database(server_url: str):  # noqa: ANN201
    """A new database on the server of ``server_url``; its URL; dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(server_url).set(drivername="postgresql+psycopg")
    admin = server.set(drivername="postgresql", database=server.database or "postgres", query={})
    name = f"carm_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]  # our own identifier
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished worker processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(cads: int, db: str | None, workers: int | None, providers: int, seed: int) -> int:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from pipeline.config import Settings
    from pipeline.generate import generate_submissions
    from pipeline.intake import run_intake
    from pipeline.ledger import InboxEntry, LineAssessment, save_registry
    from pipeline.runtime import open_runtime

    home = Path(tempfile.mkdtemp(prefix="carm-bench-intake-"))
    try:
        environ = {"CARM_HOME": str(home)}
        if db:
            environ["CARM_DB_URL"] = db
        runtime = open_runtime(Settings.from_env(environ))
        started = time.perf_counter()
        batch = generate_submissions(
            cads=cads, seed=seed, reference=runtime.reference, start=date(2025, 5, 5), days=1, format="mixed",
            providers=providers,
        )
        generated = time.perf_counter() - started
        with Session(runtime.engine) as session, session.begin():
            save_registry(session, batch.registry)
        inbound = home / "buckets" / "inbound"
        for file in batch.files:
            target = inbound / file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(file.data)
        size = sum(len(file.data) for file in batch.files)
        print(f"generated {len(batch.files):,} files ({size / 1e6:.1f} MB, {batch.declaration_count:,} CADs, "
              f"{providers} providers) in {generated:.1f} s (not timed)", flush=True)

        load = os.getloadavg()[0]  # other work on the machine slows the run: say how busy it was
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        summary = run_intake(runtime, as_of="2025-05-05T18:00", workers=workers)
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before

        with Session(runtime.engine) as session:
            lines = session.scalar(select(func.count()).select_from(LineAssessment))
            archived = session.scalar(select(func.count()).select_from(InboxEntry).where(InboxEntry.archive_key.is_not(None)))
        declarations = summary.accepted + summary.rejected + summary.duplicate
        answered = sum(1 for _ in runtime.buckets.outbound.list())
        runtime.engine.dispose()
        backend = runtime.engine.dialect.name
        print(f"intake on {backend} ({workers or 'auto'} workers): {summary.files:,} files, {declarations:,} CADs, "
              f"{lines:,} lines, {seconds:.1f} s, {declarations / seconds:,.0f} CADs/s; posted {summary.posted_total}; "
              f"{answered:,} answer files, {archived:,} archived; {cpu:.1f} CPU-s (load average before: "
              f"{load:.1f})")
        ok = (declarations == batch.declaration_count and summary.files == len(batch.files) and summary.failed == 0
              and archived == len(batch.files))
        if not ok:
            print("FAILED: not every file was archived and answered", file=sys.stderr)
            return 1
        verdict = "within" if seconds <= TARGET_SECONDS * cads / 10_000 else "OVER"
        print(f"target {TARGET_SECONDS * cads / 10_000:.0f} s for {cads:,} CADs: {verdict}")
        return 0
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cads", type=int, default=10_000)
    parser.add_argument("--db", help="postgresql+psycopg://user@host:port/ : run on a fresh database on that server")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    parser.add_argument("--providers", type=int, default=8, help="service providers sending the files")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.db and args.db.startswith("postgresql"):
        with fresh_postgres_database(args.db) as url:
            return run(args.cads, url, args.workers, args.providers, args.seed)
    return run(args.cads, args.db, args.workers, args.providers, args.seed)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
