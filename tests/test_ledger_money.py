"""Money in the database: exact Decimal both ways on SQLite (integer cents) and PostgreSQL (NUMERIC(18, 2))."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from pipeline.ledger import Importer, Posting, PostingKind, money_cents
from tests import ledger_rows as rows

EDGE_AMOUNTS = [
    Decimal("12345678901.23"),
    Decimal("-12345678901.23"),
    Decimal("-0.01"),
    Decimal("0.01"),
    Decimal("0.00"),
    Decimal("9999999999999999.99"),  # the largest NUMERIC(18, 2)
    Decimal("-9999999999999999.99"),
]


def test_amounts_round_trip_exactly(ledger_engine: Engine) -> None:
    with Session(ledger_engine) as session, session.begin():
        rows.importer(session)
        ids = [rows.posting(session, amount=amount, source=f"s{n}", kind=PostingKind.PAYMENT).id
               for n, amount in enumerate(EDGE_AMOUNTS)]
    with Session(ledger_engine) as session:
        read = [session.get(Posting, posting_id).amount for posting_id in ids]
    assert read == EDGE_AMOUNTS
    assert [str(amount) for amount in read] == [str(amount) for amount in EDGE_AMOUNTS]  # two decimals, always
    assert all(type(amount) is Decimal for amount in read)


def test_trailing_zeros_are_the_same_amount(ledger_engine: Engine) -> None:
    with Session(ledger_engine) as session, session.begin():
        rows.importer(session, security=Decimal("5000.000"))
    with Session(ledger_engine) as session:
        assert str(session.get(Importer, rows.BN15).security) == "5000.00"


def test_storage_is_exact_on_each_dialect(ledger_engine: Engine) -> None:
    with Session(ledger_engine) as session, session.begin():
        rows.importer(session, security=Decimal("12345678901.23"))
    with ledger_engine.connect() as connection:
        if ledger_engine.dialect.name == "sqlite":
            kind, raw = connection.execute(text("SELECT typeof(security), security FROM importers")).one()
            assert (kind, raw) == ("integer", 1234567890123)
        else:
            column = connection.execute(
                text("SELECT data_type, numeric_precision, numeric_scale FROM information_schema.columns "
                     "WHERE table_schema = current_schema() AND table_name = 'importers' "
                     "AND column_name = 'security'")
            ).one()
            assert tuple(column) == ("numeric", 18, 2)
            assert connection.execute(text("SELECT security::text FROM importers")).scalar() == "12345678901.23"


def test_sums_stay_exact(ledger_engine: Engine) -> None:
    amounts = [Decimal("0.10")] * 10 + [Decimal("-0.30"), Decimal("1234567.89")]
    with Session(ledger_engine) as session, session.begin():
        rows.importer(session)
        for n, amount in enumerate(amounts):
            rows.posting(session, amount=amount, source=f"p{n}", kind=PostingKind.PAYMENT)
    with Session(ledger_engine) as session:
        total = session.scalar(select(func.sum(Posting.amount)))
        positive = session.scalar(select(func.count()).where(Posting.amount > Decimal("0")))
    assert total == Decimal("1234568.59") and type(total) is Decimal
    assert positive == 11


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (12.5, TypeError),  # a float is never money
        (1250, TypeError),  # dollars or cents? ambiguous, so refused
        (True, TypeError),
        ("12.50", TypeError),
        (Decimal("1.005"), ValueError),  # more than two decimals
        (Decimal("0.001"), ValueError),
        (Decimal("NaN"), ValueError),
        (Decimal("Infinity"), ValueError),
        (Decimal("10000000000000000.00"), ValueError),  # beyond NUMERIC(18, 2)
    ],
)
def test_values_that_are_not_exact_cents_are_refused(ledger_engine: Engine, value: object, error: type) -> None:
    with pytest.raises(error):
        money_cents(value)
    with Session(ledger_engine) as session:
        rows.importer(session)
        with pytest.raises(StatementError) as raised:
            rows.posting(session, amount=value)
        assert isinstance(raised.value.orig, error)
        session.rollback()
    with Session(ledger_engine) as session:
        assert session.scalar(select(func.count()).select_from(Posting)) == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cents=st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1))
def test_any_amount_in_range_round_trips(ledger_engine: Engine, cents: int) -> None:
    amount = Decimal(cents).scaleb(-2)
    with Session(ledger_engine) as session:
        session.execute(insert(Importer).values(bn15="X", name="x", security=amount, rpp=True))
        stored = session.scalar(select(Importer.security).where(Importer.bn15 == "X"))
        session.rollback()
    assert stored == amount and stored.as_tuple().exponent == -2
