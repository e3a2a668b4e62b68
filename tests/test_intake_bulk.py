"""A batch is posted with one statement per table, not one per file (issue 11): interchanges, declarations,
answer control references, the inbox outcomes, line assessments and postings. (What the database refuses
sends the batch file by file: tests/test_intake_isolation.py and the concurrency tests of test_intake_recovery.)"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from pipeline.intake import run_intake
from pipeline.runtime import Runtime
from tests.model_samples import SENDER
from tests.test_intake_support import (
    cad,
    declarations,
    edifact,
    outbound,
    postings,
    runtime_on,
    transaction,
    xml,
)

AS_OF = "2025-05-06T17:00"
FILES = 6


@pytest.fixture
def runtime(ledger_url: str, tmp_path: Path) -> Iterator[Runtime]:
    yield from runtime_on(ledger_url, tmp_path)


def drop_files(runtime: Runtime) -> None:
    for n in range(1, FILES + 1):
        if n % 2:
            data = edifact(cad(number=transaction(n)), cad(number=transaction(100 + n)), reference=f"ICR{n:06d}")
        else:
            data = xml(cad(number=transaction(n)), reference=f"XML{n:06d}")
        runtime.buckets.inbound.write(f"{SENDER}/file-{n}.{'edi' if n % 2 else 'xml'}", data)


def writes(runtime: Runtime) -> tuple[Counter[str], Counter[str]]:
    """Statements that write, by table: as our code executes them (many rows in one execute count once), and
    as the driver sends them to the database."""
    executed: Counter[str] = Counter()
    sent: Counter[str] = Counter()

    def table(statement: Any) -> str | None:
        found = re.match(r"\s*(INSERT INTO|UPDATE)\s+(\w+)", str(statement))
        return found.group(2) if found else None

    def on_execute(conn: Any, clauseelement: Any, multiparams: Any, params: Any, options: Any) -> None:
        if (name := table(clauseelement)) is not None:
            executed[name] += 1

    def on_cursor(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if (name := table(statement)) is not None:
            sent[name] += 1

    event.listen(runtime.engine, "before_execute", on_execute)
    event.listen(runtime.engine, "before_cursor_execute", on_cursor)
    return executed, sent


def test_a_batch_writes_each_ledger_table_in_one_statement(runtime: Runtime) -> None:
    drop_files(runtime)
    executed, sent = writes(runtime)
    summary = run_intake(runtime, as_of=AS_OF, workers=1)
    assert summary.files == FILES and summary.accepted == 9 and not summary.failures
    if runtime.engine.dialect.name == "postgresql":
        # Interchanges, declarations (ids drawn from their sequence first), line assessments and postings go by
        # COPY, not an INSERT; the answers' control references are one INSERT … RETURNING, sent once.
        for table in ("interchanges", "declarations", "line_assessments", "postings"):
            assert executed[table] == 0 and sent[table] == 0, (table, executed)
        assert executed["control_numbers"] == 1 and sent["control_numbers"] == 1, (executed, sent)
    else:  # one executemany per table (SQLite's driver runs it row by row in process)
        for table in ("interchanges", "declarations", "control_numbers"):
            assert executed[table] == 1, (table, executed)
        # line assessments and postings: the driver's executemany, values converted once by ledger.bulk
        assert executed["line_assessments"] == 0 and executed["postings"] == 0, executed
    assert len(declarations(runtime)) == 9
    assert {p.transaction_number for p in postings(runtime)} >= {transaction(n) for n in range(1, FILES + 1)}
    assert len([key for key in outbound(runtime) if key.endswith(".contrl.edi")]) == FILES // 2
