"""The ledger database: registry, inbox, interchanges, declarations, assessments, postings, payments, control
numbers and the run log. The schema itself is created by the Alembic migrations (``pipeline/migrations``); these
models must match them, which ``tests/test_ledger_schema.py`` checks on both dialects.

Exactly-once is enforced by the database, not by care: a unique key for every thing that must happen once —
an inbound object version (bucket, key, ETag), an interchange (sender, control reference), an accepted CAD
version (transaction number, version), a posting of one charge of one declaration version, a payment.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pipeline.errors import TerminalError
from pipeline.ledger.types import Money, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Surrogate keys: BIGINT on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the auto-numbered rowid.
Id = BigInteger().with_variant(Integer(), "sqlite")

ZERO = Decimal("0.00")


class InboxState(StrEnum):
    RECEIVED = "received"
    ARCHIVED = "archived"
    PARSED = "parsed"
    ANSWERED = "answered"
    QUARANTINED = "quarantined"
    FAILED = "failed"


class Syntax(StrEnum):
    EDIFACT = "edifact"
    XML = "xml"


class DeclarationStatus(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


class PostingKind(StrEnum):
    ASSESSMENT = "assessment"
    CORRECTION = "correction"
    ADJUSTMENT = "adjustment"
    CANCELLATION = "cancellation"
    PAYMENT = "payment"
    INTEREST = "interest"
    PENALTY = "penalty"


class ChargeType(StrEnum):
    CUSTOMS_DUTY = "customs_duty"
    SURTAX = "surtax"
    SIMA = "sima"
    EXCISE_DUTY = "excise_duty"
    EXCISE_TAX = "excise_tax"
    GST = "gst"
    PAYMENT = "payment"
    INTEREST = "interest"
    PENALTY = "penalty"


def _enum(values: type[StrEnum], name: str) -> Enum:
    """A portable enum: VARCHAR plus a CHECK constraint (no PostgreSQL enum type to migrate)."""
    return Enum(
        values, name=name, native_enum=False, create_constraint=True, length=20, validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {Decimal: Money(), datetime: UTCDateTime(), dict[str, Any]: JSON()}


# --- registry --------------------------------------------------------------------------------------------------

class Provider(Base):
    """A service provider: the sender of submissions, owner of one inbound folder."""

    __tablename__ = "providers"
    id: Mapped[str] = mapped_column(String(35), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Importer(Base):
    __tablename__ = "importers"
    bn15: Mapped[str] = mapped_column(String(15), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    security: Mapped[Decimal] = mapped_column(default=ZERO)
    rpp: Mapped[bool] = mapped_column(default=True)


class Broker(Base):
    __tablename__ = "brokers"
    bn9: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Authorization(Base):
    """A service provider may file for an importer (A02)."""

    __tablename__ = "authorizations"
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    importer_bn15: Mapped[str] = mapped_column(ForeignKey("importers.bn15"), primary_key=True)


# --- intake ----------------------------------------------------------------------------------------------------

class InboxEntry(Base):
    """One version of one inbound object, and how far intake got with it.

    ``bucket`` is the inbound store's URL (``Store.url``); (bucket, key, etag) identifies the version, so a
    file listed twice is entered once and a file re-uploaded with new content is a new entry.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("bucket", "key", "etag"),
        Index(None, "state"),
        Index(None, "sha256"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(1024))
    key: Mapped[str] = mapped_column(String(1024))
    etag: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    sender_id: Mapped[str | None] = mapped_column(String(35))  # None: not inside a sender folder
    state: Mapped[InboxState] = mapped_column(_enum(InboxState, "state"), default=InboxState.RECEIVED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)  # why it was quarantined
    archive_key: Mapped[str | None] = mapped_column(String(1024))  # in the archive bucket (or quarantine/…)
    business_date: Mapped[date] = mapped_column(Date)  # the as-of date of the run that received it
    received_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # What the file was answered (findings, statuses, answer control references, issue time): migration 0002.
    outcome: Mapped[dict[str, Any] | None]


