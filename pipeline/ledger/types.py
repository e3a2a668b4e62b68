"""Column types that keep money exact and time unambiguous on SQLite and PostgreSQL alike.

``Money``: ``NUMERIC(18, 2)`` on PostgreSQL; integer cents (``BIGINT``) on SQLite, which has no exact decimal
type (notes/money.md D3). Python sees ``Decimal`` both ways. Only ``Decimal`` values are accepted: a float is
inexact and an int is ambiguous (dollars or cents?), so both are bugs and raise ``TypeError``; a value that is not
a whole number of cents, or beyond NUMERIC(18, 2), raises ``ValueError``. Inside a SQLAlchemy statement either
arrives wrapped in ``sqlalchemy.exc.StatementError`` (``.orig`` is the original). Compare with ``Decimal("0")``,
not ``0``, for the same reason.

``UTCDateTime``: real (wall-clock) instants, accepted only when timezone-aware and returned aware in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from pipeline.money import LEDGER_LIMIT_CENTS, LEDGER_PRECISION, LEDGER_SCALE, from_cents, scaled

MONEY_PRECISION = LEDGER_PRECISION  # validation holds declarations to the same limit (B15/B13)
MONEY_SCALE = LEDGER_SCALE
_LIMIT_CENTS = LEDGER_LIMIT_CENTS  # NUMERIC(18, 2) holds |amount| < 10**16 dollars


def money_cents(value: object) -> int:
    """A money value as integer cents, or the reason it cannot be stored."""
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be a Decimal, not {type(value).__name__} ({value!r})")
    if not value.is_finite():
        raise ValueError(f"money must be a finite amount, not {value}")
    try:
        cents = scaled(value, MONEY_SCALE)
    except ValueError as exc:
        raise ValueError(f"money must be a whole number of cents, not {value}") from exc
    if abs(cents) >= _LIMIT_CENTS:
        raise ValueError(f"money {value} is beyond NUMERIC({MONEY_PRECISION}, {MONEY_SCALE})")
    return cents


class Money(TypeDecorator[Decimal]):
    impl = Numeric(MONEY_PRECISION, MONEY_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        cents = money_cents(value)
        return cents if dialect.name == "sqlite" else from_cents(cents)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, Decimal):
            return from_cents(money_cents(value))
        if isinstance(value, int):  # SQLite cents (also SUM() over them)
            return from_cents(value)
        raise TypeError(f"the database returned {type(value).__name__} {value!r} for a money column")

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"a timestamp must be timezone-aware, not {value!r}")
        instant = value.astimezone(UTC)
        # SQLite's DATETIME is text without an offset: store UTC and put the zone back on reading.
        return instant.replace(tzinfo=None) if dialect.name == "sqlite" else instant

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @property
    def python_type(self) -> type[datetime]:
        return datetime
