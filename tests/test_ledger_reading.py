"""Transactions that only read (``ledger.database.reading``) do not queue behind a writer: on SQLite, where
every other transaction takes the write lock up front, an intake worker judging its files reads the ledger
while another worker posts."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.ledger import Provider
from pipeline.ledger.database import engine_for, reading


def test_a_reader_reads_the_committed_ledger_while_a_writer_holds_the_lock(
    sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "carm.db"
    shutil.copyfile(sqlite_template, path)
    engine = engine_for(f"sqlite:///{path}")
    try:
        with Session(engine) as writer, writer.begin():
            writer.add(Provider(id="SP00042", name="Acme"))
            writer.flush()  # the write lock is held until the end of this block
            started = time.perf_counter()
            with Session(reading(engine)) as reader, reader.begin():
                seen = reader.scalar(select(func.count()).select_from(Provider))
            waited = time.perf_counter() - started
        assert seen == 0  # the snapshot committed before the writer's transaction
        assert waited < 1.0  # not queued behind the writer (busy_timeout would have made it wait, then fail)
        with Session(reading(engine)) as reader:
            assert reader.scalar(select(func.count()).select_from(Provider)) == 1
    finally:
        engine.dispose()
