"""Statement of account data: which postings a statement shows, in which section, and its balances.

**Which postings.** A close records its *high-water mark* (the last posting id it saw) and its *cut* (the
statement date). The postings "on statements up to P" are those with ``id <= mark(P)``, ``period <= P`` and
``posting_date <= cut(P)``; statement P shows those not already on the previous closed statement. So every posting
is on exactly one statement, a posting that arrives late (a back-dated payment, a correction after the
statement date) lands on the next one, and closing a period again shows exactly the same postings.

**Sections** (billing.md "Statement of Account"): ``payments``; ``corrections`` (corrections and cancellations
of an earlier period's transactions — "corrections to the previous balance"); ``charges`` by charge type (this
statement's assessments, with corrections and cancellations of this period's own transactions netted in);
``adjustments``; ``interest``; ``penalties``. Closing balance = previous balance + every posting shown =
the amount due on the due date (negative: a credit carried forward).

Pure: a posting DataFrame (``ledger_read.posting_frame``) in, frozen dataclasses out; money in integer cents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from pipeline.billing.ledger_read import importer_runs
from pipeline.money import format_cents

__all__ = [
    "CHARGE_TYPES",
    "SECTIONS",
    "Statement",
    "StatementLine",
    "StatementWindow",
    "StatementBook",
    "build_book",
    "build_statements",
    "cents_text",
    "on_statements",
    "previous_balances",
    "statement_rows",
]

CHARGE_TYPES = ("customs_duty", "surtax", "sima", "excise_duty", "excise_tax", "gst")
#: Sections of a statement, in the order a statement shows them.
SECTIONS = ("payments", "corrections", "charges", "adjustments", "interest", "penalties")
SECTION_TITLES = {
    "payments": "Payments received",
    "corrections": "Corrections to the previous balance",
    "charges": "New charges",
    "adjustments": "Adjustments",
    "interest": "Interest",
    "penalties": "Penalties",
}
CHARGE_TITLES = {
    "customs_duty": "Customs duty",
    "surtax": "Surtax",
    "sima": "SIMA duty",
    "excise_duty": "Excise duty",
    "excise_tax": "Excise tax",
    "gst": "GST",
}
_SECTION_OF_KIND = {"payment": "payments", "interest": "interest", "penalty": "penalties", "adjustment": "adjustments"}


@dataclass(frozen=True, slots=True)
class StatementWindow:
    period: str
    start: date
    end: date
    statement_date: date
    due_date: date
    high_water_mark: int  # the last posting id the close saw
    cut: date  # the last posting date a statement of this period shows

    def as_record(self) -> dict[str, Any]:
        return {
            "period": self.period, "start": self.start.isoformat(), "end": self.end.isoformat(),
            "statement_date": self.statement_date.isoformat(), "due_date": self.due_date.isoformat(),
            "high_water_mark": self.high_water_mark, "cut": self.cut.isoformat(),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> StatementWindow:
        return cls(
            record["period"], date.fromisoformat(record["start"]), date.fromisoformat(record["end"]),
            date.fromisoformat(record["statement_date"]), date.fromisoformat(record["due_date"]),
            int(record["high_water_mark"]), date.fromisoformat(record["cut"]),
        )


class StatementLine(NamedTuple):
    """One posting as a statement shows it; text fields are ready to print (empty when not applicable)."""

    posting_id: int
    posting_date: str
    kind: str
    charge_type: str
    transaction_number: str
    version: str
    period: str
    due_date: str
    reference: str
    section: str
    cents: int


@dataclass(frozen=True, slots=True)
class Statement:
    importer: str
    name: str
    window: StatementWindow
    previous_cents: int
    sections: Mapping[str, int]  # SECTIONS -> cents
    charges: Mapping[str, int]  # CHARGE_TYPES -> cents (the "charges" section by charge type)
    lines: tuple[StatementLine, ...]

    @property
    def closing_cents(self) -> int:
        return self.previous_cents + sum(self.sections.values())

    @property
    def amount_due_cents(self) -> int:
        return max(self.closing_cents, 0)

    @property
    def credit_cents(self) -> int:
        return max(-self.closing_cents, 0)

    def as_json(self) -> dict[str, Any]:
        """The statement entry of ``carm close-period --json`` (spec/interfaces.md)."""
        return {
            "importer": self.importer,
            "previous_balance": format_cents(self.previous_cents),
            "payments": format_cents(self.sections["payments"]),
            "corrections": format_cents(self.sections["corrections"]),
            "charges": {charge: format_cents(self.charges[charge]) for charge in CHARGE_TYPES},
            "adjustments": format_cents(self.sections["adjustments"]),
            "interest": format_cents(self.sections["interest"]),
            "penalties": format_cents(self.sections["penalties"]),
            "closing_balance": format_cents(self.closing_cents),
        }


def cents_text(cents: int) -> str:
    """``money.format_cents`` in integer arithmetic (``-12.30``), for the millions of posting rows a close
    writes; the two agree on every value (tests check it)."""
    whole, fraction = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole}.{fraction:02d}"


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
    earlier = rows["period"].to_numpy(dtype=object) < window.period
    section = np.array([_SECTION_OF_KIND.get(kind, "charges") for kind in kinds], dtype=object)
    changes = np.isin(kinds, ("correction", "cancellation"))
    section[changes & earlier] = "corrections"
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
    by_section = rows.groupby(["importer", "section"])["cents"].sum()
    charges = rows[rows["section"] == "charges"].groupby(["importer", "charge_type"])["cents"].sum()
    section_of: dict[str, dict[str, int]] = {}
    for (importer, section), cents in by_section.items():
        section_of.setdefault(importer, {})[section] = int(cents)
    charges_of: dict[str, dict[str, int]] = {}
    for (importer, charge), cents in charges.items():
        charges_of.setdefault(importer, {})[charge] = int(cents)
    statements = []
    for importer in sorted(set(spans) | {bn15 for bn15, cents in previous.items() if cents}):
        sections = {section: section_of.get(importer, {}).get(section, 0) for section in SECTIONS}
        by_charge = charges_of.get(importer, {})
        itemised = {charge: by_charge.get(charge, 0) for charge in CHARGE_TYPES}
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


def statement_window(
    period: str, bounds: tuple[date, date], statement_on: date, due: date, high_water_mark: int
) -> StatementWindow:
    """The window of a period's statements: the cut is the statement date."""
    start, end = bounds
    return StatementWindow(period, start, end, statement_on, due, high_water_mark, statement_on)


def group_lines(lines: Sequence[StatementLine]) -> dict[str, list[StatementLine]]:
    """Lines by section, in statement order."""
    grouped: dict[str, list[StatementLine]] = {section: [] for section in SECTIONS}
    for line in lines:
        grouped.setdefault(line.section, []).append(line)
    return grouped
