"""The helpers the DAG tasks call (``pipeline.orchestration``): batches, run dates, fault families, log lines."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import ConfigurationError, TerminalError, TransientError
from pipeline.orchestration.batches import batch_label, plan_batches
from pipeline.orchestration.dates import (
    checked_as_of,
    checked_date,
    checked_period,
    eastern_date,
    notice_date,
    period_to_close,
)
from pipeline.orchestration.defaults import default_args
from pipeline.orchestration.faults import FaultKind, classify, task_faults
from pipeline.orchestration.report import by_code, failed_batches_line, intake_lines

ROOT = Path(__file__).resolve().parent.parent

# --- batches ---------------------------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    groups=st.lists(st.lists(st.integers(1, 10**6), min_size=1, max_size=80), max_size=12).map(
        lambda groups: _distinct(groups)
    ),
    size=st.integers(1, 60),
)
def test_batches_keep_every_id_once_and_never_split_a_sender(groups: list[list[int]], size: int) -> None:
    batches = plan_batches(groups, size)
    assert [i for b in batches for i in b["inbox_ids"]] == [i for g in groups for i in g]
    for group in groups:
        (holder,) = [b for b in batches if group[0] in b["inbox_ids"]]
        assert set(group) <= set(holder["inbox_ids"])  # a sender's files travel together
    for batch in batches:
        whole_groups = [g for g in groups if g[0] in batch["inbox_ids"]]
        assert len(batch["inbox_ids"]) <= size or len(whole_groups) == 1  # only a large sender exceeds the size
    assert [b["number"] for b in batches] == list(range(1, len(batches) + 1))
    assert all(b["of"] == len(batches) for b in batches)
    json.dumps(batches)  # they travel through XCom


def _distinct(groups: list[list[int]]) -> list[list[int]]:
    seen: set[int] = set()
    out = []
    for group in groups:
        kept = [i for i in dict.fromkeys(group) if i not in seen]
        seen.update(kept)
        if kept:
            out.append(kept)
    return out


def test_no_pending_file_means_no_batch_and_the_mapped_task_is_skipped() -> None:
    assert plan_batches([], 50) == []
    with pytest.raises(ValueError):
        plan_batches([[1]], 0)


def test_a_batch_is_named_after_its_place_and_files() -> None:
    first, second = plan_batches([[7, 8, 9], [12]], 3)
    assert batch_label(first) == "batch 1/2: 3 files (inbox 7…9)"
    assert batch_label(second) == "batch 2/2: 1 file (inbox 12)"


# --- dates -----------------------------------------------------------------------------------------------------


def test_run_times_are_read_on_the_eastern_calendar() -> None:
    # 03:30 UTC on June 2 is 23:30 on June 1 in Toronto (EDT, UTC-4).
    assert eastern_date(datetime(2025, 6, 2, 3, 30, tzinfo=UTC)) == date(2025, 6, 1)
    assert eastern_date(datetime(2025, 6, 2, 3, 30)) == date(2025, 6, 1)  # naive: UTC, as Airflow stores it


def test_a_notice_run_after_midnight_reports_the_day_before() -> None:
    # The 00:30 Eastern run of June 3 (04:30 UTC) reports June 2.
    assert notice_date(datetime(2025, 6, 3, 4, 30, tzinfo=UTC)) == date(2025, 6, 2)
    # In winter (EST, UTC-5) too: 05:30 UTC on January 10 is 00:30 Eastern.
    assert notice_date(datetime(2025, 1, 10, 5, 30, tzinfo=UTC)) == date(2025, 1, 9)


@pytest.mark.parametrize(
    ("run_on", "period"),
    [
        (date(2025, 6, 18), "2025-06"),  # the scheduled run: the day after the period ends
        (date(2025, 6, 30), "2025-06"),
        (date(2025, 7, 17), "2025-06"),  # 2025-07 has not ended yet on its last day
        (date(2025, 1, 5), "2024-12"),  # across a year
        (date(2025, 1, 18), "2025-01"),
    ],
)
def test_the_period_closed_is_the_last_one_that_has_ended(run_on: date, period: str) -> None:
    assert period_to_close(run_on) == period


def test_the_scheduled_close_run_closes_the_period_ending_the_day_before() -> None:
    # 06:00 Eastern on June 18 is 10:00 UTC.
    assert period_to_close(datetime(2025, 6, 18, 10, 0, tzinfo=UTC)) == "2025-06"


def test_run_configuration_values_are_checked_as_terminal_faults() -> None:
    assert checked_as_of(None) is None and checked_as_of("  ") is None
    assert checked_as_of("2025-06-03T10:00") == "2025-06-03T10:00"
    assert checked_date("2025-06-02", "date") == date(2025, 6, 2)
    assert checked_period("2025-06") == "2025-06"
    for bad in (lambda: checked_as_of("June 3"), lambda: checked_date("2025-13-01", "date"),
                lambda: checked_period("2025-6")):
        with pytest.raises(ConfigurationError):
            bad()


# --- faults ----------------------------------------------------------------------------------------------------


def test_faults_fall_into_their_families() -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError

    assert classify(ConfigurationError("CARM_DB_URL=…")) is FaultKind.TERMINAL
    assert classify(TerminalError("bad file")) is FaultKind.TERMINAL
    assert classify(TransientError("store unreachable")) is FaultKind.TRANSIENT
    assert classify(ConnectionResetError()) is FaultKind.TRANSIENT
    assert classify(OperationalError("SELECT 1", {}, Exception("server closed the connection"))) is FaultKind.TRANSIENT
    assert classify(IntegrityError("INSERT", {}, Exception("duplicate key"))) is FaultKind.UNEXPECTED
    assert classify(KeyError("x")) is FaultKind.UNEXPECTED


def test_retryable_faults_are_logged_and_re_raised_unchanged(caplog: pytest.LogCaptureFixture) -> None:
    fault = TransientError("s3://carm-inbound: store unreachable")
    with caplog.at_level(logging.WARNING, logger="carm.dags"), pytest.raises(TransientError) as raised:
        with task_faults("batch 1/2"):
            raise fault
    assert raised.value is fault
    assert "batch 1/2 hit a store, database or network fault; Airflow retries it" in caplog.text


TERMINAL_IN_AIRFLOW = r"""
from airflow.sdk.exceptions import AirflowFailException
from pipeline.errors import ConfigurationError
from pipeline.orchestration.faults import task_faults
try:
    with task_faults("discover inbound files"):
        raise ConfigurationError("CARM_INBOUND_URL='ftp://x': only file:// and s3:// URLs are supported")
