"""carm_daily_notices: one Daily Notice per importer with postings on the day before (billing.md).

Runs at 00:30 Eastern, when the previous day's postings are complete, and reports that day. The day comes from
the run's ``run_after`` (Eastern), never from ``logical_date``; the run configuration may name another day
(``{"date": "YYYY-MM-DD"}``) to re-issue it. Issuing is idempotent: a day's notice has one key in the outbound
bucket and is rewritten identically.
"""

from __future__ import annotations

from airflow.sdk import CronTriggerTimetable, Param, dag, get_current_context, task

from pipeline.orchestration.defaults import NOTICES_CRON, TIMEZONE, default_args


@dag(
    dag_id="carm_daily_notices",
    dag_display_name="CARM daily notices",
    description="Daily Notices for the previous day's postings",
    schedule=CronTriggerTimetable(NOTICES_CRON, timezone=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params={"date": Param(None, type=["null", "string"], description="Posting date YYYY-MM-DD; empty: yesterday")},
    tags=["carm", "billing"],
    doc_md=__doc__,
)
def carm_daily_notices():
    @task(task_display_name="Issue daily notices")
    def issue_daily_notices() -> dict:
        import logging

        from pipeline.billing import issue_daily_notices as issue
        from pipeline.orchestration.dates import checked_date, notice_date
        from pipeline.orchestration.faults import task_faults
        from pipeline.orchestration.report import notices_lines
        from pipeline.runtime import open_runtime

        log = logging.getLogger("carm.dags")
        context = get_current_context()
        with task_faults("daily notices", log):
            on = checked_date(context["params"].get("date"), "date") or notice_date(context["dag_run"].run_after)
            result = issue(open_runtime(), on).as_json()
        for line in notices_lines(result):
            log.info("%s", line)
        return result

    issue_daily_notices()


carm_daily_notices()
