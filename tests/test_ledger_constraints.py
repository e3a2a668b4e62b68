"""Exactly-once and immutability, enforced by the database itself on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from pipeline.ledger import (
    ChargeType,
    DeclarationStatus,
    ImmutablePostingError,
    InboxEntry,
    Payment,
    Posting,
    PostingKind,
)
from tests import ledger_rows as rows


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def posted(ledger_engine: Engine) -> int:
    """One customs-duty posting of an accepted declaration; its id."""
    with Session(ledger_engine) as session, session.begin():
        rows.importer(session)
        declaration = rows.declaration(session, rows.interchange(session).id)
        return rows.posting(
            session, declaration_id=declaration.id, transaction_number="10207000002945", version=1
        ).id


# --- postings are immutable --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "statement",
    ["UPDATE postings SET amount = amount + 1", "UPDATE postings SET period = '2025-07'", "DELETE FROM postings"],
)
def test_the_database_refuses_to_change_or_remove_a_posting(ledger_engine: Engine, posted: int, statement: str) -> None:
    with ledger_engine.connect() as connection, pytest.raises(IntegrityError, match="immutable"):
        connection.execute(text(statement))
    with Session(ledger_engine) as session:
        posting = session.get(Posting, posted)
        assert posting is not None and (posting.amount, posting.period) == (Decimal("92.00"), "2025-06")


@pytest.mark.parametrize("db_backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_postgresql_refuses_truncating_the_ledger(ledger_engine: Engine, posted: int) -> None:
    with ledger_engine.connect() as connection, pytest.raises(IntegrityError, match="immutable"):
        connection.execute(text("TRUNCATE postings CASCADE"))
    assert count(ledger_engine, Posting) == 1


def test_the_orm_refuses_before_the_database_is_asked(ledger_engine: Engine, posted: int) -> None:
    with Session(ledger_engine) as session:
        session.get(Posting, posted).amount = Decimal("0.00")
        with pytest.raises(ImmutablePostingError):
            session.flush()
        session.rollback()
        session.delete(session.get(Posting, posted))
        with pytest.raises(ImmutablePostingError):
            session.flush()
    assert count(ledger_engine, Posting) == 1


# --- exactly once ------------------------------------------------------------------------------------------------

def test_a_transaction_version_is_accepted_once(ledger_engine: Engine) -> None:
    with Session(ledger_engine) as session, session.begin():
        interchange = rows.interchange(session)
        rows.declaration(session, interchange.id)
        # rejected and duplicate answers about the same version are kept as history
        rows.declaration(session, interchange.id, status=DeclarationStatus.REJECTED)
        rows.declaration(session, interchange.id, status=DeclarationStatus.REJECTED)
        rows.declaration(session, interchange.id, status=DeclarationStatus.DUPLICATE)
        rows.declaration(session, interchange.id, version=2, function="4")
    with Session(ledger_engine) as session, pytest.raises(IntegrityError):
        rows.declaration(session, rows.interchange(session, "ICR000018").id)


def test_a_declaration_charge_is_posted_once(ledger_engine: Engine, posted: int) -> None:
    with Session(ledger_engine) as session:
        declaration_id = session.get(Posting, posted).declaration_id
    fields = {"declaration_id": declaration_id, "transaction_number": "10207000002945", "version": 1}
    with Session(ledger_engine) as session:
        with session.begin():
            rows.posting(session, charge_type=ChargeType.GST, amount=Decimal("62.10"), **fields)
        with session.begin(), pytest.raises(IntegrityError):
            rows.posting(session, charge_type=ChargeType.CUSTOMS_DUTY, amount=Decimal("1.00"), **fields)
    assert count(ledger_engine, Posting) == 2


def test_a_payment_is_posted_once(ledger_engine: Engine) -> None:
    payment = {"kind": PostingKind.PAYMENT, "charge_type": ChargeType.PAYMENT, "source": "PAY-0001",
               "amount": Decimal("-100.00"), "due_date": None}
    with Session(ledger_engine) as session:
        with session.begin():
            rows.importer(session)
            rows.posting(session, **payment)
        with session.begin(), pytest.raises(IntegrityError):
            rows.posting(session, **payment)
    assert count(ledger_engine, Posting) == 1


def test_interest_is_posted_once_per_importer_and_period(ledger_engine: Engine) -> None:
    interest = {"kind": PostingKind.INTEREST, "charge_type": ChargeType.INTEREST, "amount": Decimal("3.17"),
                "source": "close-2025-06"}
    with Session(ledger_engine) as session:
        with session.begin():
            rows.importer(session)
            rows.posting(session, **interest)
            rows.posting(session, **{**interest, "period": "2025-07"})
        with session.begin(), pytest.raises(IntegrityError):
            rows.posting(session, **{**interest, "source": "rerun"})
    assert count(ledger_engine, Posting) == 2


def test_an_inbound_object_version_enters_the_inbox_once(ledger_engine: Engine) -> None:
    with Session(ledger_engine) as session:
        with session.begin():
            rows.inbox_entry(session)
            rows.inbox_entry(session, etag="e2")  # the same key uploaded again with new content
            rows.inbox_entry(session, bucket="s3://other-inbound")
        with session.begin(), pytest.raises(IntegrityError):
            rows.inbox_entry(session)
    assert count(ledger_engine, InboxEntry) == 3


def test_an_interchange_is_registered_once_per_sender(ledger_engine: Engine) -> None:
    with Session(ledger_engine) as session:
        with session.begin():
            rows.interchange(session)
            rows.interchange(session, sender_id="SP00043")
        with session.begin(), pytest.raises(IntegrityError):
            rows.interchange(session, sha256="0" * 64)


def test_payments_are_unique_and_positive(ledger_engine: Engine) -> None:
    def payment(payment_id: str, amount: str) -> Payment:
        at = rows.NOW
        return Payment(payment_id=payment_id, importer_bn15=rows.BN15, amount=Decimal(amount), received_at=at,
                       method="electronic", loaded_at=at, source_file="payments-2025-06-03.csv")

    with Session(ledger_engine) as session:
        with session.begin():
            rows.importer(session)
            rows.add(session, payment("PAY-1", "100.00"))
        with session.begin(), pytest.raises(IntegrityError):
            rows.add(session, payment("PAY-1", "5.00"))
        with session.begin(), pytest.raises(IntegrityError):
            rows.add(session, payment("PAY-2", "-5.00"))


# --- integrity of values -----------------------------------------------------------------------------------------

def test_foreign_keys_are_enforced(ledger_engine: Engine) -> None:
    with Session(ledger_engine) as session, pytest.raises(IntegrityError):
        rows.posting(session, importer_bn15="999999999RM9999")


def test_states_outside_the_enum_are_refused_by_the_database(ledger_engine: Engine) -> None:
    with Session(ledger_engine) as session:
        rows.inbox_entry(session)
        with pytest.raises(IntegrityError):
            session.execute(text("UPDATE inbox SET state = 'lost'"))


def test_timestamps_must_be_timezone_aware(ledger_engine: Engine) -> None:
    with Session(ledger_engine) as session, pytest.raises(StatementError) as raised:
        rows.inbox_entry(session, received_at=datetime(2025, 6, 3, 10, 0))
    assert isinstance(raised.value.orig, ValueError)


def test_timestamps_come_back_in_utc(ledger_engine: Engine) -> None:
    eastern = datetime.fromisoformat("2025-06-03T10:00:00-04:00")
    with Session(ledger_engine) as session, session.begin():
        entry_id = rows.inbox_entry(session, received_at=eastern).id
    with Session(ledger_engine) as session:
        received = session.get(InboxEntry, entry_id).received_at
    assert received == eastern and received.isoformat() == "2025-06-03T14:00:00+00:00"
