"""Writing many rows of one table in one statement: ``COPY … FROM STDIN`` on PostgreSQL, ``executemany`` on
SQLite (which has no COPY and whose executemany stays in process).

PostgreSQL's ``executemany`` (psycopg's pipeline mode) still sends one INSERT per row; COPY streams every row
in one statement. The values go through the same column types as an INSERT would (``Money`` checks and
converts, enums become their values, JSON is serialised), so what is stored is the same either way, and a value
the database refuses raises the same SQLAlchemy exception class (``DataError``, ``IntegrityError``,
``OperationalError`` …) as an INSERT would, for the caller's fault handling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import DBAPIError, StatementError


def insert_many(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys: column names) into ``table``, in one statement."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    dialect = connection.dialect
    converters = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    driver = connection.connection.driver_connection
    assert driver is not None, "a pooled connection always has its driver connection"
    import psycopg  # only on PostgreSQL, whose driver is psycopg 3 (``database._parse``)

    try:
        values = [[value if convert is None else convert(value)
                   for convert, value in zip(converters, (row[name] for name in names), strict=True)] for row in rows]
    except (TypeError, ValueError) as exc:  # a column type refused a value (``Money``): as an INSERT reports it
        raise StatementError(str(exc), statement, None, exc) from exc
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for row_values in values:
                copy.write_row(row_values)
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error, dialect=dialect) from exc
