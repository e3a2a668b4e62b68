"""What an accepted CAD version posts to its importer's ledger (spec/billing.md, "Postings"). Pure.

- An **original** (function 9) posts one debit per charge type on its acceptance date, in the billing period of
  its release (``period_of_release``) with that period's due date.
- A **change** (function 4) posts, per charge type, the difference between its assessed amounts and what is
  still posted for the transaction (the sum of the transaction's assessment, correction, adjustment and
  cancellation postings — which is the version before it, since every version posts its difference). Accepted
  on or before the *original* due date it is a ``correction``: it belongs to the original period, with the
  original due date, and bears no interest. Accepted after it, an ``adjustment``: posted in the period in which
  it is accepted (the period whose 18th-to-17th window holds the acceptance date), due on that period's due
  date; an increase bears interest from the day after the original due date (``interest_from``).
- A **cancellation** (function 1) reverses everything still posted for the transaction, kind ``cancellation``,
  in the original period when accepted on or before the original due date, else in the period of acceptance.
  Penalties are not reversed: late accounting happened whatever became of the CAD.
- **Late accounting** (W02) adds a $100 ``penalty`` posting (``pipeline.billing.late_accounting_penalty``) in
  the CAD's own period.

Decision: amounts of zero are not posted (a line without surtax does not make a $0.00 surtax posting), so an
account holds only real debits and credits; the declaration record still says the version was accepted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pipeline.billing import HolidayCalendar, due_date, late_accounting_penalty, period_of_release
from pipeline.ledger.models import ChargeType, PostingKind
from pipeline.model import CANCELLATION, CHANGE, ORIGINAL

REGULAR_CAD = "AB"

#: The charge types a CAD posts, in the spec's order; the engine's amount names are the same words.
CAD_CHARGES: tuple[ChargeType, ...] = (
    ChargeType.CUSTOMS_DUTY, ChargeType.SURTAX, ChargeType.SIMA, ChargeType.EXCISE_DUTY, ChargeType.EXCISE_TAX,
    ChargeType.GST,
)
#: The kinds that make up what is "still posted" for a transaction (payments, interest, penalties are not).
DECLARATION_KINDS: tuple[PostingKind, ...] = (
    PostingKind.ASSESSMENT, PostingKind.CORRECTION, PostingKind.ADJUSTMENT, PostingKind.CANCELLATION,
)


@dataclass(frozen=True, slots=True)
class OriginalTerms:
    """The billing period and due date of a transaction's original version."""

    period: str
    due_date: date


@dataclass(frozen=True, slots=True)
class PlannedPosting:
    kind: PostingKind
    charge_type: ChargeType
    cents: int
    period: str
    due_date: date
    interest_from: date | None = None


@dataclass(frozen=True, slots=True)
class PostingPlan:
    """The period and due date a version is booked in, and its postings."""

    period: str
    due_date: date
    postings: tuple[PlannedPosting, ...]
    terms: OriginalTerms  # the transaction's original terms (this version's own, for an original)


def plan_postings(
    *,
    function: str,
    cad_type: str,
    release: date,
    accepted_on: date,
    totals: Mapping[str, int],
    standing: Mapping[str, int],
    original: OriginalTerms | None,
    late: bool,
    calendar: HolidayCalendar,
) -> PostingPlan:
    """The postings of one accepted version.

    ``totals``: its assessed cents per charge type (engine names; ignored for a cancellation); ``standing``:
    cents still posted for the transaction per charge type; ``original``: the original's terms (None for an
    original, or when the ledger somehow lacks it: the change is then booked as if it were the original's).
    """
    if function == ORIGINAL or original is None:
        period = period_of_release(release, cad_type)
        own = OriginalTerms(period, due_date(period, calendar))
    else:
        own = original
    postings: list[PlannedPosting] = []
    if function == ORIGINAL:
        kind, period, due, interest_from = PostingKind.ASSESSMENT, own.period, own.due_date, None
    elif accepted_on <= own.due_date:
        kind = PostingKind.CORRECTION if function == CHANGE else PostingKind.CANCELLATION
        period, due, interest_from = own.period, own.due_date, None
    else:
        kind = PostingKind.ADJUSTMENT if function == CHANGE else PostingKind.CANCELLATION
        period = period_of_release(accepted_on, REGULAR_CAD)
        due = due_date(period, calendar)
        interest_from = own.due_date + timedelta(days=1)
    for charge in CAD_CHARGES:
        target = 0 if function == CANCELLATION else int(totals[charge.value])
        difference = target - int(standing.get(charge.value, 0))
        if difference:
            bears_from = interest_from if difference > 0 else None
            postings.append(PlannedPosting(kind, charge, difference, period, due, bears_from))
    if late:
        penalty = late_accounting_penalty(release, accepted_on, calendar)
        if penalty:
            postings.append(PlannedPosting(PostingKind.PENALTY, ChargeType.PENALTY, penalty, own.period, own.due_date))
    return PostingPlan(period, due, tuple(postings), own)


def standing_after(standing: Mapping[str, int], postings: Sequence[PlannedPosting]) -> dict[str, int]:
    """What is still posted for the transaction once ``postings`` are booked."""
    after = dict(standing)
    for posting in postings:
        if posting.kind in DECLARATION_KINDS:
            after[posting.charge_type.value] = after.get(posting.charge_type.value, 0) + posting.cents
    return after
