"""Minimal valid ledger rows for tests, each overridable field by field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from pipeline.ledger import (
    ChargeType,
    DeclarationRecord,
    DeclarationStatus,
    Importer,
    InboxEntry,
    InterchangeRecord,
    Posting,
    PostingKind,
    Provider,
    Syntax,
)

BN15 = "123456782RM0001"
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
NOW = datetime(2025, 6, 3, 14, 0, tzinfo=UTC)
TODAY = date(2025, 6, 3)


def add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def importer(session: Session, bn15: str = BN15, **fields: Any) -> Importer:
    return add(session, Importer(**{"bn15": bn15, "name": "Maple Imports Ltd", "security": Decimal("0.00"), **fields}))


def provider(session: Session, provider_id: str = "SP00042", **fields: Any) -> Provider:
    return add(session, Provider(**{"id": provider_id, "name": "Harbour Customs Brokers", **fields}))


def inbox_entry(session: Session, **fields: Any) -> InboxEntry:
    defaults = {
        "bucket": "file:///srv/carm/buckets/inbound", "key": "SP00042/a.edi", "etag": "e1", "size": 10,
        "business_date": TODAY, "received_at": NOW, "updated_at": NOW,
    }
    return add(session, InboxEntry(**{**defaults, **fields}))


def interchange(session: Session, control_reference: str = "ICR000017", **fields: Any) -> InterchangeRecord:
    defaults = {
        "sender_id": "SP00042", "control_reference": control_reference, "sha256": SHA, "syntax": Syntax.EDIFACT,
        "accepted_at": NOW,
    }
    return add(session, InterchangeRecord(**{**defaults, **fields}))


def declaration(session: Session, interchange_id: int, **fields: Any) -> DeclarationRecord:
    defaults = {
        "interchange_id": interchange_id, "transaction_number": "10207000002945", "version": 1, "function": "9",
        "cad_type": "AB", "importer_bn15": BN15, "status": DeclarationStatus.ACCEPTED, "received_on": TODAY,
        "accepted_on": TODAY, "period": "2025-06", "due_date": date(2025, 7, 2), "source_sha256": SHA,
        "created_at": NOW,
    }
    return add(session, DeclarationRecord(**{**defaults, **fields}))


def posting(session: Session, **fields: Any) -> Posting:
    defaults = {
        "importer_bn15": BN15, "posting_date": TODAY, "posted_at": NOW, "kind": PostingKind.ASSESSMENT,
        "charge_type": ChargeType.CUSTOMS_DUTY, "amount": Decimal("92.00"), "period": "2025-06",
        "due_date": date(2025, 7, 2), "source": SHA, "engine_version": "0.1.0",
    }
    return add(session, Posting(**{**defaults, **fields}))
