"""The posting rules of billing.md, as a pure function: whatever the versions, the ledger ends at the latest
version's amounts (zero after a cancellation), with the kind, period, due date and interest start the spec
gives each change."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.billing import due_date, federal_holidays, load_holiday_additions, period_of_release
from pipeline.intake.postings import CAD_CHARGES, DECLARATION_KINDS, plan_postings, standing_after
from pipeline.ledger.models import ChargeType, PostingKind

CALENDAR = federal_holidays(range(2024, 2028), load_holiday_additions())
CHARGES = [charge.value for charge in CAD_CHARGES]
totals_strategy = st.fixed_dictionaries({charge: st.integers(0, 10_000_00) for charge in CHARGES})


@settings(max_examples=150, deadline=None)
@given(
    release=st.dates(date(2024, 6, 1), date(2026, 6, 1)),
    cad_type=st.sampled_from(["AB", "C"]),
    original=totals_strategy,
    changes=st.lists(st.tuples(st.integers(0, 120), totals_strategy), max_size=4),
    cancel=st.one_of(st.none(), st.integers(0, 120)),
)
def test_the_ledger_ends_at_the_latest_version(release, cad_type, original, changes, cancel) -> None:  # noqa: ANN001
    accepted = release + timedelta(days=1)
    plan = plan_postings(function="9", cad_type=cad_type, release=release, accepted_on=accepted, totals=original,
                         standing={}, original=None, late=False, calendar=CALENDAR)
    terms = plan.terms
    assert terms.period == period_of_release(release, cad_type) and terms.due_date == due_date(terms.period, CALENDAR)
    assert all(p.kind is PostingKind.ASSESSMENT and p.cents != 0 for p in plan.postings)
    standing, latest = standing_after({}, plan.postings), original
    for delay, totals in changes + ([(cancel, None)] if cancel is not None else []):
        accepted += timedelta(days=delay)
        function = "4" if totals is not None else "1"
        plan = plan_postings(function=function, cad_type=cad_type, release=release, accepted_on=accepted,
                             totals=totals or {}, standing=standing, original=terms, late=False, calendar=CALENDAR)
        for posting in plan.postings:
            assert posting.cents != 0
            if accepted <= terms.due_date:
                assert (posting.period, posting.due_date, posting.interest_from) == (terms.period, terms.due_date, None)
                assert posting.kind is (PostingKind.CORRECTION if totals is not None else PostingKind.CANCELLATION)
            else:
                assert posting.period == period_of_release(accepted, "AB")
                assert posting.due_date == due_date(posting.period, CALENDAR)
                assert posting.kind is (PostingKind.ADJUSTMENT if totals is not None else PostingKind.CANCELLATION)
                bears = terms.due_date + timedelta(days=1) if posting.cents > 0 and totals is not None else None
                assert posting.interest_from == bears
        standing = standing_after(standing, plan.postings)
        latest = totals if totals is not None else dict.fromkeys(CHARGES, 0)
    assert {charge: standing.get(charge, 0) for charge in CHARGES} == latest


def test_late_accounting_adds_one_100_dollar_penalty_in_the_cads_period() -> None:
    release = date(2025, 5, 5)
    totals = dict.fromkeys(CHARGES, 0) | {"gst": 6210}
    plan = plan_postings(function="9", cad_type="AB", release=release, accepted_on=date(2025, 5, 13), totals=totals,
                         standing={}, original=None, late=True, calendar=CALENDAR)
    assert [(p.kind, p.charge_type, p.cents, p.period) for p in plan.postings] == [
        (PostingKind.ASSESSMENT, ChargeType.GST, 6210, "2025-05"),
        (PostingKind.PENALTY, ChargeType.PENALTY, 10000, "2025-05"),
    ]
    assert PostingKind.PENALTY not in DECLARATION_KINDS
    assert standing_after({}, plan.postings) == {"gst": 6210}  # a cancellation would not reverse the penalty
