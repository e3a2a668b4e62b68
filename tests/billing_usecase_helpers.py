"""A small scripting layer for the billing use-case tests: a runtime over a test ledger and buckets, and CADs,
corrections and payments written straight into the ledger with its models (no intake involved)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pipeline.billing import federal_holidays
from pipeline.billing.interest import parse_prescribed_rates
from pipeline.config import Settings
from pipeline.ledger import (
    Broker,
    ChargeType,
    DeclarationRecord,
    DeclarationStatus,
    Importer,
    InterchangeRecord,
    LineAssessment,
    Posting,
    PostingKind,
    Syntax,
    engine_for,
)
from pipeline.runtime import Runtime
from pipeline.storage import open_buckets

#: Prescribed rate 3 % a year in 2026-Q1 (specified rate 9 %), 4 % from 2026-Q2 (specified 10 %).
TEST_RATES = parse_prescribed_rates(
    "quarter,rate_percent,source\n"
    + "".join(f"{year}-Q{q},3,test\n" for year in (2025,) for q in (1, 2, 3, 4))
    + "2026-Q1,3,test\n2026-Q2,4,test\n2026-Q3,4,test\n2026-Q4,4,test\n",
    "test-rates.csv",
)
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CHARGES = ("customs_duty", "surtax", "sima", "excise_duty", "excise_tax", "gst")


def make_runtime(db_url: str, home: Path) -> Runtime:
    """A runtime on ``db_url`` with local buckets under ``home``; the reference tables are not needed."""
    settings = Settings.from_env({"CARM_HOME": str(home), "CARM_DB_URL": db_url})
    return Runtime(
        settings=settings,
        engine=engine_for(db_url),
        buckets=open_buckets(settings),
        reference=None,  # type: ignore[arg-type]  # billing never reads the tariff
        calendar=federal_holidays(range(2024, 2029)),
        prescribed_rates=TEST_RATES,
    )


def money(text: str) -> Decimal:
    return Decimal(text)


@dataclass
class LedgerScript:
    """Writes registry rows, CAD versions (declaration, one line assessment, postings) into a ledger."""

    engine: Engine
    interchange_id: int | None = None
    sequence: int = 0
    declarations: dict[tuple[str, int], int] = field(default_factory=dict)

    def importer(self, bn15: str, name: str, *, security: str = "0.00", rpp: bool = True) -> None:
        with Session(self.engine) as session, session.begin():
            session.add(Importer(bn15=bn15, name=name, security=money(security), rpp=rpp))

    def broker(self, bn9: str, name: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.add(Broker(bn9=bn9, name=name))

    def _interchange(self, session: Session) -> int:
        if self.interchange_id is None:
            record = InterchangeRecord(
                sender_id="SP00042", control_reference="ICR1", sha256="0" * 64, syntax=Syntax.EDIFACT, accepted_at=NOW
            )
            session.add(record)
            session.flush()
            self.interchange_id = record.id
        return self.interchange_id

    def cad(
        self,
        importer: str,
        transaction: str,
        version: int,
        *,
        accepted_on: date,
        period: str,
        due: date,
        kind: str = "assessment",
        postings: dict[str, str],
        lines: dict[str, str] | None = None,
        broker: str | None = None,
        function: str | None = None,
        posting_due: date | None = None,
        interest_from: date | None = None,
    ) -> list[int]:
        """One accepted CAD version: its declaration row, one line assessment holding the version's full amounts
        (``lines``; none for a cancellation) and one posting per charge type of ``postings`` (the difference
        from the version before). Returns the posting ids."""
        self.sequence += 1
        sha = hashlib.sha256(f"{transaction}/{version}".encode()).hexdigest()
        if function is None:
            function = {"assessment": "9", "cancellation": "1"}.get(kind, "4")
        with Session(self.engine) as session, session.begin():
            declaration = DeclarationRecord(
                interchange_id=self._interchange(session), message_reference=str(self.sequence),
                transaction_number=transaction, version=version, function=function, cad_type="AB",
                importer_bn15=importer, broker_bn9=broker, release_date=accepted_on,
                status=DeclarationStatus.ACCEPTED, findings=[], received_on=accepted_on, accepted_on=accepted_on,
                posted_at=NOW, period=period, due_date=due, source_sha256=sha, created_at=NOW,
            )
            session.add(declaration)
            session.flush()
            self.declarations[(transaction, version)] = declaration.id
            if lines is not None:
                amounts = {charge: money(lines.get(charge, "0.00")) for charge in CHARGES}
                session.add(LineAssessment(
                    declaration_id=declaration.id, line=1, classification="9503001010", treatment="2",
                    origin="CN", vfd=money("1000.00"), vft=money("1000.00"), total=sum(amounts.values(), Decimal(0)),
                    **amounts,
                ))
            ids = []
            for charge, amount in postings.items():
                posting = Posting(
                    importer_bn15=importer, posting_date=accepted_on, posted_at=NOW, kind=PostingKind(kind),
                    charge_type=ChargeType(charge), amount=money(amount), transaction_number=transaction,
                    version=version, declaration_id=declaration.id, period=period,
                    due_date=posting_due or due, source=sha, engine_version="test", interest_from=interest_from,
                )
                session.add(posting)
                session.flush()
                ids.append(posting.id)
        return ids

    def posting(self, **fields: Any) -> int:
        """Any other posting (fields as the model's)."""
        defaults = {"posted_at": NOW, "source": "test", "engine_version": "test"}
        with Session(self.engine) as session, session.begin():
            posting = Posting(**{**defaults, **fields})
            session.add(posting)
            session.flush()
            return posting.id


def payments_csv(*rows: tuple[str, str, str, str, str]) -> bytes:
    """A payments file: header, then ``(payment_id, importer, amount, received_at, method)`` rows."""
    lines = ["payment_id,importer,amount,received_at,method"]
    lines += [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()
