"""Store faults, retries and replays (SQLite and PostgreSQL): a file that hit a fault is recorded, retried and
finished without double posting; ``replay`` processes what never finished, recognises what did, and rebuilds
a ledger that lost its entries from the archive."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pipeline.errors import TransientError
from pipeline.intake import MAX_ATTEMPTS, replay, run_intake
from pipeline.intake.replay import ReplayError
from pipeline.ledger import InboxState
from pipeline.runtime import Runtime
from pipeline.storage import Buckets
from tests.model_samples import SENDER
from tests.test_intake_answers import answers_of
from tests.test_intake_support import (
    OTHER_SENDER,
    another_ledger,
    cad,
    drop,
    edifact,
    inbox_rows,
    make_runtime,
    outbound,
    postings,
    runtime_on,
    transaction,
    xml,
)

AS_OF = "2025-05-06T10:00"


@pytest.fixture
def runtime(ledger_url: str, tmp_path: Path) -> Iterator[Runtime]:
    yield from runtime_on(ledger_url, tmp_path)


class FlakyStore:
    """A store whose writes fail ``failures`` times (an outage), then work."""

    def __init__(self, store, failures: int) -> None:  # noqa: ANN001
        self.store, self.failures = store, failures

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.store, name)

    def write(self, key: str, data: bytes):  # noqa: ANN201
        if self.failures > 0:
            self.failures -= 1
            raise TransientError(f"{key}: store unreachable (simulated)")
        return self.store.write(key, data)


def with_flaky(runtime: Runtime, bucket: str, failures: int) -> Runtime:
    buckets = dataclasses.replace(runtime.buckets, **{bucket: FlakyStore(getattr(runtime.buckets, bucket), failures)})
    assert isinstance(buckets, Buckets)
    return dataclasses.replace(runtime, buckets=buckets)


def test_an_outbound_outage_is_recorded_and_the_next_run_answers_without_posting_again(runtime: Runtime) -> None:
    drop(runtime, f"{SENDER}/one.edi", edifact(cad()))
    summary = run_intake(with_flaky(runtime, "outbound", 1), as_of=AS_OF)
    assert summary.failed == 1 and summary.failures[0].retryable and "unreachable" in summary.failures[0].error
    (row,) = inbox_rows(runtime)
    assert row.state is InboxState.FAILED and "unreachable" in row.last_error and row.outcome is not None
    posted = [p.id for p in postings(runtime)]
    again = run_intake(runtime, as_of=AS_OF)
    assert again.failed == 0 and again.files == 1
    (row,) = inbox_rows(runtime)
    assert row.state is InboxState.ANSWERED and row.last_error is None and row.attempts == 2
    assert [p.id for p in postings(runtime)] == posted
    said = answers_of(outbound(runtime), SENDER, "one.edi")
    assert said["contrl"] == "7" and [m["status"] for m in said["messages"]] == ["AC"]


def test_an_archive_outage_leaves_the_file_to_later_runs_until_its_attempts_run_out(runtime: Runtime) -> None:
    drop(runtime, f"{SENDER}/one.xml", xml(cad()))
    flaky = with_flaky(runtime, "archive", MAX_ATTEMPTS)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        summary = run_intake(flaky, as_of=AS_OF)
        assert summary.failed == 1
        (row,) = inbox_rows(runtime)
        assert (row.state, row.attempts, row.archive_key) == (InboxState.FAILED, attempt, None)
    assert run_intake(runtime, as_of=AS_OF).files == 0  # given up: left to operations, the file kept
    assert postings(runtime) == [] and outbound(runtime) == {}
    assert [info.key for info in runtime.buckets.inbound.list()] == [f"{SENDER}/one.xml"]


def test_replay_processes_archived_files_that_never_finished(runtime: Runtime) -> None:
    drop(runtime, f"{SENDER}/one.edi", edifact(cad()))
    flaky = with_flaky(runtime, "outbound", 10 * MAX_ATTEMPTS)
    for _ in range(MAX_ATTEMPTS):
        run_intake(flaky, as_of=AS_OF)
    (row,) = inbox_rows(runtime)
    assert row.state is InboxState.FAILED and row.attempts == MAX_ATTEMPTS and row.outcome is not None
    posted = [p.id for p in postings(runtime)]
    result = replay(runtime, day=date(2025, 5, 6), as_of=AS_OF)
    assert (result.selected, result.processed, result.already_processed) == (1, 0, 1)
    assert outbound(runtime) == {}  # processed already: only --reanswer writes its answers
    result = replay(runtime, sender=SENDER, reanswer=True, as_of=AS_OF)
    assert result.reanswered == 1 and [p.id for p in postings(runtime)] == posted
    assert answers_of(outbound(runtime), SENDER, "one.edi")["contrl"] == "7"
    (row,) = inbox_rows(runtime)
    assert row.state is InboxState.ANSWERED


def test_replay_rebuilds_a_ledger_that_lost_its_entries_from_the_archive(runtime: Runtime, tmp_path: Path,
                                                                         second_ledger: str) -> None:
    data = edifact(cad(), cad(number=transaction(7), index=2))
    drop(runtime, f"{SENDER}/one.edi", data)
    run_intake(runtime, as_of=AS_OF)
    original = sorted((p.transaction_number, str(p.charge_type), p.amount) for p in postings(runtime))
    # A ledger restored from a backup older than the run: the archive has the file, the ledger does not.
    restored = make_runtime(runtime.settings.home, second_ledger)
    try:
        digest = hashlib.sha256(data).hexdigest()
        result = replay(restored, day=date(2025, 5, 6), as_of=AS_OF)
        assert (result.selected, result.processed, result.skipped) == (1, 1, ())
        assert sorted((p.transaction_number, str(p.charge_type), p.amount) for p in postings(restored)) == original
        said = answers_of(outbound(restored), SENDER, digest)
        assert said["contrl"] == "7" and [m["status"] for m in said["messages"]] == ["AC", "AC"]
        again = replay(restored, day=date(2025, 5, 6), as_of=AS_OF)
        assert (again.processed, again.already_processed) == (0, 1)
        assert len(postings(restored)) == len(original)
    finally:
        restored.engine.dispose()


def test_replay_of_one_sender_rebuilds_only_that_senders_files(runtime: Runtime, second_ledger: str) -> None:
    drop(runtime, f"{SENDER}/mine.edi", edifact(cad()))
    drop(runtime, f"{OTHER_SENDER}/theirs.edi", edifact(cad(number=transaction(8)), sender=OTHER_SENDER))
    run_intake(runtime, as_of=AS_OF)
    restored = make_runtime(runtime.settings.home, second_ledger)
    try:
        result = replay(restored, day=date(2025, 5, 6), sender=OTHER_SENDER, as_of=AS_OF)
        assert (result.processed, result.skipped) == (1, ())
        assert {p.transaction_number for p in postings(restored)} == {transaction(8)}
    finally:
        restored.engine.dispose()


def test_replay_of_a_sender_nobody_registered_is_refused(runtime: Runtime) -> None:
    with pytest.raises(ReplayError, match="'NOBODY1' is not a registered service provider"):
        replay(runtime, day=date(2025, 5, 6), sender="NOBODY1", as_of=AS_OF)


@pytest.fixture
def second_ledger(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from another_ledger(db_backend, request, tmp_path)
