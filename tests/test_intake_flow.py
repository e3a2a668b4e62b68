"""Intake end to end on generated submissions (SQLite and PostgreSQL): every file answered exactly as judged,
postings equal to the assessed amounts, re-dropped files not processed twice, quarantine."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.generate import generate_submissions
from pipeline.intake import discover_pending, process_batch, run_intake
from pipeline.intake.answering import StoredOutcome
from pipeline.ledger import DeclarationRecord, InboxState, LineAssessment, Posting, save_registry
from pipeline.reference import load_reference
from pipeline.registry import Registry
from pipeline.runtime import Runtime
from pipeline.storage import BucketNotFound, layout
from tests.model_samples import SENDER
from tests.test_intake_answers import answers_of
from tests.test_intake_support import (
    OTHER_SENDER,
    cad,
    drop,
    edifact,
    inbound_keys,
    inbox_rows,
    make_runtime,
    outbound,
    postings,
    runtime_on,
    test_registry,
    transaction,
    xml,
)

AS_OF = "2025-05-06T17:00"
FAULTS = ["S13", "B04", "B05", "A01", "A03", "B10", "A02"]  # seed 1 makes every one of them
CHARGES = {"customs_duty": "CUD", "surtax": "SUR", "sima": "ADD", "excise_duty": "EXD", "excise_tax": "EXT", "gst": "GST"}


@pytest.fixture
def runtime(ledger_url: str, tmp_path: Path) -> Iterator[Runtime]:
    yield from runtime_on(ledger_url, tmp_path)

def test_clean_run_answers_every_file_as_judged_and_posts_the_assessed_amounts(ledger_url: str, tmp_path: Path) -> None:
    batch = generate_submissions(
        cads=80, seed=1, reference=load_reference(None), start=date(2025, 5, 5), days=2, format="mixed",
        invalid_rate=0.25, ledger_faults=True, amend_rate=0.05, providers=2, cads_per_file=5, faults=FAULTS,
    )
    runtime = make_runtime(tmp_path, ledger_url, batch.registry)
    try:
        for file in batch.files:
            drop(runtime, file.path, file.data)
        summary = run_intake(runtime, as_of=AS_OF)

        registered = set(batch.registry.providers)
        in_folders = [f for f in batch.files if f.sender in registered]
        outside = [f for f in batch.files if f.sender not in registered]
        assert outside and summary.quarantined == len(outside)
        assert summary.files == len(in_folders) and summary.failed == 0
        rows = {row.key: row for row in inbox_rows(runtime)}
        answers = outbound(runtime)
        total_declarations = 0
        for file in in_folders:
            row = rows[file.path]
            assert row.state is InboxState.ANSWERED
            stored = StoredOutcome.from_json(row.outcome)
            codes = {f.code for f in stored.file_findings if not f.is_warning}
            codes |= {f.code for d in stored.declarations for f in d.findings if not f.is_warning}
            assert codes == set(file.expected_codes), file.path
            said = answers_of(answers, file.sender, file.name)
            total_declarations += len(stored.declarations)
            if file.syntax == "edifact":
                assert said["contrl"] == ("4" if stored.file_findings else "7")
            if stored.file_findings:  # rejected at file level: no CUSRES; every XML response RE
                assert all(m["status"] == "RE" for m in said["messages"])
                continue
            assert [m["status"] for m in said["messages"]] == [d.status for d in stored.declarations]
            for message, judged in zip(said["messages"], stored.declarations, strict=True):
                assert set(message["codes"]) == {f.code for f in judged.findings}
        assert summary.accepted + summary.rejected + summary.duplicate == total_declarations
        # Quarantined files: archived under quarantine/, never answered, gone from the inbound bucket.
        for file in outside:
            row = rows[file.path]
            assert row.state is InboxState.QUARANTINED and "A01" in row.reason
            assert row.archive_key.startswith("quarantine/")
            assert runtime.buckets.archive.read(row.archive_key) == file.data
            assert not any(key.startswith(f"{file.sender}/") for key in answers)
        assert inbound_keys(runtime) == []
        # Every file is archived byte for byte under the day it was received.
        for file in in_folders:
            row = rows[file.path]
            assert row.archive_key == layout.archive_key(date(2025, 5, 6), row.sha256)
            assert runtime.buckets.archive.read(row.archive_key) == file.data

        # Postings: for every transaction, what is posted equals the assessed amounts of its latest version.
        with Session(runtime.engine) as session:
            accepted = session.scalars(select(DeclarationRecord).where(DeclarationRecord.status == "accepted")).all()
            latest: dict[str, DeclarationRecord] = {}
            for record in accepted:
                if record.transaction_number not in latest or record.version > latest[record.transaction_number].version:
                    latest[record.transaction_number] = record
            posted: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
            for p in session.scalars(select(Posting)):
                posted[p.transaction_number][str(p.charge_type)] += p.amount
            for number, record in latest.items():
                lines = session.scalars(select(LineAssessment).where(LineAssessment.declaration_id == record.id)).all()
                assert lines
                for charge in CHARGES:
                    assert posted[number][charge] == sum((getattr(line, charge) for line in lines), Decimal("0.00"))
            assert sum(p.amount for p in session.scalars(select(Posting))) == summary.posted_cents / Decimal(100)
        assert any(record.function == "4" for record in accepted), "the batch holds valid changes"
    finally:
        runtime.engine.dispose()


def test_accepted_amounts_in_answers_are_the_stored_line_assessments(runtime: Runtime) -> None:
    two_lines = (cad(), cad(number=transaction(3273), index=2))
    drop(runtime, f"{SENDER}/a.edi", edifact(*two_lines))
    drop(runtime, f"{SENDER}/b.xml", xml(cad(number=transaction(3372))))
    run_intake(runtime, as_of="2025-05-06T10:00")
    answers = outbound(runtime)
    said = answers_of(answers, SENDER, "a.edi")["messages"] + answers_of(answers, SENDER, "b.xml")["messages"]
    assert [m["status"] for m in said] == ["AC", "AC", "AC"]
    for message in said:
        with Session(runtime.engine) as session:
            record = session.scalars(select(DeclarationRecord).where(
                DeclarationRecord.transaction_number == message["transaction_number"])).one()
            lines = session.scalars(select(LineAssessment).where(LineAssessment.declaration_id == record.id)).all()
        for line in lines:
            assert message["lines"][line.line]["CUD"] == line.customs_duty
            assert message["lines"][line.line]["GST"] == line.gst
            assert message["lines"][line.line]["TOT"] == line.total
            assert line.explanation["exact"]["vfd"] and "exchange_rate" in line.explanation["reference"]
        assert message["totals"]["TOT"] == sum(line.total for line in lines)
        posted = postings(runtime, record.transaction_number)
        assert {str(p.kind) for p in posted} == {"assessment"}
        assert sum(p.amount for p in posted) == message["totals"]["TOT"]
        assert all(p.period == "2025-05" and p.due_date == date(2025, 5, 30) for p in posted)


def test_a_file_dropped_again_under_its_name_is_not_processed_twice(runtime: Runtime) -> None:
    data = edifact(cad())
    drop(runtime, f"{SENDER}/first.edi", data)
    first = run_intake(runtime, as_of="2025-05-06T10:00")
    assert first.accepted == 1
    before_postings, before_answers = len(postings(runtime)), outbound(runtime)

    drop(runtime, f"{SENDER}/first.edi", data)  # same key, same bytes: the same object version
    again = run_intake(runtime, as_of="2025-05-07T10:00")
    assert (again.files, again.already_processed, again.accepted, again.duplicate) == (0, 1, 0, 0)
    assert len(postings(runtime)) == before_postings
    assert outbound(runtime) == before_answers  # the first answers stand, untouched
    assert len(inbox_rows(runtime)) == 1  # the same key and ETag is entered once
    assert inbound_keys(runtime) == []


def test_the_same_bytes_under_another_name_are_answered_as_duplicates_and_post_nothing(runtime: Runtime) -> None:
    clean, faulty = cad(), cad(number=transaction(77), version=2, function="4")  # B05: no accepted version yet
    data = edifact(clean, faulty)
    drop(runtime, f"{SENDER}/first.edi", data)
    run_intake(runtime, as_of="2025-05-06T10:00")
    assert [m["status"] for m in answers_of(outbound(runtime), SENDER, "first.edi")["messages"]] == ["AC", "RE"]
    before_postings, first_answers = len(postings(runtime)), outbound(runtime)

    drop(runtime, f"{SENDER}/resent.edi", data)  # a provider re-sends after losing the answer
    again = run_intake(runtime, as_of="2025-05-07T10:00")
    assert (again.files, again.already_processed, again.duplicate, again.rejected) == (1, 0, 1, 1)
    said = answers_of(outbound(runtime), SENDER, "resent.edi")
    assert said["contrl"] == "7" and [m["status"] for m in said["messages"]] == ["DU", "RE"]
    assert len(postings(runtime)) == before_postings
    assert {key: outbound(runtime)[key] for key in first_answers} == first_answers
    with Session(runtime.engine) as session:  # one interchange: the second file is the same one received again
        assert len(session.scalars(select(DeclarationRecord.interchange_id).distinct()).all()) == 1


def test_a_quarantined_file_dropped_again_after_its_sender_is_registered_is_processed(tmp_path: Path,
                                                                                     ledger_url: str) -> None:
    registry = test_registry()
    runtime = make_runtime(tmp_path / "home", ledger_url, Registry(providers={}, importers=registry.importers))
    try:
        data = edifact(cad())
        drop(runtime, f"{SENDER}/early.edi", data)
        assert run_intake(runtime, as_of="2025-05-06T10:00").quarantined == 1
        with Session(runtime.engine) as session, session.begin():
            save_registry(session, registry)
        drop(runtime, f"{SENDER}/early.edi", data)
        later = run_intake(runtime, as_of="2025-05-07T10:00")
        assert (later.files, later.accepted, later.quarantined) == (1, 1, 0)
        [row] = inbox_rows(runtime)
        assert row.state is InboxState.ANSWERED and row.business_date == date(2025, 5, 7)
        assert "was quarantined" in row.reason
        assert [m["status"] for m in answers_of(outbound(runtime), SENDER, "early.edi")["messages"]] == ["AC"]
        archived = [info.key for info in runtime.buckets.archive.list()]
        assert any(key.startswith("quarantine/") for key in archived) and len(archived) == 2
    finally:
        runtime.engine.dispose()


def test_a_copy_of_a_processed_file_in_another_senders_folder_is_rejected_a03(runtime: Runtime) -> None:
    data = edifact(cad())
    drop(runtime, f"{SENDER}/mine.edi", data)
    run_intake(runtime, as_of="2025-05-06T10:00")
    drop(runtime, f"{OTHER_SENDER}/stolen.edi", data)
    summary = run_intake(runtime, as_of="2025-05-06T11:00")
    assert summary.rejected_by_code.get("A03") == 1 and summary.accepted == summary.duplicate == 0
    assert answers_of(outbound(runtime), OTHER_SENDER, "stolen.edi")["contrl"] == "4"


def test_files_outside_registered_sender_folders_are_quarantined(runtime: Runtime) -> None:
    data = edifact(cad())
    drop(runtime, "loose.edi", data)
    drop(runtime, "NOBODY123/x.edi", edifact(cad(), sender="NOBODY123"))
    drop(runtime, f"{SENDER}/deeper/y.edi", data)
    pending = discover_pending(runtime, as_of="2025-05-06T10:00")
    assert pending == []
    rows = {row.key: row for row in inbox_rows(runtime)}
    assert {key: row.state for key, row in rows.items()} == dict.fromkeys(rows, InboxState.QUARANTINED)
    assert "not inside a sender folder" in rows["loose.edi"].reason
    assert "A01" in rows["NOBODY123/x.edi"].reason
    for row in rows.values():
        assert row.archive_key.startswith("quarantine/2025/05/06/")
        assert runtime.buckets.archive.exists(row.archive_key)
    assert outbound(runtime) == {} and inbound_keys(runtime) == [] and postings(runtime) == []
    assert process_batch(runtime, [row.id for row in rows.values()], as_of="2025-05-06T10:00").files == 0


def test_an_archive_bucket_that_is_not_a_folder_stops_the_run_and_the_file_waits_for_the_fix(
    tmp_path: Path, ledger_url: str,
) -> None:
    misconfigured = tmp_path / "archive-is-a-file"
    misconfigured.write_text("not a folder")
    runtime = make_runtime(tmp_path / "home", ledger_url, CARM_ARCHIVE_URL=misconfigured.as_uri())
    try:
        drop(runtime, f"{SENDER}/one.edi", edifact(cad()))
        with pytest.raises(BucketNotFound, match="not a folder"):
            run_intake(runtime, as_of="2025-05-06T10:00")
        [row] = inbox_rows(runtime)
        assert row.state is InboxState.RECEIVED and row.last_error is None  # not failed: not the file's fault
    finally:
        runtime.engine.dispose()
    fixed = make_runtime(tmp_path / "home", ledger_url)
    try:
        assert run_intake(fixed, as_of="2025-05-06T11:00").accepted == 1
        assert [row.state for row in inbox_rows(fixed)] == [InboxState.ANSWERED]
    finally:
        fixed.engine.dispose()
