"""One file's own fault stays that file's (SQLite and PostgreSQL): a reader, validator, assessor or answer
writer raising on one file's content, or a per-row database error (a value the column cannot hold) while
posting it, quarantines that file with the reason; every other file is answered, the run does not stop
(``carm intake`` exits 1, not 2), and the next run does not try it again. Only outages are retried."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError, OperationalError

from pipeline.intake import process as process_module
from pipeline.intake import records, run_intake
from pipeline.ledger import InboxState, Posting
from pipeline.orchestration.faults import FaultKind, classify
from pipeline.runtime import Runtime
from tests.model_samples import SENDER
from tests.test_intake_support import (
    cad,
    edifact,
    inbound_keys,
    inbox_rows,
    outbound,
    postings,
    runtime_on,
    transaction,
    xml,
)

AS_OF = "2025-05-06T17:00"


@pytest.fixture
def runtime(ledger_url: str, tmp_path: Path) -> Iterator[Runtime]:
    yield from runtime_on(ledger_url, tmp_path)


def three_files(runtime: Runtime) -> bytes:
    """Two good files and, between them, one whose content our code will be made to fail on: its bytes."""
    bad = edifact(cad(number=transaction(2)), reference="ICR000002")
    runtime.buckets.inbound.write(f"{SENDER}/a-good.edi", edifact(cad(number=transaction(1)), reference="ICR000001"))
    runtime.buckets.inbound.write(f"{SENDER}/b-bad.edi", bad)
    runtime.buckets.inbound.write(f"{SENDER}/c-good.xml", xml(cad(number=transaction(3))))
    return bad


def row_of(runtime: Runtime, name: str) -> Any:
    return next(row for row in inbox_rows(runtime) if row.key == f"{SENDER}/{name}")


def assert_isolated(runtime: Runtime, summary: Any, fault: str) -> None:
    """The good files answered and posted, the bad one quarantined with ``fault`` in its reason, nothing to retry."""
    answers = outbound(runtime)
    for name in ("a-good.edi.contrl.edi", "a-good.edi.cusres.edi", "c-good.xml.response.xml"):
        assert f"{SENDER}/responses/{name}" in answers
    assert not any("b-bad" in key for key in answers)
    bad = row_of(runtime, "b-bad.edi")
    assert bad.state is InboxState.QUARANTINED, (bad.state, bad.last_error)
    assert fault in bad.reason
    assert bad.archive_key.startswith("quarantine/") and runtime.buckets.archive.exists(bad.archive_key)
    assert inbound_keys(runtime) == []
    assert {p.transaction_number for p in postings(runtime)} == {transaction(1), transaction(3)}
    assert summary.quarantined == 1 and summary.files == 2
    assert [(f.key, f.retryable) for f in summary.failures] == [(f"{SENDER}/b-bad.edi", False)]
    assert fault in summary.failures[0].error


def failing_for(bad: bytes, original: Any, exc: BaseException, *, position: int = 0) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        subject = args[position]
        data = getattr(subject, "data", subject)
        if data == bad:
            raise exc
        return original(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize("stage", ["parse", "judge"])
def test_a_reader_or_validator_bug_on_one_file_quarantines_it_and_spares_the_others(
    stage: str, runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = three_files(runtime)
    name = {"parse": "read_submission", "judge": "judge_file"}[stage]
    original = getattr(process_module, name)
    calls = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return failing_for(bad, original, TypeError("'NoneType' object is not subscriptable"))(*args, **kwargs)

    monkeypatch.setattr(process_module, name, counted)
    summary = run_intake(runtime, as_of=AS_OF)
    assert_isolated(runtime, summary, "TypeError: 'NoneType' object is not subscriptable")
    assert stage in row_of(runtime, "b-bad.edi").reason
    calls.clear()
    again = run_intake(runtime, as_of=AS_OF)
    assert calls == [] and again.failures == () and again.quarantined == 0


def test_an_assessment_bug_on_one_file_quarantines_it(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    three_files(runtime)
    original = process_module.assess_records

    def assess(records: Any, declarations: Any, reference: Any) -> Any:
        if any(d.transaction_number == transaction(2) for d in declarations):
            raise KeyError("tariff row")
        return original(records, declarations, reference)

    monkeypatch.setattr(process_module, "assess_records", assess)
    assert_isolated(runtime, run_intake(runtime, as_of=AS_OF), "KeyError")


def overflow(session: Any) -> None:
    """A real per-row database error where the database can raise one, else SQLAlchemy's DataError."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT CAST(10000000000000000 AS NUMERIC(18,2))"))
    raise DataError("INSERT INTO postings …", {}, Exception("numeric field overflow"))


