"""Late accounting (W02): an original CAD accepted more than 5 business days after its release.

One home for the rule and its message: intake posts the $100 penalty with it, and ``carm validate``/``carm assess``
warn a service provider before sending (at ``--as-of``, the day the file would be accepted).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from pipeline.billing.calendar import HolidayCalendar, is_late
from pipeline.findings import Finding
from pipeline.model import ORIGINAL, Declaration
from pipeline.validate.verdict import SubmissionVerdict


def w02_finding(declaration: Declaration, release: date, accepted_on: date) -> Finding:
    return Finding(
        "W02",
        f"CAD accepted on {accepted_on.isoformat()}, more than 5 business days after its release on "
        f"{release.isoformat()}: late accounting, a $100.00 penalty is posted",
        declaration.where.get("release_date") or declaration.location,
        0,
        declaration.message_reference,
    )


def late_accounting(declaration: Declaration, accepted_on: date, calendar: HolidayCalendar) -> Finding | None:
    """W02 for an original accepted on ``accepted_on``, else None (a change or cancellation is never late)."""
    if declaration.function != ORIGINAL:
        return None
    release = date.fromisoformat(declaration.release_date)
    return w02_finding(declaration, release, accepted_on) if is_late(release, accepted_on, calendar) else None


def with_late_accounting(verdict: SubmissionVerdict, accepted_on: date, calendar: HolidayCalendar) -> SubmissionVerdict:
    """``verdict`` with W02 on each declaration it accepts that would be late if accepted on ``accepted_on``."""
    if verdict.file_rejected:
        return verdict
    judged = []
    for decision in verdict.declarations:
        late = late_accounting(decision.declaration, accepted_on, calendar) if not decision.errors else None
        judged.append(replace(decision, findings=(*decision.findings, late)) if late else decision)
    return replace(verdict, declarations=tuple(judged))
