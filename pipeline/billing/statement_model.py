"""The statement of account as data: its window, sections, charge types, posting lines and figures.

Plain frozen dataclasses and integer cents, with no heavy import: PDF worker processes unpickle these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from pipeline.money import format_cents

__all__ = [
    "CHARGE_TITLES",
    "CHARGE_TYPES",
    "SECTIONS",
    "SECTION_TITLES",
    "Statement",
    "StatementLine",
    "StatementWindow",
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

