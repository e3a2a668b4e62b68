"""Business date and time. Every command that posts or dates anything acts at an explicit business moment
(``--as-of`` / ``CARM_AS_OF``), Eastern time; only this module reads the wall clock."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from pipeline.errors import ConfigurationError

EASTERN = ZoneInfo("America/Toronto")


def parse_as_of(text: str) -> datetime:
    """``YYYY-MM-DD`` (start of that business day) or ``YYYY-MM-DDTHH:MM``, Eastern."""
    text = text.strip()
    try:
        if "T" in text:
            moment = datetime.fromisoformat(text)
        else:
            moment = datetime.combine(date.fromisoformat(text), time(0, 0))
    except ValueError as exc:
        raise ConfigurationError(f"as-of {text!r} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM") from exc
    return moment.replace(tzinfo=EASTERN) if moment.tzinfo is None else moment.astimezone(EASTERN)


def business_moment(as_of: str | None) -> datetime:
    """The business moment to act at: ``as_of`` when given, else now in Eastern time."""
    return parse_as_of(as_of) if as_of else datetime.now(EASTERN)


def real_now() -> datetime:
    """The real time of a posting (recorded beside the business date)."""
    return datetime.now(EASTERN)
