"""Outbound interchange control references: issued by the database, unique, increasing, never reused."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from pipeline.ledger import ControlNumber, next_control_reference


def issue(engine: Engine, recipient: str = "SP00042") -> str:
    with Session(engine) as session, session.begin():
        return next_control_reference(session, recipient)


def test_references_fit_unb_0020_and_increase(ledger_engine: Engine) -> None:
    issued = [issue(ledger_engine) for _ in range(3)]
    assert all(len(reference) == 14 and reference.isdigit() for reference in issued)
    assert issued == sorted(issued) and len(set(issued)) == 3
    assert int(issued[0]) >= 1


def test_two_threads_never_receive_the_same_reference(ledger_engine: Engine) -> None:
    per_thread: dict[str, list[str]] = {"SP1": [], "SP2": []}
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def work(recipient: str) -> None:
        try:
            start.wait()
            for _ in range(25):
                per_thread[recipient].append(issue(ledger_engine, recipient))
        except Exception as exc:  # reported to the main thread below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(recipient,)) for recipient in per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    everything = per_thread["SP1"] + per_thread["SP2"]
    assert len(everything) == 50 and len(set(everything)) == 50
    for references in per_thread.values():
        assert references == sorted(references)


def test_a_committed_reference_is_never_issued_again(ledger_engine: Engine) -> None:
    first = issue(ledger_engine)
    with Session(ledger_engine) as session:
        abandoned = next_control_reference(session, "SP00042")
        session.rollback()
    # Even when the row recording the last number is removed, its number stays spent.
    with Session(ledger_engine) as session, session.begin():
        session.execute(delete(ControlNumber))
    later = issue(ledger_engine)
    assert later > first
    if ledger_engine.dialect.name == "postgresql":
        assert later > abandoned  # a sequence never goes back, even past a rollback
