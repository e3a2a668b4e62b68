"""What validation is allowed to know besides the file itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from pipeline.reference.types import ReferenceData
from pipeline.registry import Registry


class LedgerHistory(Protocol):
    """What the ledger knows of a transaction number (intake supplies it; B23, B04, B05)."""

    def latest_accepted_version(self, transaction_number: str) -> int | None: ...

    def owning_importer(self, transaction_number: str) -> str | None:
        """The importer of the transaction's first accepted version: whose transaction it is (B23)."""
        ...


@dataclass(frozen=True, slots=True)
class ValidationContext:
    reference: ReferenceData
    as_of: date  # business date ("today") for "date in the future"
    sender_folder: str | None = None  # the inbound folder the file came from; None: A03 not checked
    registry: Registry | None = None  # None: A01, A02, B02 not checked
    history: LedgerHistory | None = None  # None: B04, B05, B23 not checked