class InterchangeRecord(Base):
    """An interchange that passed syntax checks, registered once per sender and control reference (S13)."""

    __tablename__ = "interchanges"
    __table_args__ = (UniqueConstraint("sender_id", "control_reference"), Index(None, "sha256"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(35))
    control_reference: Mapped[str] = mapped_column(String(35))
    sha256: Mapped[str] = mapped_column(String(64))
    inbox_id: Mapped[int | None] = mapped_column(ForeignKey("inbox.id"))
    syntax: Mapped[Syntax] = mapped_column(_enum(Syntax, "syntax"))
    accepted_at: Mapped[datetime]


class DeclarationRecord(Base):
    """Every judged CAD version, accepted or not. Identifiers are kept as sent (a rejected version may carry a
    malformed one), so they are unbounded text; only accepted versions are unique per transaction number."""

    __tablename__ = "declarations"
    __table_args__ = (
        Index(
            "uq_declarations_accepted_version", "transaction_number", "version", unique=True,
            sqlite_where=text("status = 'accepted'"), postgresql_where=text("status = 'accepted'"),
        ),
        Index(None, "interchange_id"),
        Index(None, "importer_bn15"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    interchange_id: Mapped[int] = mapped_column(ForeignKey("interchanges.id"))
    message_reference: Mapped[str | None] = mapped_column(String)  # UNH reference, or XML position
    transaction_number: Mapped[str] = mapped_column(String)
    version: Mapped[int]  # 0 when the sender's text is not a number (rejected)
    function: Mapped[str] = mapped_column(String)  # 9 original, 4 change, 1 cancellation
    cad_type: Mapped[str] = mapped_column(String)  # AB regular, C CLVS
    importer_bn15: Mapped[str | None] = mapped_column(String)
    broker_bn9: Mapped[str | None] = mapped_column(String)
    release_date: Mapped[date | None]
    status: Mapped[DeclarationStatus] = mapped_column(_enum(DeclarationStatus, "status"))
    findings: Mapped[list[Any] | None] = mapped_column(JSON)  # errors and warnings as answered
    received_on: Mapped[date]  # business date of the intake run that judged it
    accepted_on: Mapped[date | None]  # business date of acceptance (accepted versions only)
    posted_at: Mapped[datetime | None]  # real time its postings were written
    period: Mapped[str | None] = mapped_column(String(7))  # billing period YYYY-MM
    due_date: Mapped[date | None]
    source_sha256: Mapped[str] = mapped_column(String(64))  # archive key hash of the file it came in
    created_at: Mapped[datetime]


class LineAssessment(Base):
    """The assessed amounts of one line of an accepted declaration version, as answered and posted."""

    __tablename__ = "line_assessments"
    __table_args__ = (UniqueConstraint("declaration_id", "line"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"))
    line: Mapped[int]
    classification: Mapped[str] = mapped_column(String(10))
    treatment: Mapped[str] = mapped_column(String(4))
    origin: Mapped[str] = mapped_column(String(2))
    vfd: Mapped[Decimal]
    customs_duty: Mapped[Decimal]
    surtax: Mapped[Decimal]
    sima: Mapped[Decimal]
    excise_duty: Mapped[Decimal]
    excise_tax: Mapped[Decimal]
    vft: Mapped[Decimal]
    gst: Mapped[Decimal]
    total: Mapped[Decimal]
    explanation: Mapped[dict[str, Any] | None]  # rate, base, reference row and rule per amount (--explain)


# --- ledger ----------------------------------------------------------------------------------------------------

class Posting(Base):
    """One immutable entry of an importer's account (billing.md): debit positive, credit negative.

    Never updated or deleted: the ORM refuses (``ImmutablePostingError``) and triggers in the database refuse
    too, so a mistake can only be corrected by a new posting.
    """

    __tablename__ = "postings"
    __table_args__ = (
        # One posting per charge type and kind of a declaration version: re-posting a version is impossible.
        Index(
            "uq_postings_declaration_charge", "declaration_id", "kind", "charge_type", unique=True,
            sqlite_where=text("declaration_id IS NOT NULL"), postgresql_where=text("declaration_id IS NOT NULL"),
        ),
        # A payment ID is posted once, whatever happens (billing.md).
        Index(
            "uq_postings_payment_source", "source", unique=True,
            sqlite_where=text("kind = 'payment'"), postgresql_where=text("kind = 'payment'"),
        ),
        # Interest, and the late-payment penalty, are posted once per importer per period.
        Index(
            "uq_postings_period_charge", "importer_bn15", "period", "kind", "charge_type", unique=True,
            sqlite_where=text("declaration_id IS NULL AND kind IN ('interest', 'penalty')"),
            postgresql_where=text("declaration_id IS NULL AND kind IN ('interest', 'penalty')"),
        ),
        Index(None, "importer_bn15", "posting_date"),
        Index(None, "transaction_number"),
        Index(None, "period"),
        CheckConstraint(
            "declaration_id IS NULL OR (transaction_number IS NOT NULL AND version IS NOT NULL)",
            name="declaration_identified",
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    importer_bn15: Mapped[str] = mapped_column(ForeignKey("importers.bn15"))
    posting_date: Mapped[date]  # business date
    posted_at: Mapped[datetime]  # real time
    kind: Mapped[PostingKind] = mapped_column(_enum(PostingKind, "kind"))
    charge_type: Mapped[ChargeType] = mapped_column(_enum(ChargeType, "charge_type"))
    amount: Mapped[Decimal]
    transaction_number: Mapped[str | None] = mapped_column(String(14))
    version: Mapped[int | None]
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declarations.id"))
    period: Mapped[str] = mapped_column(String(7))
    due_date: Mapped[date | None]
    interest_from: Mapped[date | None]  # NULL: the day after due_date; adjustments: after the original due date
    source: Mapped[str] = mapped_column(String(64))  # archive sha256, payment ID, or the run that computed it
    engine_version: Mapped[str] = mapped_column(String(40))


class ImmutablePostingError(TerminalError):
    """Something tried to change or remove a posting."""


@event.listens_for(Posting, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: Posting) -> None:
    raise ImmutablePostingError(f"posting {target.id} cannot be changed; post a correction instead")


@event.listens_for(Posting, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: Posting) -> None:
    raise ImmutablePostingError(f"posting {target.id} cannot be deleted; post a correction instead")


class Payment(Base):
    """A payment as loaded from a payments file (billing.md); its ledger credit is a ``payment`` posting."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount > 0", name="positive"), Index(None, "importer_bn15"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    payment_id: Mapped[str] = mapped_column(String(64), unique=True)
    importer_bn15: Mapped[str] = mapped_column(ForeignKey("importers.bn15"))
    amount: Mapped[Decimal]
    received_at: Mapped[datetime]
    method: Mapped[str] = mapped_column(String(20))
    loaded_at: Mapped[datetime]
    source_file: Mapped[str] = mapped_column(String(1024))


class PaymentApplication(Base):
    """Part of a payment (or of a credit left from it) applied to one debit posting, oldest debt first."""

    __tablename__ = "payment_applications"
    __table_args__ = (
        UniqueConstraint("payment_id", "posting_id"),
        CheckConstraint("amount > 0", name="positive"),
        Index(None, "posting_id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.payment_id"))
    posting_id: Mapped[int] = mapped_column(ForeignKey("postings.id"))
    amount: Mapped[Decimal]
    applied_on: Mapped[date]  # business date
    created_at: Mapped[datetime]


# --- operations ------------------------------------------------------------------------------------------------

class ControlNumber(Base):
    """Interchange control references of outbound answers: issued by the database, never reused."""

    __tablename__ = "control_numbers"
    __table_args__ = ({"sqlite_autoincrement": True},)  # SQLite: never hand out a number again, even the last
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(35))  # the service provider whose submission is answered
    issued_at: Mapped[datetime]


class Run(Base):
    """One intake, billing or payments run, with its counts, for operations."""

    __tablename__ = "runs"
    __table_args__ = (Index(None, "kind", "started_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    business_date: Mapped[date | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    counts: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
