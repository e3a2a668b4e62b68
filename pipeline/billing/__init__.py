"""Harmonized billing: the pure core (calendar, interest and penalties, payments, RPP security).

Plain data in, plain data out: the business date, the holiday calendar and the rate table are parameters; the
ledger and the period-close use case call these functions and persist what they return.
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

__all__ = [
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
