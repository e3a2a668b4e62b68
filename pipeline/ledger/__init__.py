"""The ledger database: schema (``models``), exact money (``types``), engines and migrations (``database``)."""

from __future__ import annotations

from pipeline.ledger.control_numbers import next_control_reference
from pipeline.ledger.database import current_revision, engine_for, existing_engine, head_revision, upgrade
from pipeline.ledger.history import DatabaseHistory
from pipeline.ledger.models import (
    Authorization,
    Base,
    Broker,
    ChargeType,
    ControlNumber,
    DeclarationRecord,
    DeclarationStatus,
    ImmutablePostingError,
    Importer,
    InboxEntry,
    InboxState,
    InterchangeRecord,
    LineAssessment,
    Payment,
    PaymentApplication,
    Posting,
    PostingKind,
    Provider,
    Run,
    Syntax,
)
from pipeline.ledger.registry_store import load_registry, save_registry
from pipeline.ledger.types import Money, UTCDateTime, money_cents

__all__ = [
    "Authorization", "Base", "Broker", "ChargeType", "ControlNumber", "DatabaseHistory", "DeclarationRecord",
    "DeclarationStatus", "ImmutablePostingError", "Importer", "InboxEntry", "InboxState", "InterchangeRecord",
    "LineAssessment", "Money", "Payment", "PaymentApplication", "Posting", "PostingKind", "Provider", "Run",
    "Syntax", "UTCDateTime", "current_revision", "engine_for", "existing_engine", "head_revision", "load_registry",
    "money_cents", "next_control_reference", "save_registry", "upgrade",
]