except AirflowFailException as exc:
    print("FAIL-NO-RETRY:", exc, "| cause:", type(exc.__cause__).__name__)
"""


def test_bad_configuration_fails_the_task_without_retry(tmp_path: Path) -> None:
    # In a subprocess: importing Airflow configures logging for the whole process.
    done = subprocess.run([sys.executable, "-c", TERMINAL_IN_AIRFLOW], capture_output=True, text=True, cwd=ROOT,
                          env={"AIRFLOW_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert ("FAIL-NO-RETRY: discover inbound files: CARM_INBOUND_URL='ftp://x': only file:// and s3:// URLs are "
            "supported | cause: ConfigurationError") in done.stdout


def test_every_dag_gets_its_own_default_args() -> None:
    first, second = default_args(), default_args()
    assert first == second and first is not second
    assert first["retries"] == 3 and first["retry_exponential_backoff"] == 2.0


# --- log lines -------------------------------------------------------------------------------------------------


def test_intake_lines_say_files_outcomes_codes_and_amounts() -> None:
    summary = {"files": 12, "interchanges": 11, "quarantined": 1,
               "declarations": {"accepted": 40, "rejected": 5, "duplicate": 1},
               "rejected_by_code": {"S08": 1, "B10": 4}, "posted_total": "12345.67",
               "rejected_files": [{"key": "SP1/a.edi", "codes": {"S08": 1}, "rejected": 0, "declarations": 0},
                                  {"key": "SP2/b.xml", "codes": {"B10": 4}, "rejected": 4, "declarations": 9}]}
    assert intake_lines(summary, "run") == [
        "run: 12 files, 11 interchanges, 1 quarantined",
        "run: declarations accepted 40, rejected 5, duplicate 1",
        "run: rejections by code: B10 ×4, S08 ×1",
        "run: posted 12,345.67 CAD",
        "run: SP1/a.edi: rejected as a whole: S08 ×1",
        "run: SP2/b.xml: 4 of 9 declarations rejected: B10 ×4",
    ]
    assert by_code({}) == "none"


def test_a_summary_names_at_most_fifty_rejected_files_and_counts_the_rest() -> None:
    rejected = [{"key": f"SP1/{n}.edi", "codes": {"B10": 1}, "rejected": 1, "declarations": 2} for n in range(53)]
    lines = intake_lines({"rejected_files": rejected}, "run")
    assert lines[4] == "run: SP1/0.edi: 1 of 2 declarations rejected: B10 ×1"
    assert len(lines) == 4 + 50 + 1
    assert lines[-1] == "run: … and 3 more files with rejections (each batch's log names its own)"


def test_rejected_files_come_out_of_intake_by_name_and_through_xcom(sqlite_template: Path, tmp_path: Path) -> None:
    """A real batch: each file with errors is named with its own codes, after the trip through XCom."""
    import shutil

    from pipeline.intake import discover, process_batch
    from pipeline.orchestration.intake_results import combine, to_xcom
    from tests.model_samples import SENDER
    from tests.test_intake_support import cad, drop, edifact, make_runtime

    shutil.copyfile(sqlite_template, tmp_path / "carm.db")
    runtime = make_runtime(tmp_path, f"sqlite:///{tmp_path / 'carm.db'}")
    try:
        drop(runtime, f"{SENDER}/good.edi", edifact(cad()))
        drop(runtime, f"{SENDER}/half.edi", edifact(cad(), cad(number="12345"), reference="ICR000018"))
        drop(runtime, f"{SENDER}/noise.edi", b"this is not EDIFACT")
        as_of = "2025-05-06T10:00"
        summary = process_batch(runtime, discover(runtime, as_of=as_of).pending, as_of=as_of)
    finally:
        runtime.engine.dispose()
    pushed = json.loads(json.dumps(to_xcom(summary)))  # as XCom stores it
    lines = intake_lines(to_xcom(combine([pushed])), "run")
    named = sorted(line for line in lines if line.startswith(f"run: {SENDER}/"))
    assert len(named) == 2, lines
    assert named[0].startswith(f"run: {SENDER}/half.edi: 1 of 2 declarations rejected: "), named
    assert named[1].startswith(f"run: {SENDER}/noise.edi: rejected as a whole: S"), named
    assert sum(int(part.rsplit("×", 1)[1]) for line in named for part in line.split(": ", 3)[3].split(", ")) == \
        sum(summary.rejected_by_code.values())


def test_failed_batches_are_reported_only_when_there_are_some() -> None:
    assert failed_batches_line(3, 3) is None
    line = failed_batches_line(3, 1)
    assert line is not None and line.startswith("2 batches of 3 FAILED")


def test_notice_lines_name_every_notice_written() -> None:
    from pipeline.orchestration.report import notices_lines

    assert notices_lines({"date": "2025-06-02", "notices": 0, "postings": 0, "importers": []}) == [
        "daily notices for 2025-06-02: none (no postings that day)"]
    result = {"date": "2025-06-02", "notices": 1, "postings": 3, "importers": [
        {"importer": "123456782RM0001", "key": "importers/123456782RM0001/daily-notices/2025-06-02.xml",
         "postings": 3, "total": "154.10"}]}
    assert notices_lines(result) == [
        "daily notices for 2025-06-02: 1 importer notified, 3 postings",
        "daily notice importers/123456782RM0001/daily-notices/2025-06-02.xml: 3 postings, total 154.10 CAD",
    ]
    result["importers"][0]["total"] = "-1234567.80"
    assert notices_lines(result)[1].endswith("total -1,234,567.80 CAD")


def test_batch_summaries_survive_xcom_and_add_up_with_the_quarantined_files() -> None:
    from types import MappingProxyType

    from pipeline.intake import FileFailure, IntakeSummary
    from pipeline.orchestration.intake_results import combine, from_xcom, to_xcom

    first = IntakeSummary(files=3, interchanges=3, accepted=20, rejected=2, duplicate=1, posted_cents=123456,
                          seconds=1.5, rejected_by_code=MappingProxyType({"B10": 2}))
    second = IntakeSummary(files=2, interchanges=1, accepted=4, rejected=3, already_processed=1, posted_cents=-1001,
                           rejected_by_code=MappingProxyType({"B10": 1, "S08": 2}),
                           failures=(FileFailure(9, "SP1/x.edi", "archive: store unreachable", True),))
    pushed = [json.loads(json.dumps(to_xcom(s))) for s in (first, second)]  # as XCom stores them
    assert from_xcom(pushed[1]).failures == second.failures
    total = combine(pushed, quarantined_at_discovery=2)
    expected = first.merge(second)
    assert total.counts() == {**expected.counts(), "quarantined": 2}
    assert total.posted_total == "1224.55"
    assert dict(total.rejected_by_code) == {"B10": 3, "S08": 2}
    assert combine([]).counts()["files"] == 0


def test_a_scheduled_run_acts_at_the_moment_it_was_due() -> None:
    from pipeline.orchestration.dates import run_moment

    # The close of June 18, due 06:00 Eastern (10:00 UTC), acts at that moment however late it runs.
    assert run_moment(datetime(2025, 6, 18, 10, 0, tzinfo=UTC)) == "2025-06-18T06:00"
    assert checked_as_of(run_moment(datetime(2025, 1, 18, 11, 0))) == "2025-01-18T06:00"


def test_payments_and_discovery_lines_read_as_sentences() -> None:
    from pipeline.orchestration.report import discovery_line, payments_lines

    result = {"files": [{"file": "payments/2025-06-05.csv", "rows": 1, "loaded": 1, "already_loaded": 0,
                         "rejected": 0, "amount": "10000.00", "applied": "6000.00", "credit": "4000.00",
                         "problems": []}], "skipped": [], "loaded": 1, "problems": 0}
    assert payments_lines(result) == [
        "payments: 1 new file, 1 payment loaded, 0 problems; 0 files skipped (loaded before, or not *.csv)",
        "payments file payments/2025-06-05.csv: 1 row, 1 loaded for 10,000.00 CAD (applied 6,000.00, credit "
        "4,000.00), 0 already loaded, 0 rejected",
    ]
    assert discovery_line("s3://in", 7, 1, 6, 1, 50, "now") == (
        "inbound s3://in: 7 new files listed, 1 quarantined (outside a registered sender's folder), 6 files pending "
        "in 1 batch of at most 50 (as of now)")


def test_the_as_of_in_the_logs_is_the_one_the_run_acts_at() -> None:
    from pipeline.orchestration.report import as_of_label

    configured = datetime(2025, 6, 17, 17, 0)  # CARM_AS_OF
    assert as_of_label(None, configured) == "2025-06-17T17:00 (CARM_AS_OF)"
    assert as_of_label("2025-06-03T09:30", configured) == "2025-06-03T09:30 (run configuration)"
    assert as_of_label(None, None) == "now"


def test_close_lines_give_the_period_its_totals_its_checks_and_where_its_outputs_are() -> None:
    from pipeline.orchestration.report import close_lines, close_outputs

    charges = {"customs_duty": "1000.00", "gst": "250.50"}
    result = {"period": "2025-06", "start": "2025-05-18", "end": "2025-06-17", "statement_date": "2025-06-25",
              "due_date": "2025-07-02",
              "statements": [{"importer": "123456782RM0001", "closing_balance": "1234567.89", "charges": charges,
                              "payments": "-2000.00", "interest": "12.34", "penalties": "200.00"},
                             {"importer": "987654321RM0001", "closing_balance": "-1500.00", "charges": charges,
                              "payments": "0.00", "interest": "0.00", "penalties": "0.00"}],
              "security_review": [{"importer": "123456782RM0001", "shortfall": "25000.00"}],
              "reconciliation": {"differences": [{"importer": "x"}, {"importer": "y"}]}}

    class Written:  # what a billing.CloseSummary says about its outputs
        outbound_url, already_closed = "s3://carm-out/", False
        statement_keys, broker_keys = ("a.xml", "a.csv", "a.pdf", "b.xml", "b.csv", "b.pdf"), ("c.xml",)
        finance_keys = ("finance/2025-06/reconciliation.csv", "finance/2025-06/reconciliation.html",
                        "finance/2025-06/security-review.csv")

    assert close_lines(result, close_outputs(Written())) == [
        "period 2025-06 (2025-05-18 to 2025-06-17): 2 statements dated 2025-06-25, due 2025-07-02",
        "period 2025-06: total due 1,234,567.89 CAD, credit balances 1,500.00 CAD; charges 2,501.00 CAD, "
        "payments -2,000.00 CAD, interest 12.34 CAD, penalties 200.00 CAD",
        "period 2025-06: security review lists 1 importer short of security, shortfall 25,000.00 CAD",
        "period 2025-06: reconciliation has 2 differences",
        "period 2025-06: importer statements: s3://carm-out/importers/<BN15>/statements/2025-06.xml | .csv | .pdf "
        "(6 files)",
        "period 2025-06: broker statements: s3://carm-out/brokers/<BN9>/statements/2025-06.xml (1 file)",
        "period 2025-06: reconciliation (CSV): s3://carm-out/finance/2025-06/reconciliation.csv",
        "period 2025-06: reconciliation (page): s3://carm-out/finance/2025-06/reconciliation.html",
        "period 2025-06: security review: s3://carm-out/finance/2025-06/security-review.csv",
    ]


def test_a_batch_is_retried_only_for_files_whose_fault_may_pass() -> None:
    from pipeline.intake import FileFailure, IntakeSummary
    from pipeline.orchestration.intake_results import retry_if_files_failed

    gone = FileFailure(3, "SP1/gone.edi", "archive: s3://in/SP1/gone.edi not found", retryable=False)
    flaky = FileFailure(4, "SP1/b.edi", "archive: store unreachable", retryable=True)
    retry_if_files_failed(IntakeSummary(files=2), "batch 1/1")
    retry_if_files_failed(IntakeSummary(files=2, failures=(gone,)), "batch 1/1")  # reported, not retried
    with pytest.raises(TransientError, match=r"batch 1/1: 1 file\(s\) hit a store or database fault \(SP1/b.edi\)"):
        retry_if_files_failed(IntakeSummary(files=2, failures=(gone, flaky)), "batch 1/1")
