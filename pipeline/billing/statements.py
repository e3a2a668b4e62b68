"""Statement of account data: which postings a statement shows, in which section, and its balances.

**Which postings.** A close records its *high-water mark* (the last posting id it saw) and its *cut* (the
statement date). The postings "on statements up to P" are those with ``id <= mark(P)``, ``period <= P`` and
``posting_date <= cut(P)``; statement P shows those not already on the previous closed statement. So every posting
is on exactly one statement, a posting that arrives late (a back-dated payment, a correction after the
statement date) lands on the next one, and closing a period again shows exactly the same postings.

**Sections** (billing.md "Statement of Account"): ``payments``; ``corrections`` (corrections and cancellations
of an earlier period's transactions accepted by its due date — "corrections to the previous balance");
``charges`` by charge type (this statement's assessments, with corrections and cancellations of this period's
own transactions netted in); ``adjustments`` (changes accepted after the original due date, cancellations
included); ``interest``; ``penalties``. Closing balance = previous balance + every posting shown =
the amount due on the due date (negative: a credit carried forward).

Pure: a posting DataFrame (``ledger_read.posting_frame``) in, frozen dataclasses out; money in integer cents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pipeline.billing.ledger_read import importer_runs
from pipeline.billing.statement_model import (
    CHARGE_TITLES,
    CHARGE_TYPES,
    SECTION_TITLES,
    SECTIONS,
    Statement,
    StatementLine,
    StatementWindow,
)

__all__ = [
    "CHARGE_TITLES",
    "CHARGE_TYPES",
    "SECTION_TITLES",
    "SECTIONS",
    "Statement",
    "StatementLine",
    "StatementWindow",
    "StatementBook",
    "build_book",
    "build_statements",
    "on_statements",
    "previous_balances",
    "statement_rows",
]

_SECTION_OF_KIND = {"payment": "payments", "interest": "interest", "penalty": "penalties", "adjustment": "adjustments"}


def on_statements(frame: pd.DataFrame, window: StatementWindow | None) -> np.ndarray:
    """Mask of the postings on the statements up to ``window``'s (none when there is no window)."""
    if window is None or frame.empty:
        return np.zeros(len(frame), dtype=bool)
    return (
        (frame["id"].to_numpy() <= window.high_water_mark)
        & (frame["period"].to_numpy(dtype=object) <= window.period)
        & (frame["posting_date"].to_numpy(dtype=object) <= window.cut.isoformat())
    )


def statement_rows(frame: pd.DataFrame, window: StatementWindow, previous: StatementWindow | None) -> pd.DataFrame:
    """The postings on statement ``window`` with their ``section``, in importer, date and id order."""
    mask = on_statements(frame, window) & ~on_statements(frame, previous)
    rows = frame[mask].copy()
    kinds = rows["kind"].to_numpy(dtype=object)
    section = np.full(len(kinds), "charges", dtype=object)
    for kind, name in _SECTION_OF_KIND.items():
        section[kinds == kind] = name
    changes = np.flatnonzero(np.isin(kinds, ("correction", "cancellation")))
    if len(changes):
        # A change belongs with its transaction's own period (that of its assessment): "charges" when that is
        # this period; otherwise a "correction" to the previous balance when booked in that earlier period (on
        # time), or an "adjustment" when booked in this one (a cancellation accepted after the original due date).
        txns = rows["transaction_number"].to_numpy(dtype=object)[changes]
        assessed = frame.loc[
            (frame["kind"] == "assessment").to_numpy() & frame["transaction_number"].isin(set(txns.tolist())).to_numpy(),
            ["transaction_number", "period"],
        ]
        original: dict[str, str] = {}
        for txn, period in zip(assessed["transaction_number"].tolist(), assessed["period"].tolist(), strict=True):
            if txn not in original or period < original[txn]:
                original[txn] = period
        booked = rows["period"].to_numpy(dtype=object)[changes]
        section[changes] = [
            "charges" if original.get(txn, period) >= window.period
            else "corrections" if period < window.period
            else "adjustments"
            for txn, period in zip(txns.tolist(), booked.tolist(), strict=True)
        ]
    rows["section"] = section
    return rows


def previous_balances(frame: pd.DataFrame, previous: StatementWindow | None) -> pd.Series:
    """Closing balance (cents) of every importer on the previous statement, recomputed from the ledger."""
    mask = on_statements(frame, previous)
    if not mask.any():
        return pd.Series(dtype="int64")
    return frame[mask].groupby("importer")["cents"].sum().astype("int64")


