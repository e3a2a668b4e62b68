"""What the ledger knows of a transaction number, for validation's B04/B05 (``LedgerHistory`` protocol of
``pipeline.validate.context``)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.ledger.models import DeclarationRecord, DeclarationStatus


class DatabaseHistory:
    def __init__(self, session: Session) -> None:
        self._session = session

    def latest_accepted_version(self, transaction_number: str) -> int | None:
        return self._session.scalar(
            select(func.max(DeclarationRecord.version)).where(
                DeclarationRecord.transaction_number == transaction_number,
                DeclarationRecord.status == DeclarationStatus.ACCEPTED,
            )
        )
