"""Exactly once, whatever happens (SQLite and PostgreSQL): an intake interrupted after any stage and run again
ends with exactly the ledger, answers and inbox of a clean run; two workers on the same files post them once;
a real ``carm intake`` process killed mid-run and started again does too (SQLite)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from pipeline.generate import generate_submissions
from pipeline.intake import (
    MAX_ATTEMPTS,
    STAGES,
    StageHook,
    discover,
    discover_pending,
    process_batch,
    run_intake,
)
from pipeline.intake.lease import leased
from pipeline.ledger import InboxEntry, InboxState
from pipeline.reference import load_reference
from pipeline.registry import Registry
from tests.model_samples import SENDER
from tests.test_intake_answers import answers_of
from tests.test_intake_support import (
    OTHER_SENDER,
    another_ledger,
    cad,
    drop,
    edifact,
    inbound_keys,
    inbox_rows,
    ledger_snapshot,
    make_runtime,
    outbound,
    postings,
    test_registry,
)

AS_OF = "2025-05-06T17:00"


class Interrupted(Exception):
    """Stands for the process dying at that point."""


def dying_after(stage: str) -> StageHook:
    """An intake stage hook that dies (raises ``Interrupted``) once ``stage`` is done."""

    def die(reached: str, ids: Sequence[int]) -> None:
        if reached == stage:
            raise Interrupted(stage)

    return die


def submissions() -> tuple[Registry, list[tuple[str, bytes]]]:
    """A day of generated files (faults, ledger faults, changes) plus a re-dropped copy and a stray file."""
    batch = generate_submissions(
        cads=40, seed=1, reference=load_reference(None), start=date(2025, 5, 5), days=2, format="mixed",
        invalid_rate=0.2, ledger_faults=True, amend_rate=0.1, providers=2, cads_per_file=4,
    )
    files = [(f.path, f.data) for f in batch.files]
    files += [(f"{files[0][0]}.copy", files[0][1]), ("stray.edi", files[0][1])]
    return batch.registry, files


@pytest.fixture
def second_ledger_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from another_ledger(db_backend, request, tmp_path)


def clean_run(url: str, home: Path, registry: Registry, files: list[tuple[str, bytes]]):  # noqa: ANN201
    runtime = make_runtime(home, url, registry)
    for key, data in files:
        drop(runtime, key, data)
    run_intake(runtime, as_of=AS_OF)
    return runtime


def everything(runtime) -> dict:  # noqa: ANN001
    return {**ledger_snapshot(runtime), "outbound": outbound(runtime), "inbound": inbound_keys(runtime)}


def assert_same(mine: dict, clean: dict) -> None:
    for part in clean:
        assert mine[part] == clean[part], part


@pytest.mark.parametrize("stage", STAGES)
def test_an_intake_interrupted_after_any_stage_ends_like_a_clean_run(
    stage: str, ledger_url: str, second_ledger_url: str, tmp_path: Path,
) -> None:
    registry, files = submissions()
    clean = clean_run(second_ledger_url, tmp_path / "clean", registry, files)
    runtime = make_runtime(tmp_path / "crash", ledger_url, registry)
    try:
        for key, data in files:
            drop(runtime, key, data)
        with pytest.raises(Interrupted):
            run_intake(runtime, as_of=AS_OF, after_stage=dying_after(stage))
        assert any(row.state is not InboxState.ANSWERED for row in inbox_rows(runtime))
        again = run_intake(runtime, as_of=AS_OF)
        assert again.failed == 0
        assert_same(everything(runtime), everything(clean))
        assert all(row.state in (InboxState.ANSWERED, InboxState.QUARANTINED) for row in inbox_rows(runtime))
    finally:
        runtime.engine.dispose()
        clean.engine.dispose()


def test_two_workers_on_the_same_files_post_each_file_once(ledger_url: str, second_ledger_url: str,
                                                           tmp_path: Path) -> None:
    registry, files = submissions()
    clean = clean_run(second_ledger_url, tmp_path / "clean", registry, files)
    runtime = make_runtime(tmp_path / "race", ledger_url, registry)
    try:
        for key, data in files:
            drop(runtime, key, data)
        pending = discover_pending(runtime, as_of=AS_OF)
        start = threading.Barrier(2)
        results, faults = [], []

        def worker(ids: list[int]) -> None:
            start.wait()
            try:
                results.append(process_batch(runtime, ids, as_of=AS_OF))
            except BaseException as exc:  # noqa: BLE001 - reported below
                faults.append(exc)

        # The same files (in another order: a worker takes them in inbox order whatever it is given). A worker
        # given only later files would judge a change before its original is posted, as it should.
        threads = [threading.Thread(target=worker, args=(pending,)),
                   threading.Thread(target=worker, args=(list(reversed(pending)),))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert faults == []
        mine, theirs = ledger_snapshot(runtime), ledger_snapshot(clean)
        for table in ("interchanges", "declarations", "line_assessments", "postings"):
            assert mine[table] == theirs[table], table
        assert sum(s.accepted for s in results) == sum(1 for d in theirs["declarations"] if d["status"] == "accepted")
        assert all(row.state in (InboxState.ANSWERED, InboxState.QUARANTINED) for row in inbox_rows(runtime))
        # Every file has its answers (their control references may differ: a losing attempt spends numbers).
        assert set(outbound(runtime)) == set(outbound(clean))
        for key in outbound(runtime):
            sender, _, name = key.partition("/responses/")
            for suffix in (".contrl.edi", ".cusres.edi", ".response.xml"):
                if name.endswith(suffix):
                    answers_of(outbound(runtime), sender, name.removesuffix(suffix))  # parses and validates
    finally:
        runtime.engine.dispose()
        clean.engine.dispose()


def test_s3_buckets_on_a_real_s3_endpoint(ledger_url: str, tmp_path: Path, s3_endpoint: str, s3_bucket: str) -> None:
    environ = {
        "CARM_INBOUND_URL": f"s3://{s3_bucket}/inbound", "CARM_OUTBOUND_URL": f"s3://{s3_bucket}/outbound",
        "CARM_ARCHIVE_URL": f"s3://{s3_bucket}/archive", "AWS_ENDPOINT_URL": s3_endpoint,
    }
    runtime = make_runtime(tmp_path, ledger_url, **environ)
    try:
        data = edifact(cad())
        drop(runtime, f"{SENDER}/one.edi", data)
        drop(runtime, "stray.edi", data)
        summary = run_intake(runtime, as_of=AS_OF)
        assert (summary.files, summary.accepted, summary.quarantined) == (1, 1, 1)
        said = answers_of(outbound(runtime), SENDER, "one.edi")
        assert said["contrl"] == "7" and [m["status"] for m in said["messages"]] == ["AC"]
        archived = [info.key for info in runtime.buckets.archive.list()]
        assert len(archived) == 2 and any(key.startswith("quarantine/") for key in archived)
        assert all(runtime.buckets.archive.read(key) == data for key in archived)
        assert inbound_keys(runtime) == [] and len(postings(runtime)) > 0
    finally:
        runtime.engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_a_killed_carm_intake_process_run_again_ends_like_a_clean_run(ledger_url: str, second_ledger_url: str,
                                                                      tmp_path: Path) -> None:
    registry = test_registry()
    files = [(f"{SENDER}/f{n:03d}.edi", edifact(cad(number=_number(n)), reference=f"ICR{n}")) for n in range(60)]
    clean = clean_run(second_ledger_url, tmp_path / "clean", registry, files)
    runtime = make_runtime(tmp_path / "killed", ledger_url, registry)
    try:
        for key, data in files:
            drop(runtime, key, data)
        environ = {**os.environ, "CARM_HOME": str(tmp_path / "killed"), "CARM_DB_URL": ledger_url,
                   "CARM_AS_OF": AS_OF}
        command = [sys.executable, "-m", "pipeline.cli", "intake", "--json", "--workers", "1"]
        process = subprocess.Popen(command, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        archive = tmp_path / "killed" / "buckets" / "archive"
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline and not any(archive.rglob("*")):
            time.sleep(0.01)  # kill it once it is under way: the archive has begun to fill
        process.send_signal(signal.SIGKILL)
        process.wait()
        finished = subprocess.run(command, env=environ, capture_output=True, timeout=120)
        assert finished.returncode == 0, finished.stderr.decode()
        assert_same(everything(runtime), everything(clean))
    finally:
        runtime.engine.dispose()
        clean.engine.dispose()


def _number(sequence: int) -> str:
    from tests.test_intake_support import transaction

    return transaction(10_000 + sequence)


def test_a_posted_file_is_answered_whatever_attempts_kills_used_up(ledger_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path / "home", ledger_url, test_registry())
    try:
        drop(runtime, f"{SENDER}/one.edi", edifact(cad()))
        with pytest.raises(Interrupted):
            run_intake(runtime, as_of=AS_OF, after_stage=dying_after("posted"))
        with Session(runtime.engine) as session, session.begin():  # as after MAX_ATTEMPTS killed runs
            session.execute(update(InboxEntry).values(state=InboxState.FAILED, attempts=MAX_ATTEMPTS))
        again = run_intake(runtime, as_of=AS_OF)
        assert (again.files, again.accepted, again.failed) == (1, 1, 0)
        assert [row.state for row in inbox_rows(runtime)] == [InboxState.ANSWERED]
        assert answers_of(outbound(runtime), SENDER, "one.edi")["contrl"] == "7"
    finally:
        runtime.engine.dispose()


@pytest.mark.parametrize("db_backend", ["postgresql"])
def test_a_sender_another_running_intake_holds_is_left_to_it(ledger_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path / "home", ledger_url, test_registry())
    try:
        drop(runtime, f"{SENDER}/one.edi", edifact(cad(), reference="ICR1"))
        drop(runtime, f"{OTHER_SENDER}/two.edi", edifact(cad(number=_number(2)), reference="ICR2", sender=OTHER_SENDER))
        pending = discover_pending(runtime, as_of=AS_OF)
        rows = {row.key: row.id for row in inbox_rows(runtime)}
        with leased(runtime.engine, [rows[f"{SENDER}/one.edi"]]) as held:  # another intake is working on SENDER
            assert held == [rows[f"{SENDER}/one.edi"]]
            summary = process_batch(runtime, pending, as_of=AS_OF)
            assert (summary.files, summary.accepted) == (1, 1)
            state = {row.key: (row.state, row.attempts) for row in inbox_rows(runtime)}
            assert state[f"{SENDER}/one.edi"] == (InboxState.RECEIVED, 0)  # not claimed, no attempt counted
            assert state[f"{OTHER_SENDER}/two.edi"][0] is InboxState.ANSWERED
        later = run_intake(runtime, as_of=AS_OF)  # the holder is gone (it died, or finished elsewhere)
        assert (later.files, later.accepted) == (1, 1)
        assert all(row.state is InboxState.ANSWERED for row in inbox_rows(runtime))
    finally:
        runtime.engine.dispose()


def test_two_intakes_listing_at_once_quarantine_and_count_each_stray_file_once(ledger_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path / "home", ledger_url, test_registry())
    try:
        for n in range(6):
            drop(runtime, f"NOBODY{n}/x.edi", edifact(cad(), sender=f"NOBODY{n}"))
        start = threading.Barrier(2)
        counts: list[int] = []

        def listing() -> None:
            start.wait()
            counts.append(discover(runtime, as_of=AS_OF).quarantined)

        threads = [threading.Thread(target=listing) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(counts) == 6
        assert [row.state for row in inbox_rows(runtime)] == [InboxState.QUARANTINED] * 6
        assert inbound_keys(runtime) == []
    finally:
        runtime.engine.dispose()
