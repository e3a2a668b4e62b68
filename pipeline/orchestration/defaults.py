"""Constants of the DAGs: retries, schedules, assets, batch concurrency. Standard library only: DAG files import
this at every parse. The batch size is configuration (``CARM_INTAKE_BATCH_SIZE``): ``Settings.intake_batch_size``,
read by the discovery task at run time."""

from __future__ import annotations

from datetime import timedelta

#: The time zone of every schedule: CBSA's business clock (billing.md: payment cut-offs, period close).
TIMEZONE = "America/Toronto"

#: Store and network faults are retried 3 times, after 1, 2 and 4 minutes (exponential backoff, capped);
#: bad input fails at once (``faults.task_faults`` raises AirflowFailException, which Airflow never retries).
RETRIES = 3
RETRY_DELAY = timedelta(minutes=1)
RETRY_BACKOFF = 2.0  # Airflow 3.3: a multiplier; 0 means a constant delay
MAX_RETRY_DELAY = timedelta(minutes=30)


def default_args() -> dict:
    """``default_args`` of every CARM DAG (a new dict each time: DAGs must not share a mutable one)."""
    return {
        "owner": "carm-operations",
        "retries": RETRIES,
        "retry_delay": RETRY_DELAY,
        "retry_exponential_backoff": RETRY_BACKOFF,
        "max_retry_delay": MAX_RETRY_DELAY,
    }


#: Batches of one run processed at the same time. Intake is safe on concurrent batches (the ledger's unique keys
#: and compare-and-set updates decide, see pipeline.intake.process); the bound keeps one run from taking every
#: executor slot.
BATCH_CONCURRENCY = 4

# Schedules (cron, Eastern time). Intake sweeps the inbound bucket every 5 minutes besides its asset wake-up;
# notices run after midnight for the day before; the period closes on the 18th, the day after it ends;
# payments are swept hourly besides their asset wake-up.
INTAKE_SWEEP = "*/5 * * * *"
NOTICES_CRON = "30 0 * * *"
CLOSE_PERIOD_CRON = "0 6 18 * *"
PAYMENTS_SWEEP = "15 * * * *"

#: Asset names and URIs. Producers emit an event on one of them (REST API ``POST /api/v2/assets/events``) after
#: they upload; the event only wakes the DAG up: what to process is decided by the inbox table, never by the
#: event, so duplicated, late or lost events are harmless.
INBOUND_ASSET = ("carm_inbound_declarations", "carm://inbound/declarations")
PAYMENTS_ASSET = ("carm_inbound_payments", "carm://inbound/payments")
