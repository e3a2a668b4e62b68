"""carm_close_period: closes the billing period that ended on the 17th (billing.md).

Runs at 06:00 Eastern on the 18th. Closing computes interest, issues importer and broker statements (dated the
25th by the use case), the security review and the finance reconciliation. The period comes from the run's
``run_after`` (the latest period that ended before that Eastern date), or from the run configuration
(``{"period": "YYYY-MM"}``) to close or re-close another one; closing is idempotent. The close acts as of the
run's ``run_after`` (so a late or repeated run of the 18th acts as of the 18th), or the configuration's
``as_of``. Interest and late-payment penalties start on ``CARM_INTEREST_WAIVER_UNTIL`` (default 2026-01-31), which
the close takes from the task's settings, as ``carm close-period`` does.
"""

from __future__ import annotations

from airflow.sdk import CronTriggerTimetable, Param, dag, get_current_context, task

from pipeline.orchestration.defaults import CLOSE_PERIOD_CRON, TIMEZONE, default_args


@dag(
    dag_id="carm_close_period",
    dag_display_name="CARM period close",
    description="Interest, statements, security review and reconciliation of the period that ended on the 17th",
    schedule=CronTriggerTimetable(CLOSE_PERIOD_CRON, timezone=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params={
        "period": Param(None, type=["null", "string"], description="Billing period YYYY-MM; empty: the last ended"),
        "as_of": Param(None, type=["null", "string"],
                       description="Business moment YYYY-MM-DD[THH:MM], Eastern; empty: when the run was due"),
    },
    tags=["carm", "billing"],
    doc_md=__doc__,
)
def carm_close_period():
    @task(task_display_name="Close the billing period")
    def close_period() -> dict:
        import logging

        from pipeline.billing import close_period as close
        from pipeline.orchestration.dates import checked_as_of, checked_period, period_to_close, run_moment
        from pipeline.orchestration.faults import task_faults
        from pipeline.orchestration.report import close_lines, close_outputs
        from pipeline.runtime import open_runtime

        log = logging.getLogger("carm.dags")
        context = get_current_context()
        with task_faults("close period", log):
            run_after = context["dag_run"].run_after
            period = checked_period(context["params"].get("period")) or period_to_close(run_after)
            as_of = checked_as_of(context["params"].get("as_of")) or run_moment(run_after)
            log.info("closing period %s as of %s (Eastern)", period, as_of)
            # PDFs in this process: a "spawn" worker would re-run the task runner's __main__ (Airflow), which
            # refuses to start in a task, where the metadata database URL is withheld.
            summary = close(open_runtime(), period, as_of=as_of, pdf_workers=1)
            result = summary.as_json()
        for line in close_lines(result, close_outputs(summary)):
            log.info("%s", line)
        return result

    close_period()


carm_close_period()
