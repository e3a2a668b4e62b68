"""The resources a use case runs with, opened the same way by the CLI, the DAG tasks, the demo and tests.

A ``Runtime`` is built once per command or task from ``Settings``: the ledger engine, the three buckets, the
reference tables, the holiday calendar and the prescribed interest rates. Use cases take a runtime (and the
business moment) as parameters; nothing here is global.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from pipeline.billing import (
    HolidayCalendar,
    PrescribedRates,
    federal_holidays,
    load_holiday_additions,
    load_prescribed_rates,
)
from pipeline.clock import business_moment
from pipeline.config import Settings
from pipeline.reference.prescribed_rate import YIELDS_FILE
from pipeline.reference.types import ReferenceData
from pipeline.storage import Buckets, open_buckets

#: Years the holiday calendar is built for: every date the ledger may reason about.
CALENDAR_YEARS = range(2020, 2041)


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    buckets: Buckets
    reference: ReferenceData
    calendar: HolidayCalendar
    prescribed_rates: PrescribedRates

    def business_moment(self, as_of: str | datetime | None = None) -> datetime:
        """``as_of`` (text or datetime), else ``CARM_AS_OF``, else now — Eastern."""
        if isinstance(as_of, datetime):
            return as_of
        if as_of:
            return business_moment(as_of)
        return self.settings.as_of or business_moment(None)


def holiday_calendar(settings: Settings) -> HolidayCalendar:
    """The business calendar: federal holidays, plus the user's additions in ``CARM_REFDATA_DIR``."""
    additions = _user_table(settings, "billing/holiday_additions.csv")
    return federal_holidays(CALENDAR_YEARS, load_holiday_additions(additions) if additions else load_holiday_additions())


def _user_table(settings: Settings, relative: str) -> str | None:
    """A table the user supplies in ``CARM_REFDATA_DIR`` (same relative name as the shipped one), or None."""
    if not settings.refdata_dir:
        return None
    path = Path(settings.refdata_dir) / relative
    return path.read_text(encoding="utf-8") if path.is_file() else None


def open_runtime(settings: Settings | None = None, *, upgrade_schema: bool = True, s3_client=None) -> Runtime:  # noqa: ANN001
    """Open everything a use case needs. With ``upgrade_schema`` the ledger is migrated to the latest schema
    first (idempotent), so a fresh machine needs no separate ``carm db upgrade``."""
    from pipeline.ledger import engine_for, upgrade
    from pipeline.reference import load_reference

    settings = settings or Settings.from_env()
    if settings.db_url.startswith("sqlite:///"):
        Path(settings.db_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if upgrade_schema:
        upgrade(settings.db_url)
    rates = _user_table(settings, "billing/prescribed_interest_rates.csv")
    yields = _user_table(settings, YIELDS_FILE)  # T-bill auction yields: quarters computed per SOR/86-1121
    return Runtime(
        settings=settings,
        engine=engine_for(settings.db_url),
        buckets=open_buckets(settings, s3_client=s3_client),
        reference=load_reference(settings.refdata_dir),
        calendar=holiday_calendar(settings),
        prescribed_rates=load_prescribed_rates(rates, yields_text=yields),
    )
