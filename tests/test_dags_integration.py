"""The production shape, end to end: a real Airflow runs the CARM DAGs over S3 and PostgreSQL.

Airflow (scheduler, DAG processor, API server; LocalExecutor) keeps its metadata in a fresh PostgreSQL database;
the CARM ledger is another fresh database; the buckets are on moto's S3 server, reached over HTTP through
``AWS_ENDPOINT_URL`` like any S3-compatible service. The test registers a generated world in the ledger, drops
generated files (EDIFACT and XML, a few faulty) in the inbound bucket, triggers ``carm_intake`` through the REST
API and waits for the run; then every file must have its answers in the outbound bucket, and the ledger must
hold, per transaction and charge type, exactly what ``carm assess`` computes for the accepted declarations. A
run with a malformed ``as_of`` must fail without retrying. Then a payments file is dropped (an intake sweep must
leave it alone), ``carm_payments`` and ``carm_daily_notices`` run, and ``carm_close_period`` closes the period.

About 2 to 2.5 minutes on a 2-core machine (Airflow start-up ~30 s, each run 10-30 s). Needs PostgreSQL on
127.0.0.1:5432 (``CARM_TEST_PG_URL``): skipped without one, failed without one under ``CARM_REQUIRE_POSTGRES=1``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL

from tests import pgserver
from tests.airflow_harness import Airflow, running_airflow

pytestmark = [pytest.mark.airflow, pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent
DAG_IDS = {"carm_intake", "carm_daily_notices", "carm_close_period", "carm_payments"}
AS_OF = "2025-06-04T17:00"  # the business moment of intake: within 5 business days of every release date
PERIOD = "2025-06"
CHARGES = ("customs_duty", "surtax", "sima", "excise_duty", "excise_tax", "gst")
RUN_TIMEOUT = 240


@pytest.fixture
def databases(postgres_server: URL) -> Any:
    """Makes fresh databases (the ledger, Airflow's metadata); drops them at the end, after Airflow stopped."""
    made: list[URL] = []

    def make() -> str:
        url = pgserver.create_database(postgres_server)
        made.append(url)
        return url.render_as_string(hide_password=False)

    yield make
    for url in made:
        pgserver.drop_database(postgres_server, url.database or "")


def keys(s3_client: Any, bucket: str, prefix: str = "") -> list[str]:
    pages = s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def run_to_success(airflow: Airflow, dag_id: str, run_id: str) -> None:
    state = airflow.wait_for_run(dag_id, run_id, timeout=RUN_TIMEOUT)
    assert state == "success", airflow.run_report(dag_id, run_id)


def assessed(files: list[Path], sender: str, registry: Path) -> list[dict[str, Any]]:
    """``carm assess --json`` over one sender's files: its declarations with status and totals."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("carm")), "assess", "--json", "--as-of", AS_OF, "--sender", sender,
         "--registry", str(registry), *map(str, files)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]  # 1: some declarations were rejected
    return json.loads(done.stdout)["declarations"]


def expected_postings(batch: Any, tmp_path: Path) -> tuple[dict[tuple[str, str], Decimal], set[str]]:
    """Per (transaction, charge type) what ``carm assess`` computes for the accepted declarations; and the
    transaction numbers it rejects."""
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps(batch.registry_document()))
    by_sender: dict[str, list[Path]] = defaultdict(list)
    for generated in batch.files:
        path = tmp_path / "files" / generated.sender / generated.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(generated.data)
        by_sender[generated.sender].append(path)
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    rejected = set()
    for sender, paths in sorted(by_sender.items()):
        for declaration in assessed(paths, sender, registry):
            if declaration["status"] != "accepted":
                rejected.add(declaration["transaction_number"])
                continue
            for charge in CHARGES:
                expected[(declaration["transaction_number"], charge)] += Decimal(declaration["totals"][charge])
    return {key: amount for key, amount in expected.items() if amount != 0}, rejected


def ledger_rows(ledger_url: str, sql: str) -> list[tuple]:
    from sqlalchemy import create_engine, text

    engine = create_engine(ledger_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql)).all()]
    finally:
        engine.dispose()


def test_the_dags_run_in_airflow_over_s3_and_postgresql(
    tmp_path: Path, s3_endpoint: str, s3_client: Any, databases: Any,
) -> None:
    from sqlalchemy.orm import Session

    from pipeline.config import Settings
    from pipeline.generate import generate_submissions
    from pipeline.ledger import save_registry
    from pipeline.runtime import open_runtime

    ledger_url, metadata_url = databases(), databases()
    suffix = uuid.uuid4().hex[:8]
    buckets = {name: f"carm-{name}-{suffix}" for name in ("inbound", "outbound", "archive")}
    for bucket in buckets.values():
        s3_client.create_bucket(Bucket=bucket)
    carm_env = {
        "CARM_HOME": str(tmp_path / "carm"),
        "CARM_DB_URL": ledger_url,
        "CARM_INBOUND_URL": f"s3://{buckets['inbound']}",
        "CARM_OUTBOUND_URL": f"s3://{buckets['outbound']}",
        "CARM_ARCHIVE_URL": f"s3://{buckets['archive']}",
        "AWS_ENDPOINT_URL": s3_endpoint,
    }

    # The world and its files: the registry goes into the ledger, the files into the inbound bucket.
    runtime = open_runtime(Settings.from_env(carm_env))
    batch = generate_submissions(
        cads=30, seed=20250604, reference=runtime.reference, start=date(2025, 6, 2), days=2, format="mixed",
        invalid_rate=0.15, providers=2, cads_per_file=5, amend_rate=0.0, faults=["S08", "S10", "B10", "B12"],
    )
    assert {f.syntax for f in batch.files} == {"edifact", "xml"}
    assert any(f.expected_codes for f in batch.files), "some files must be faulty"
    with Session(runtime.engine) as session, session.begin():
        save_registry(session, batch.registry)
    for generated in batch.files:
        runtime.buckets.inbound.write(generated.path, generated.data)
    runtime.engine.dispose()
    expected, rejected = expected_postings(batch, tmp_path)
    assert expected and rejected, "the batch must have accepted and rejected declarations"

    # Only the test's own runs: unpausing a DAG otherwise starts a run for its latest cron tick at once.
    no_schedule = {"AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False"}
    with running_airflow(tmp_path / "airflow", metadata_url, extra_env={**carm_env, **no_schedule}) as airflow:
        client = airflow.client
        airflow.wait_for_dags(DAG_IDS, timeout=120)
        for dag_id in DAG_IDS:
            client.set_paused(dag_id, False)

        # --- intake ---------------------------------------------------------------------------------------
        run_id = client.trigger("carm_intake", {"as_of": AS_OF})
        run_to_success(airflow, "carm_intake", run_id)
        report = airflow.run_report("carm_intake", run_id)
        mapped = [ti for ti in client.task_instances("carm_intake", run_id) if ti["task_id"] == "process_batch"]
        summary_log = client.task_log("carm_intake", run_id, "summarize_run")
        summary = client.xcom("carm_intake", run_id, "summarize_run")

        # Operations see what happened: the batch is named after its files, the summary logs outcomes by code.
        assert [ti["rendered_map_index"] for ti in mapped] == [
            f"batch 1/1: {len(batch.files)} files (inbox 1…{len(batch.files)})"], report
        assert f"run: {len(batch.files)} files" in summary_log, summary_log
        codes = sorted(set().union(*(f.expected_codes for f in batch.files)))
        assert sorted(summary["rejected_by_code"]) == codes, summary
        assert "run: rejections by code: " in summary_log
        for code in codes:
            assert f"{code} ×{summary['rejected_by_code'][code]}" in summary_log, summary_log
        for faulty in (f for f in batch.files if f.expected_codes):  # each file with errors, by name
            assert f"run: {faulty.path}: " in summary_log, summary_log

        # Every file has its answers and has left the inbound bucket; the archive keeps it, dated by as_of.
        outbound = keys(s3_client, buckets["outbound"])
        for generated in batch.files:
            answers = [key for key in outbound if key.startswith(f"{generated.sender}/responses/{generated.name}.")]
            assert answers, f"no answer for {generated.path}; outbound holds {sorted(outbound)}"
        assert keys(s3_client, buckets["inbound"]) == []
        archived = keys(s3_client, buckets["archive"])
        assert len(archived) == len({f.data for f in batch.files})
        assert all(key.startswith("2025/06/04/") for key in archived), archived

        # The ledger holds exactly what `carm assess` computes for the accepted declarations, and the run's
        # summary agrees with it.
        rows = ledger_rows(ledger_url, "SELECT transaction_number, charge_type, kind, sum(amount) FROM postings "
                                       "GROUP BY transaction_number, charge_type, kind")
        assert {row[2] for row in rows} == {"assessment"}  # no penalty: accepted within 5 business days
        posted = {(row[0], row[1]): row[3] for row in rows if row[3] != 0}
        assert posted == expected
        assert not rejected & {transaction for transaction, _ in posted}
        statuses = dict(ledger_rows(ledger_url, "SELECT status, count(*) FROM declarations GROUP BY status"))
        assert summary["declarations"] == {"accepted": statuses.get("accepted", 0),
                                           "rejected": statuses.get("rejected", 0), "duplicate": 0}
        assert statuses.get("rejected", 0) >= 1
        assert Decimal(summary["posted_total"]) == sum(expected.values())
        assert summary["files"] == len(batch.files) and summary["failed"] == 0
        assert ledger_rows(ledger_url, "SELECT kind, counts FROM runs WHERE kind = 'intake'")[0][1]["files"] == (
            len(batch.files))

        # --- bad input is never retried ------------------------------------------------------------------
        bad_run = client.trigger("carm_intake", {"as_of": "June 4"})
        assert airflow.wait_for_run("carm_intake", bad_run, timeout=RUN_TIMEOUT) == "failed"
        bad_report = airflow.run_report("carm_intake", bad_run)
        states = {ti["task_id"]: (ti["state"], ti["try_number"])
                  for ti in client.task_instances("carm_intake", bad_run)}
        assert states["discover_inbound_files"] == ("failed", 1), bad_report  # 3 retries configured, none used
        assert states["summarize_run"][0] == "upstream_failed", bad_report
        assert "discover inbound files FAILED, not retried (bad input or configuration): as_of='June 4'" in (
            client.task_log("carm_intake", bad_run, "discover_inbound_files")), bad_report

        # --- payments and daily notices -------------------------------------------------------------------
        importer, owed = max(ledger_rows(ledger_url, "SELECT importer_bn15, sum(amount) FROM postings "
                                                     "GROUP BY importer_bn15"), key=lambda row: row[1])
        payments = ("payment_id,importer,amount,received_at,method\n"
                    f"IT-0001,{importer},100.00,2025-06-05T11:00:00-04:00,electronic\n")
        s3_client.put_object(Bucket=buckets["inbound"], Key="payments/2025-06-05-bank.csv", Body=payments.encode())
        # An intake sweep in between leaves the payments folder alone (storage.layout.is_payments_key).
        sweep = client.trigger("carm_intake", {"as_of": "2025-06-05T12:00"})
        run_to_success(airflow, "carm_intake", sweep)
        assert keys(s3_client, buckets["inbound"]) == ["payments/2025-06-05-bank.csv"]
        assert keys(s3_client, buckets["archive"], "quarantine/") == []
        payments_run = client.trigger("carm_payments", {"as_of": "2025-06-05T18:00"})
        notices_run = client.trigger("carm_daily_notices", {"date": "2025-06-04"})
        run_to_success(airflow, "carm_payments", payments_run)
        run_to_success(airflow, "carm_daily_notices", notices_run)
        loaded = client.xcom("carm_payments", payments_run, "load_payments")
        assert loaded["loaded"] == 1 and loaded["problems"] == 0, loaded
        assert ledger_rows(ledger_url, "SELECT importer_bn15, amount FROM postings WHERE kind = 'payment'") == [
            (importer, Decimal("-100.00"))]
        notices = client.xcom("carm_daily_notices", notices_run, "issue_daily_notices")
        with_postings = {row[0] for row in ledger_rows(
            ledger_url, "SELECT DISTINCT importer_bn15 FROM postings WHERE posting_date = '2025-06-04'")}
        assert {n["importer"] for n in notices["importers"]} == with_postings
        assert set(keys(s3_client, buckets["outbound"], "importers/")) >= {
            f"importers/{bn15}/daily-notices/2025-06-04.xml" for bn15 in with_postings}

        # --- period close ---------------------------------------------------------------------------------
        close_run = client.trigger("carm_close_period", {"period": PERIOD, "as_of": "2025-06-18T06:00"})
        run_to_success(airflow, "carm_close_period", close_run)
        closed = client.xcom("carm_close_period", close_run, "close_period")
        assert (closed["period"], closed["statement_date"]) == (PERIOD, "2025-06-25")
        close_log = client.task_log("carm_close_period", close_run, "close_period")
        assert f"period {PERIOD}: total due " in close_log, close_log
        for output in (f"importers/<BN15>/statements/{PERIOD}.xml", f"finance/{PERIOD}/reconciliation.csv",
                       f"finance/{PERIOD}/security-review.csv"):
            assert f"{buckets['outbound']}/{output}" in close_log, close_log
        assert {s["importer"] for s in closed["statements"]} >= with_postings
        assert f"importers/{importer}/statements/{PERIOD}.xml" in keys(s3_client, buckets["outbound"], "importers/")
        assert owed > 0
