"""Business date and time. Every command that posts or dates anything acts at an explicit business moment
(``--as-of`` / ``CARM_AS_OF``, parsed by ``pipeline.config.parse_as_of``), Eastern time; only this module reads
the wall clock."""

from __future__ import annotations

from datetime import datetime

from pipeline.config import EASTERN, parse_as_of


def business_moment(as_of: str | None) -> datetime:
    """The business moment to act at: ``as_of`` when given, else now in Eastern time."""
    return parse_as_of(as_of, "--as-of") if as_of else datetime.now(EASTERN)


def real_now() -> datetime:
    """The real time of a posting (recorded beside the business date)."""
    return datetime.now(EASTERN)
