"""Our fault families (``pipeline.errors``) as Airflow retry semantics.

- ``TerminalError`` (bad input, bad configuration): retrying cannot help, so the task fails at once with
  ``AirflowFailException``, which Airflow never retries. Operations fix the cause, then clear the task.
- ``TransientError`` and the database, network or disk faults that libraries raise before our layers can wrap
  them (SQLAlchemy's OperationalError/InterfaceError; any OSError: a connection reset, a timeout, a full disk,
  an I/O error — the machine's or a store's, never a file's content): re-raised, so Airflow retries with the
  DAG's exponential backoff.
- Anything else is a defect: logged with its traceback and re-raised, so it takes Airflow's default path
  (retried a few times, then failed), which is harmless because every step is idempotent.

Bad CAD content is none of these: it is a finding, answered to the sender, and never fails a task. Within a run,
intake applies ``classify`` to each file's faults: a transient one leaves the file to a later run; any other
(our code raising on the file's content, a per-row ``DataError`` or ``IntegrityError``) is that file's own and
quarantines it, so one file never stops the others or later runs (``pipeline.intake.process``).
Airflow is imported only when a terminal fault is converted, so this module is safe to import anywhere.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

from pipeline.errors import TerminalError, TransientError

_DATABASE_TRANSIENT = ("OperationalError", "InterfaceError", "DisconnectionError", "TimeoutError")


class FaultKind(StrEnum):
    TERMINAL = "terminal"
    TRANSIENT = "transient"
    UNEXPECTED = "unexpected"


def _is_database_transient(exc: BaseException) -> bool:
    # Only if SQLAlchemy is already loaded: an exception cannot be one of its classes otherwise, and this module
    # must not pull it in.
    errors = sys.modules.get("sqlalchemy.exc")
    if errors is None:
        return False
    kinds = tuple(getattr(errors, name) for name in _DATABASE_TRANSIENT if hasattr(errors, name))
    return isinstance(exc, kinds)


def classify(exc: BaseException) -> FaultKind:
    """Which family a fault belongs to (see the module docstring)."""
    if isinstance(exc, TerminalError):
        return FaultKind.TERMINAL
    if isinstance(exc, TransientError | OSError) or _is_database_transient(exc):
        return FaultKind.TRANSIENT
    return FaultKind.UNEXPECTED


@contextmanager
def task_faults(step: str, log: logging.Logger | None = None) -> Iterator[None]:
    """Run a task's body so that its faults get the retry behaviour of their family, with a log line saying
    which: ``with task_faults("intake batch 2/3"): ...``."""
    log = log or logging.getLogger("carm.dags")
    try:
        yield
    except Exception as exc:
        kind = classify(exc)
        if kind is FaultKind.TERMINAL:
            log.error("%s FAILED, not retried (bad input or configuration): %s", step, exc)
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(f"{step}: {exc}") from exc
        if kind is FaultKind.TRANSIENT:
            log.warning("%s hit a store, database or network fault; Airflow retries it with backoff: %s", step, exc)
        else:
            log.exception("%s failed unexpectedly (%s); Airflow retries it", step, type(exc).__name__)
        raise
