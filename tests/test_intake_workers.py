"""Intake on several worker processes (one sender's files to one worker, each worker keeping its runtime for the
senders it is given next) posts and answers exactly what one process does."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.intake import run_intake
from pipeline.registry import Provider
from tests.model_samples import IMPORTER, SENDER
from tests.test_intake_support import (
    OTHER_SENDER,
    another_ledger,
    cad,
    edifact,
    ledger_snapshot,
    make_runtime,
    outbound,
    test_registry,
    transaction,
    xml,
)

AS_OF = "2025-05-06T17:00"
THIRD_SENDER = "SP00077"
SENDERS = (SENDER, OTHER_SENDER, THIRD_SENDER)


@pytest.fixture
def second_ledger_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from another_ledger(db_backend, request, tmp_path)


def three_senders():  # noqa: ANN201 - a Registry
    registry = test_registry()
    return replace(
        registry,
        providers={**registry.providers, THIRD_SENDER: Provider(THIRD_SENDER, "Third SP")},
        authorizations=registry.authorizations | {(THIRD_SENDER, IMPORTER)},
    )


def intake_with(workers: int, db_url: str, home: Path) -> tuple[object, dict, set[str]]:
    runtime = make_runtime(home, db_url, three_senders())
    try:
        for s, sender in enumerate(SENDERS):
            for n in range(1, 4):
                number = transaction(100 * s + n)
                data = (edifact(cad(number=number), cad(number=transaction(100 * s + 50 + n)),
                                reference=f"ICR{s}{n:05d}", sender=sender)
                        if n % 2 else xml(cad(number=number), reference=f"XML{s}{n:05d}", sender=sender))
                runtime.buckets.inbound.write(f"{sender}/file-{n}.{'edi' if n % 2 else 'xml'}", data)
        summary = run_intake(runtime, as_of=AS_OF, workers=workers)
        snapshot = ledger_snapshot(runtime)
        # Workers interleave the database's counters: the answers' control references (in the stored outcome)
        # and the declaration ids it names are handed out in another order.
        snapshot["control_numbers"] = sorted(snapshot["control_numbers"])
        snapshot["inbox"] = [{k: v for k, v in row.items() if k != "outcome"} for row in snapshot["inbox"]]
        return summary, snapshot, set(outbound(runtime))
    finally:
        runtime.engine.dispose()


def test_two_workers_post_and_answer_what_one_process_does(
    ledger_url: str, second_ledger_url: str, tmp_path: Path
) -> None:
    one, one_ledger, one_answers = intake_with(1, ledger_url, tmp_path / "one")
    two, two_ledger, two_answers = intake_with(2, second_ledger_url, tmp_path / "two")
    assert one.files == two.files == 9 and one.accepted == two.accepted == 15 and not two.failures
    assert (one.rejected, one.posted_total) == (two.rejected, two.posted_total)
    assert one_ledger == two_ledger
    assert one_answers == two_answers and len(two_answers) == 3 * (2 + 2 + 1)  # CONTRL+CUSRES ×2, XML ×1


def test_a_run_uses_a_worker_per_core_when_it_has_a_batch_of_files_or_megabytes_to_read() -> None:
    from pipeline.intake.run import BATCH_FILES, MAX_WORKERS, WORKERS_FROM_BYTES, worker_count

    per_core = min(os.cpu_count() or 1, MAX_WORKERS)
    a_fifth_of_a_day = worker_count(None, 110, 8, None, size=33_000_000)  # 22,000 CADs in 110 files
    assert a_fifth_of_a_day == min(per_core, 8) and WORKERS_FROM_BYTES < 33_000_000
    assert worker_count(None, BATCH_FILES + 1, 40, None, size=1_000) == min(per_core, 40)
    assert worker_count(None, 9, 3, None, size=20_000) == 1  # a few small files: this process
    assert worker_count(None, 110, 1, None, size=33_000_000) == 1  # one sender's files keep their order
    assert worker_count(None, 110, 8, lambda stage, ids: None, size=33_000_000) == 1  # the hook lives here
    assert worker_count(3, 9, 2, None) == 2  # asked for: no more than the senders
