"""carm_intake: every pending inbound CAD file, read, checked, assessed, posted and answered.

Wakes up every 5 minutes and whenever a producer emits an event on the ``carm_inbound_declarations`` asset
(``POST /api/v2/assets/events``) after an upload. What to process comes from the inbox table in the ledger,
never from the event: each run claims every pending file, so late, duplicated or lost events are harmless.

    discover_inbound_files ──> process_batch[batch 1/n …] ──> summarize_run ──> fail_if_a_batch_failed

``process_batch`` is mapped over batches of inbox ids; a file's bad content is answered to its sender and never
fails a task. ``summarize_run`` runs even when a batch failed (not when discovery failed, nor when nothing was
pending), logs the run's totals and records them in the ledger's run log; ``fail_if_a_batch_failed`` then
marks the run failed. Store and database faults are retried with backoff; bad configuration fails at once. The run
configuration may carry ``as_of`` (``YYYY-MM-DD[THH:MM]``, Eastern) to replay a past business day.
"""

from __future__ import annotations

from airflow.sdk import (
    Asset,
    AssetOrTimeSchedule,
    CronTriggerTimetable,
    Param,
    TriggerRule,
    dag,
    get_current_context,
    task,
)

from pipeline.orchestration.defaults import (
    BATCH_CONCURRENCY,
    INBOUND_ASSET,
    INTAKE_SWEEP,
    TIMEZONE,
    default_args,
)

#: XCom key of the number of files discovery quarantined (the return value carries the batches).
QUARANTINED = "quarantined"
INBOUND_FILES = Asset(name=INBOUND_ASSET[0], uri=INBOUND_ASSET[1])


@dag(
    dag_id="carm_intake",
    dag_display_name="CARM intake: inbound CAD files",
    description="Archive, parse, validate, assess, post and answer every pending inbound file",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(INTAKE_SWEEP, timezone=TIMEZONE), assets=[INBOUND_FILES]
    ),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params={
        "as_of": Param(None, type=["null", "string"],
                       description="Business moment YYYY-MM-DD[THH:MM], Eastern; empty means now"),
    },
    tags=["carm", "intake"],
    doc_md=__doc__,
)
def carm_intake():
    @task(task_display_name="Discover inbound files")
    def discover_inbound_files() -> list[dict]:
        import logging

        from pipeline.intake import discover, sender_groups
        from pipeline.orchestration.batches import plan_batches
        from pipeline.orchestration.dates import checked_as_of
        from pipeline.orchestration.faults import task_faults
        from pipeline.orchestration.report import as_of_label, discovery_line
        from pipeline.runtime import open_runtime

        log = logging.getLogger("carm.dags")
        context = get_current_context()
        with task_faults("discover inbound files", log):
            as_of = checked_as_of(context["params"].get("as_of"))
            runtime = open_runtime()  # a bad CARM_INTAKE_BATCH_SIZE stops here, before any store or the ledger
            size = runtime.settings.intake_batch_size
            found = discover(runtime, as_of=as_of)
            batches = plan_batches(sender_groups(runtime, found.pending), size)
        log.info("%s", discovery_line(runtime.settings.inbound_url, found.new, found.quarantined,
                                      len(found.pending), len(batches), size,
                                      as_of_label(as_of, runtime.settings.as_of)))
        context["ti"].xcom_push(key=QUARANTINED, value=found.quarantined)
        return batches

    @task(task_display_name="Process a batch of files", map_index_template="{{ batch_label }}",
          max_active_tis_per_dagrun=BATCH_CONCURRENCY)
    def process_batch(batch: dict) -> dict:
        import logging

        from pipeline.intake import process_batch as process
        from pipeline.orchestration.batches import batch_label
        from pipeline.orchestration.dates import checked_as_of
        from pipeline.orchestration.faults import task_faults
        from pipeline.orchestration.intake_results import retry_if_files_failed, to_xcom
        from pipeline.orchestration.report import intake_lines
        from pipeline.runtime import open_runtime

        log = logging.getLogger("carm.dags")
        context = get_current_context()
        label = batch_label(batch)
        context["batch_label"] = label  # type: ignore[typeddict-unknown-key]  # names the mapped instance
        with task_faults(label, log):
            as_of = checked_as_of(context["params"].get("as_of"))
            summary = process(open_runtime(), batch["inbox_ids"], as_of=as_of)
            result = to_xcom(summary)
            for line in intake_lines(result, label):
                log.info("%s", line)
            retry_if_files_failed(summary, label)
        return result

    # Runs once discovery succeeded, whatever became of the batches; skipped when nothing was pending.
    @task(task_display_name="Summarize the run", trigger_rule=TriggerRule.ALL_DONE_MIN_ONE_SUCCESS)
    def summarize_run(results, batches: list[dict]) -> dict:
        import logging

        from pipeline.clock import real_now
        from pipeline.intake import record_run
        from pipeline.orchestration.dates import checked_as_of
        from pipeline.orchestration.faults import task_faults
        from pipeline.orchestration.intake_results import combine, to_xcom
        from pipeline.orchestration.report import failed_batches_line, intake_lines
        from pipeline.runtime import open_runtime

        log = logging.getLogger("carm.dags")
        context = get_current_context()
        done = list(results[:])  # one request for every pushed summary; a batch that failed pushed nothing
        quarantined = context["ti"].xcom_pull(task_ids="discover_inbound_files", key=QUARANTINED) or 0
        total = combine(done, quarantined_at_discovery=int(quarantined))
        with task_faults("summarize the run", log):
            runtime = open_runtime()
            moment = runtime.business_moment(checked_as_of(context["params"].get("as_of")))
            started = context["dag_run"].start_date or real_now()
            record_run(runtime, "intake", moment, started, total)
        result = to_xcom(total)
        for line in intake_lines(result, "run"):
            log.info("%s", line)
        if warning := failed_batches_line(len(batches), len(done)):
            log.warning("%s", warning)
        return result

    @task(task_display_name="Fail the run if a batch failed", trigger_rule=TriggerRule.ONE_FAILED, retries=0)
    def fail_if_a_batch_failed() -> None:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException("at least one batch failed: see the failed process_batch instances")

    batches = discover_inbound_files()
    processed = process_batch.expand(batch=batches)
    summary = summarize_run(processed, batches)
    [processed, summary] >> fail_if_a_batch_failed()


carm_intake()
