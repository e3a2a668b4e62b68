"""What the ledger knows of a transaction number, for validation's B23, B04 and B05 (``LedgerHistory`` protocol
of ``pipeline.validate.context``), one transaction at a time. Intake loads the same for a whole batch at once
(``pipeline.intake.records.load_view``)."""

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

    def owning_importer(self, transaction_number: str) -> str | None:
        # The first accepted version, not the latest: a version accepted before B23 existed may name another.
        return self._session.scalar(
            select(DeclarationRecord.importer_bn15)
            .where(DeclarationRecord.transaction_number == transaction_number,
                   DeclarationRecord.status == DeclarationStatus.ACCEPTED)
            .order_by(DeclarationRecord.version)
            .limit(1)
        )
