"""Release Prior to Payment (RPP) security (spec/billing.md, CBSA D17-5-2 as CARM guidance describes it).

Required security = 50% of the highest period total of duties and GST over the last 12 periods, at least
$5,000 and at most $10,000,000. Half of an odd number of cents is rounded with the money module's rule (half
up: the requirement is never understated). Only importers with the RPP privilege need security: an importer
without it pays before release, so it is never on the review.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from pipeline.money import MONEY_CONTEXT, from_cents, to_cents

__all__ = [
    "SECURITY_CAP_CENTS",
    "SECURITY_FLOOR_CENTS",
    "SECURITY_PERIODS",
    "SECURITY_SHARE",
    "ReviewRow",
    "SecurityPosition",
    "required_security",
    "security_review",
]

SECURITY_SHARE = Decimal("0.5")
SECURITY_FLOOR_CENTS = 500_000  # $5,000
SECURITY_CAP_CENTS = 1_000_000_000  # $10,000,000
SECURITY_PERIODS = 12


class SecurityPosition(NamedTuple):
    """One importer as the review sees it; a plain ``(bn15, posted, rpp, totals)`` tuple works too."""

    importer: str
    posted_cents: int
    rpp: bool
    period_totals: Sequence[int]  # cents of duties + GST per period, oldest first


@dataclass(frozen=True, slots=True)
class ReviewRow:
    importer: str
    required_cents: int
    posted_cents: int
    shortfall_cents: int


def required_security(period_totals: Sequence[int], last: int = SECURITY_PERIODS) -> int:
    """The security (cents) required for periods totals given oldest first; only the ``last`` are looked at.
    A period with a net credit counts as nothing owed; no periods at all gives the floor."""
    if last <= 0:
        raise ValueError(f"last must be positive, not {last}")
    recent = list(period_totals)[-last:]
    highest = max([0, *recent])
    half = to_cents(MONEY_CONTEXT.multiply(from_cents(highest), SECURITY_SHARE))
    return min(max(half, SECURITY_FLOOR_CENTS), SECURITY_CAP_CENTS)


def security_review(importers: Iterable[tuple[str, int, bool, Sequence[int]]]) -> list[ReviewRow]:
    """The RPP importers whose posted security is below the requirement, with the shortfall, by BN15."""
    rows = []
    for importer, posted, rpp, totals in importers:
        if not rpp:
            continue
        required = required_security(totals)
        if posted < required:
            rows.append(ReviewRow(importer, required, posted, required - posted))
    return sorted(rows, key=lambda row: row.importer)
