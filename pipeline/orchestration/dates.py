"""The business dates a scheduled run acts on, from the run's own timestamps.

Airflow gives every run a ``run_after`` (when it was due or triggered, UTC) whatever its type; ``logical_date``
is None for manual and asset-triggered runs in Airflow 3, so nothing here uses it. Dates are Eastern calendar
dates, the business clock of the whole system (``pipeline.config.EASTERN``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pipeline.config import EASTERN, parse_as_of


def eastern_date(moment: datetime) -> date:
    """The Eastern calendar date of an instant (a naive datetime is taken as UTC, as Airflow stores times)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(EASTERN).date()


def run_moment(run_after: datetime) -> str:
    """A run's own moment as an ``as_of`` (``YYYY-MM-DDTHH:MM``, Eastern): a scheduled run acts at the time it
    was due, so running it late, or again, gives the same result as running it on time."""
    if run_after.tzinfo is None:
        run_after = run_after.replace(tzinfo=UTC)
    return run_after.astimezone(EASTERN).strftime("%Y-%m-%dT%H:%M")


def notice_date(run_after: datetime) -> date:
    """The day a daily-notice run reports: the Eastern day before the one the run starts in (the run is due
    just after midnight, when the day's postings are complete)."""
    return eastern_date(run_after) - timedelta(days=1)


def period_to_close(run_after: datetime | date) -> str:
    """The billing period a close-period run closes: the latest period that ended before the run's Eastern date.

    Periods end on the 17th (billing.md), so a run on or after the 18th of MM closes ``YYYY-MM`` and a run from
    the 1st to the 17th closes the month before's.
    """
    from pipeline.billing.calendar import period_bounds, period_name, shift_period

    on = run_after if not isinstance(run_after, datetime) else eastern_date(run_after)
    period = period_name(on.year, on.month)
    if period_bounds(period)[1] >= on:
        period = shift_period(period, -1)
    return period


def checked_as_of(text: object) -> str | None:
    """An ``as_of`` given in a run's configuration, checked (``YYYY-MM-DD[THH:MM]``, Eastern); None when absent.

    A malformed value raises ``ConfigurationError`` (a terminal fault: the run fails without retrying).
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    parse_as_of(str(text), "as_of")
    return str(text).strip()


def checked_date(text: object, what: str) -> date | None:
    """A ``YYYY-MM-DD`` date given in a run's configuration; None when absent."""
    from pipeline.errors import ConfigurationError

    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError as exc:
        raise ConfigurationError(f"{what}={text!r}: expected YYYY-MM-DD") from exc


def checked_period(text: object) -> str | None:
    """A billing period ``YYYY-MM`` given in a run's configuration; None when absent."""
    from pipeline.billing.calendar import parse_period
    from pipeline.errors import ConfigurationError

    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        parse_period(str(text).strip())
    except (ValueError, ConfigurationError) as exc:
        raise ConfigurationError(f"period={text!r}: expected YYYY-MM") from exc
    return str(text).strip()
