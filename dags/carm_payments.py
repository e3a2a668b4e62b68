"""carm_payments: applies the payments files dropped in the inbound bucket under ``payments/<file>.csv``.

Wakes up when a producer emits an event on the ``carm_inbound_payments`` asset, and sweeps hourly. Which files
to load comes from the bucket and the ledger, not from the event; a payment ID is applied once, whatever
happens (billing.md), so a re-run or a retry never applies a payment twice.
"""

from __future__ import annotations

from airflow.sdk import (
    Asset,
    AssetOrTimeSchedule,
    CronTriggerTimetable,
    Param,
    dag,
    get_current_context,
    task,
)

from pipeline.orchestration.defaults import PAYMENTS_ASSET, PAYMENTS_SWEEP, TIMEZONE, default_args

PAYMENTS_FILES = Asset(name=PAYMENTS_ASSET[0], uri=PAYMENTS_ASSET[1])


@dag(
    dag_id="carm_payments",
    dag_display_name="CARM payments",
    description="Load and apply the payments files of the inbound bucket",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(PAYMENTS_SWEEP, timezone=TIMEZONE), assets=[PAYMENTS_FILES]
    ),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params={"as_of": Param(None, type=["null", "string"], description="Business moment YYYY-MM-DD[THH:MM]")},
    tags=["carm", "billing"],
    doc_md=__doc__,
)
def carm_payments():
    @task(task_display_name="Load payments files")
    def load_payments() -> dict:
        import logging

        from pipeline.billing import load_payments_from_bucket
        from pipeline.orchestration.dates import checked_as_of
        from pipeline.orchestration.faults import task_faults
        from pipeline.orchestration.report import payments_lines
        from pipeline.runtime import open_runtime

        log = logging.getLogger("carm.dags")
        with task_faults("load payments", log):
            as_of = checked_as_of(get_current_context()["params"].get("as_of"))
            result = load_payments_from_bucket(open_runtime(), as_of=as_of).as_json()
        for line in payments_lines(result):
            log.info("%s", line)
        return result

    load_payments()


carm_payments()
