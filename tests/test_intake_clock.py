"""Intake reads the real time only through ``pipeline.clock``: with that clock stopped, every real time intake
records (inbox, declarations, postings, answer control numbers, the run log) is that instant, so a run can be
reproduced and audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import clock
from pipeline.intake import run_intake
from pipeline.ledger import ControlNumber, DeclarationRecord, InboxEntry, Posting, Run
from pipeline.runtime import Runtime
from tests.model_samples import SENDER
from tests.test_intake_support import cad, edifact, runtime_on, transaction, xml

STOPPED = datetime(2025, 5, 6, 21, 0, 7, tzinfo=UTC)


@pytest.fixture
def runtime(ledger_url: str, tmp_path: Path) -> Iterator[Runtime]:
    yield from runtime_on(ledger_url, tmp_path)


def test_every_real_time_intake_records_comes_from_the_clock(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "real_now", lambda: STOPPED)
    runtime.buckets.inbound.write(f"{SENDER}/a.edi", edifact(cad(number=transaction(1)), reference="ICR000001"))
    runtime.buckets.inbound.write(f"{SENDER}/b.xml", xml(cad(number=transaction(2))))
    summary = run_intake(runtime, as_of="2025-05-06T17:00", workers=1)
    assert summary.files == 2 and summary.accepted == 2
    with Session(runtime.engine) as session:
        times = {
            "inbox": {t for row in session.execute(select(InboxEntry.received_at, InboxEntry.updated_at)) for t in row},
            "declarations": {t for row in session.execute(
                select(DeclarationRecord.created_at, DeclarationRecord.posted_at)) for t in row},
            "postings": set(session.scalars(select(Posting.posted_at))),
            "control numbers": set(session.scalars(select(ControlNumber.issued_at))),
            "runs": {t for row in session.execute(select(Run.started_at, Run.finished_at)) for t in row},
        }
    assert times == dict.fromkeys(times, {STOPPED})


def test_only_pipeline_clock_reads_the_wall_clock() -> None:
    """The business moment and the real time of postings come from ``pipeline.clock`` alone (tests and replays
    set the moment; nothing else may read the time behind their back)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    reads = re.compile(r"\b(?:datetime\.now|datetime\.utcnow|date\.today|time\.time)\(")
    readers = [str(path.relative_to(root)) for folder in ("pipeline", "dags") for path in (root / folder).rglob("*.py")
               if path.name != "clock.py" and reads.search(path.read_text(encoding="utf-8"))]
    assert readers == []
