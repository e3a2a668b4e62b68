"""carm_fx_rates: the Bank of Canada's daily exchange rates, fetched after they are published (~16:30 Eastern).

Runs at 17:00 Eastern on weekdays and adds every day missing up to the run's day to the reference folder
(``CARM_REFDATA_DIR``) from the Valet API (``CARM_VALET_URL``). It fails, after retries, when the Bank was
open and has no rate for the day; on a day the Bank is closed (holiday) it succeeds. Set ``day`` to fetch up to
another day. Logic: ``pipeline.orchestration.fx_task``.
"""

from __future__ import annotations

from airflow.sdk import CronTriggerTimetable, Param, dag, get_current_context, task

from pipeline.orchestration.defaults import TIMEZONE, default_args

FX_RATES_CRON = "0 17 * * 1-5"  # after the Bank's ~16:30 Eastern publication, Monday to Friday


@dag(
    dag_id="carm_fx_rates",
    dag_display_name="CARM exchange rates",
    description="Fetch the day's Bank of Canada exchange rates into the reference data",
    schedule=CronTriggerTimetable(FX_RATES_CRON, timezone=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params={"day": Param(None, type=["null", "string"], description="Fetch up to this day YYYY-MM-DD")},
    tags=["carm", "reference"],
    doc_md=__doc__,
)
def carm_fx_rates():
    @task(task_display_name="Fetch Bank of Canada rates")
    def fetch_fx_rates() -> dict:
        from pipeline.orchestration.fx_task import run_fx_task

        context = get_current_context()
        return run_fx_task(context["dag_run"].run_after, context["params"].get("day"))

    fetch_fx_rates()


carm_fx_rates()