def test_a_value_the_database_cannot_hold_quarantines_that_file_only(runtime: Runtime,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    bad = three_files(runtime)
    original = records.insert_declarations

    def insert(session: Any, rows: list[dict]) -> Any:
        if any(row["transaction_number"] == transaction(2) for row in rows):
            overflow(session)
        return original(session, rows)

    monkeypatch.setattr(records, "insert_declarations", insert)
    assert bad
    assert_isolated(runtime, run_intake(runtime, as_of=AS_OF), "numeric field overflow")


def test_a_posting_the_database_cannot_hold_quarantines_its_file_only(runtime: Runtime,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    three_files(runtime)
    original = records.insert_rows

    def insert_rows(session: Any, model: Any, rows: list[dict]) -> Any:
        if model is Posting and any(row["transaction_number"] == transaction(2) for row in rows):
            overflow(session)
        return original(session, model, rows)

    monkeypatch.setattr(records, "insert_rows", insert_rows)
    assert_isolated(runtime, run_intake(runtime, as_of=AS_OF), "numeric field overflow")


def test_an_answer_that_cannot_be_rendered_quarantines_the_posted_file_and_replay_answers_it_later(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipeline.intake import replay

    three_files(runtime)
    original = process_module.render_answers

    def render(outcome: Any, stored: Any) -> Any:
        if outcome.file_name == "b-bad.edi":
            raise ValueError("cannot format amount")
        return original(outcome, stored)

    monkeypatch.setattr(process_module, "render_answers", render)
    summary = run_intake(runtime, as_of=AS_OF)
    bad = row_of(runtime, "b-bad.edi")
    assert bad.state is InboxState.QUARANTINED and "cannot format amount" in bad.reason
    assert "replay" in bad.reason  # the postings stand; the reason says how to answer once fixed
    assert transaction(2) in {p.transaction_number for p in postings(runtime)}
    assert [f.retryable for f in summary.failures] == [False]
    assert run_intake(runtime, as_of=AS_OF).failures == ()
    monkeypatch.setattr(process_module, "render_answers", original)
    result = replay(runtime, sha256=bad.sha256, reanswer=True, as_of=AS_OF)
    assert result.reanswered == 1
    assert f"{SENDER}/responses/b-bad.edi.cusres.edi" in outbound(runtime)


def test_an_outage_is_retried_not_quarantined(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = three_files(runtime)
    original = process_module.read_submission
    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
    monkeypatch.setattr(process_module, "read_submission", failing_for(bad, original, lost))
    summary = run_intake(runtime, as_of=AS_OF)
    assert [f.retryable for f in summary.failures] == [True] and summary.quarantined == 0
    assert row_of(runtime, "b-bad.edi").state is InboxState.FAILED
    monkeypatch.setattr(process_module, "read_submission", original)
    assert run_intake(runtime, as_of=AS_OF).files == 1
    assert row_of(runtime, "b-bad.edi").state is InboxState.ANSWERED


def test_classify_tells_outages_from_defects_and_per_row_database_errors() -> None:
    assert classify(OperationalError("x", {}, Exception("timeout"))) is FaultKind.TRANSIENT
    assert classify(ConnectionRefusedError()) is FaultKind.TRANSIENT
    for defect in (TypeError("x"), ValueError("x"), KeyError("x"), DataError("x", {}, Exception("overflow"))):
        assert classify(defect) is not FaultKind.TRANSIENT


def test_carm_intake_reports_the_quarantined_file_and_exits_1_then_0(carm: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_cli_intake import drop, registered

    registered(carm)
    bad = edifact(cad(number=transaction(2)), reference="ICR000002")
    drop(carm, f"{SENDER}/a-good.edi", edifact(cad(number=transaction(1)), reference="ICR000001"))
    drop(carm, f"{SENDER}/b-bad.edi", bad)
    original = process_module.read_submission
    monkeypatch.setattr(process_module, "read_submission",
                        failing_for(bad, original, IndexError("list index out of range")))
    code, out, err = carm("intake", "--json", "--as-of", AS_OF)
    assert code == 1, err
    document = json.loads(out)
    assert document["files"] == 1 and document["quarantined"] == 1
    assert document["not_answered"] == [{
        "file": f"{SENDER}/b-bad.edi", "state": "quarantined",
        "reason": document["not_answered"][0]["reason"],
    }]
    assert "IndexError: list index out of range" in document["not_answered"][0]["reason"]
    assert "b-bad.edi" in err and "quarantined" in err and "Traceback" not in err
    code, out, err = carm("intake", "--as-of", AS_OF)
    assert code == 0 and "0 file(s) answered" in out and "b-bad" not in err


def test_a_value_the_database_cannot_even_look_up_quarantines_that_file_only(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The batch reads the ledger once for every file's transaction numbers: a value the database refuses in
    that query (not an outage) is narrowed down to its file, the others judged on their own."""
    three_files(runtime)
    original = records.load_view

    def load_view(session: Any, numbers: Any, *args: Any) -> Any:
        if transaction(2) in set(numbers):
            overflow(session)
        return original(session, numbers, *args)

    monkeypatch.setattr(records, "load_view", load_view)
    assert_isolated(runtime, run_intake(runtime, as_of=AS_OF), "numeric field overflow")


def test_a_file_replaced_after_it_was_listed_fails_alone_and_its_new_version_is_taken(runtime: Runtime) -> None:
    """The inbox entry names the version that was listed; a file replaced before it is archived fails (for good:
    that version is gone), the others of the batch are answered, and the new version is a new entry."""
    from pipeline.intake import discover_pending, process_batch

    three_files(runtime)
    pending = discover_pending(runtime, as_of=AS_OF)
    replaced = edifact(cad(number=transaction(4)), reference="ICR000004")
    runtime.buckets.inbound.write(f"{SENDER}/b-bad.edi", replaced)
    summary = process_batch(runtime, pending, as_of=AS_OF)
    assert summary.files == 2
    [failure] = summary.failures
    assert failure.key == f"{SENDER}/b-bad.edi" and not failure.retryable and "changed since it was listed" in failure.error
    assert row_of(runtime, "b-bad.edi").state is InboxState.FAILED
    assert run_intake(runtime, as_of=AS_OF).files == 1  # the new version
    assert transaction(4) in {p.transaction_number for p in postings(runtime)}


def test_a_disk_or_network_fault_is_an_outage() -> None:
    assert classify(OSError(28, "No space left on device")) is FaultKind.TRANSIENT
    assert classify(ConnectionResetError()) is FaultKind.TRANSIENT
