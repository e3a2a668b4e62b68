"""Faults, as opposed to findings: exceptions for things that stop a command or a task.

The split follows dlt: a *terminal* fault is bad input or configuration and is never retried; a *transient*
fault is a store, database or network hiccup and is retried with backoff. Bad CAD content is neither: it is a
finding (``pipeline.findings``) answered to the sender.
"""


class CarmError(Exception):
    """Base of every fault this package raises on purpose."""


class TerminalError(CarmError, ValueError):
    """Bad input or configuration: retrying cannot help."""


class TransientError(CarmError):
    """A store, database or network fault: retrying may help."""


class ReferenceDataError(TerminalError):
    """A reference table is malformed; the message names the file, row and column."""

    def __init__(self, path: str, row: int | None, column: str | None, problem: str) -> None:
        where = path + (f", row {row}" if row is not None else "") + (f", column {column}" if column else "")
        super().__init__(f"{where}: {problem}")
        self.path, self.row, self.column, self.problem = path, row, column, problem


class ConfigurationError(TerminalError):
    """A setting is missing or malformed."""
