"""Harmonized billing: the pure core (calendar, interest and penalties, payments, RPP security) and the use cases
built on it (daily notices, payments loading, period close).

Plain data in, plain data out: the business date, the holiday calendar and the rate table are parameters; the
ledger and the period-close use case call these functions and persist what they return.

The use cases (``issue_daily_notices``, ``load_payments``, ``load_payments_from_bucket``, ``close_period`` and
their summaries) are imported on first use, so that importing the pure core does not pull in the database,
pandas and PDF libraries.
"""

from __future__ import annotations

from pipeline.billing.calendar import (
    Holiday,
    HolidayCalendar,
    business_days_after,
    due_date,
    is_late,
    period_bounds,
    period_of_release,
    shift_period,
    statement_date,
)
from pipeline.billing.holidays_table import federal_holidays, load_holiday_additions
from pipeline.billing.interest import (
    DEFAULT_WAIVER_UNTIL,
    InterestAccrual,
    PrescribedRates,
    accrue_interest,
    interest_on_debts,
    late_accounting_penalty,
    late_payment_penalty,
    load_prescribed_rates,
    overdue_balance_by_day,
)
from pipeline.billing.payments import (
    Allocation,
    Application,
    Debt,
    Payment,
    PaymentProblem,
    apply_payments,
    effective_date,
    parse_payments_csv,
)
from pipeline.billing.security import ReviewRow, SecurityPosition, required_security, security_review

_USE_CASES = {
    "CloseSummary": "pipeline.billing.close",
    "close_period": "pipeline.billing.close",
    "NoticesSummary": "pipeline.billing.notices",
    "issue_daily_notices": "pipeline.billing.notices",
    "PaymentsBatchSummary": "pipeline.billing.payments_load",
    "PaymentsSummary": "pipeline.billing.payments_load",
    "load_payments": "pipeline.billing.payments_load",
    "load_payments_from_bucket": "pipeline.billing.payments_load",
}


def __getattr__(name: str):  # noqa: ANN202 - PEP 562 lazy exports of the use cases
    module = _USE_CASES.get(name)
    if module is None:
        raise AttributeError(f"module 'pipeline.billing' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)


__all__ = [
    "CloseSummary",
    "NoticesSummary",
    "PaymentsBatchSummary",
    "PaymentsSummary",
    "close_period",
    "issue_daily_notices",
    "load_payments",
    "load_payments_from_bucket",
    "DEFAULT_WAIVER_UNTIL",
    "Allocation",
    "Application",
    "Debt",
    "Holiday",
    "HolidayCalendar",
    "InterestAccrual",
    "Payment",
    "PaymentProblem",
    "PrescribedRates",
    "ReviewRow",
    "SecurityPosition",
    "accrue_interest",
    "apply_payments",
    "business_days_after",
    "due_date",
    "effective_date",
    "federal_holidays",
    "interest_on_debts",
    "is_late",
    "late_accounting_penalty",
    "late_payment_penalty",
    "load_holiday_additions",
    "load_prescribed_rates",
    "overdue_balance_by_day",
    "parse_payments_csv",
    "period_bounds",
    "period_of_release",
    "required_security",
    "security_review",
    "shift_period",
    "statement_date",
]