def _text(values: pd.Series) -> list[str]:
    return ["" if value is None or value is pd.NA or value != value else str(value) for value in values.tolist()]


@dataclass(frozen=True)
class StatementBook:
    """Every statement of a close: their figures, and their postings as one table in statement order
    (importer, posting date, id), each importer's postings a contiguous span of it. Renderers work on the
    table's columns at once; :meth:`with_lines` gives a statement its posting lines when one is wanted whole
    (the PDF)."""

    window: StatementWindow
    statements: tuple[Statement, ...]  # by BN15; ``lines`` left empty
    rows: pd.DataFrame  # statement_rows, in statement order, index 0..n-1
    spans: Mapping[str, tuple[int, int]]  # importer -> [start, stop) in rows

    def span(self, importer: str) -> tuple[int, int]:
        return self.spans.get(importer, (0, 0))

    def lines(self, importer: str) -> tuple[StatementLine, ...]:
        low, high = self.span(importer)
        part = self.rows.iloc[low:high]
        columns = (
            part["id"].tolist(), part["posting_date"].tolist(), part["kind"].tolist(), part["charge_type"].tolist(),
            _text(part["transaction_number"]), _text(part["version"]), part["period"].tolist(),
            _text(part["due_date"]), part["source"].tolist(), part["section"].tolist(), part["cents"].tolist(),
        )
        return tuple(map(StatementLine._make, zip(*columns, strict=True)))

    def with_lines(self, statement: Statement) -> Statement:
        return replace(statement, lines=self.lines(statement.importer))


def build_book(
    rows: pd.DataFrame,
    window: StatementWindow,
    previous: Mapping[str, int],
    names: Mapping[str, str],
) -> StatementBook:
    """One statement per importer with a posting on it or a previous balance, by BN15. ``rows`` come from
    :func:`statement_rows` of a frame in importer, posting date, id order; ``previous`` is the previous
    statement's closing balance per importer."""
    rows = rows.reset_index(drop=True)
    importers = rows["importer"].to_numpy(dtype=object)
    starts, stops = importer_runs(importers)
    spans = {importers[start]: (int(start), int(stop)) for start, stop in zip(starts.tolist(), stops.tolist(), strict=True)}
    if len(spans) != len(starts):
        raise ValueError("statement rows must be in importer order (ledger_read.posting_frame / append_postings)")
    # Sums by importer and section, and by importer and charge type, over integer codes (a million rows).
    run = np.repeat(np.arange(len(starts)), stops - starts)
    cents = rows["cents"].to_numpy(dtype=np.int64)
    section_text = rows["section"].to_numpy(dtype=object)
    charge_text = rows["charge_type"].to_numpy(dtype=object)
    by_section = np.zeros((len(starts), len(SECTIONS)), dtype=np.int64)
    by_charge = np.zeros((len(starts), len(CHARGE_TYPES)), dtype=np.int64)
    for code, section in enumerate(SECTIONS):
        chosen = section_text == section
        np.add.at(by_section[:, code], run[chosen], cents[chosen])
    in_charges = section_text == "charges"
    for code, charge in enumerate(CHARGE_TYPES):
        chosen = in_charges & (charge_text == charge)
        np.add.at(by_charge[:, code], run[chosen], cents[chosen])
    statements = []
    for importer in sorted(set(spans) | {bn15 for bn15, cents in previous.items() if cents}):
        low, _ = spans.get(importer, (None, None))
        index = None if low is None else int(run[low])
        sections = {s: 0 if index is None else int(by_section[index, c]) for c, s in enumerate(SECTIONS)}
        itemised = {t: 0 if index is None else int(by_charge[index, c]) for c, t in enumerate(CHARGE_TYPES)}
        statements.append(
            Statement(importer, names.get(importer, ""), window, int(previous.get(importer, 0)), sections, itemised, ())
        )
    return StatementBook(window, tuple(statements), rows, spans)


def build_statements(
    rows: pd.DataFrame,
    window: StatementWindow,
    previous: Mapping[str, int],
    names: Mapping[str, str],
) -> list[Statement]:
    """:func:`build_book`'s statements, each with its posting lines."""
    book = build_book(rows, window, previous, names)
    return [book.with_lines(statement) for statement in book.statements]
