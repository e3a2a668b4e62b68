"""The ``carm_fx_rates`` DAG's task: the day's Bank of Canada exchange rates, fetched after they are published.

The Bank publishes its daily rates around 16:30 Eastern on the days it is open. The DAG runs on weekday
evenings; a run fetches every day from the one after the latest rate stored to its *rates day* (the latest day
whose 16:30 has passed at the run's own moment), so a missed run is caught up by the next one.

- The Bank open that day and no rate for it: ``RatesNotPublished``, a transient fault (the Bank may be late):
  Airflow retries with backoff, then the run fails saying which day is missing.
- The Bank closed (Saturday, Sunday, or a day of ``bank_closure``): no publication is expected and none is not
  an error; the run succeeds, fetching whatever earlier days are missing.

Which days the Bank is closed was read from the real data (spec/reference-data.md, 2024-2025): every weekday
without rates is a federal public-service holiday (``holidays`` package, Canada, ``government``), an Ontario
public holiday (Family Day) or the Civic Holiday (first Monday of August), the Bank being in Ottawa, Ontario.
A closure outside that calendar (a one-off day of mourning) fails the run once; clear it in Airflow.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

from pipeline.config import EASTERN
from pipeline.errors import TransientError

#: The Bank publishes around 16:30 Eastern; the DAG runs at 17:00 (half an hour's margin, then retries).
PUBLICATION_TIME = time(16, 30)


class RatesNotPublished(TransientError):
    """The Bank was open on a day and its rates are not in the Valet answer (yet)."""


@lru_cache(maxsize=64)
def _closures(year: int) -> dict[date, str]:
    import holidays

    closed: dict[date, str] = dict(holidays.Canada(years=year, subdiv="ON", categories=("public",)))
    closed.update(holidays.Canada(years=year, categories=("government",)))
    first_august_monday = date(year, 8, 1) + timedelta(days=(7 - date(year, 8, 1).weekday()) % 7)
    closed[first_august_monday] = "Civic Holiday"
    return closed


def bank_closure(day: date) -> str | None:
    """Why the Bank of Canada publishes no rate on ``day`` (weekend or holiday name), or None if it is open."""
    if day.weekday() >= 5:
        return day.strftime("%A")
    return _closures(day.year).get(day)


def rates_day(moment: datetime) -> date:
    """The latest day whose rates should be published at ``moment`` (naive = UTC, as Airflow stores times)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    eastern = moment.astimezone(EASTERN)
    return eastern.date() if eastern.time() >= PUBLICATION_TIME else eastern.date() - timedelta(days=1)


def fetch_day_rates(day: date, directory: Path, base_url: str) -> dict:
    """Fetch the missing days up to ``day`` into ``directory``; ``RatesNotPublished`` when the Bank was open on
    ``day`` and has no rate for it. Returns the fetch report as JSON, with ``day`` and ``closed``."""
    from pipeline.reference.valet import fetch_fx_rates

    report = fetch_fx_rates(directory, base_url, day)
    closed = bank_closure(day)
    stored = report.latest is not None and report.latest >= day
    if closed is None and not stored:
        raise RatesNotPublished(
            f"the Bank of Canada has published no exchange rates for {day}, a business day (published around "
            f"{PUBLICATION_TIME:%H:%M} Eastern; latest stored: {report.latest}); asked {report.start} .. {report.end}"
        )
    return {**report.as_json(), "day": day.isoformat(), "closed": closed}


def run_fx_task(run_after: datetime, day_param: object = None) -> dict:
    """The DAG task body: the run's rates day (or the ``day`` param), with the fault semantics of every task."""
    from pipeline.config import Settings
    from pipeline.errors import ConfigurationError
    from pipeline.orchestration.faults import task_faults

    log = logging.getLogger("carm.dags")
    with task_faults("fetch Bank of Canada rates", log):
        if day_param is None or (isinstance(day_param, str) and not day_param.strip()):
            day = rates_day(run_after)
        else:
            try:
                day = date.fromisoformat(str(day_param).strip())
            except ValueError:
                raise ConfigurationError(f"day={day_param!r}: expected YYYY-MM-DD") from None
        settings = Settings.from_env()
        result = fetch_day_rates(day, settings.refdata_dir, settings.valet_url)
    added = sum(len(days) for days in result["added"].values())
    why = f" (Bank closed: {result['closed']})" if result["closed"] else ""
    log.info("rates day %s%s: %d day(s) added, latest %s", day, why, added, result["latest"])
    return result
