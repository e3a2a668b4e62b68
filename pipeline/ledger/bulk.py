"""Writing many rows of one table in one statement: ``COPY … FROM STDIN`` on PostgreSQL, the driver's
``executemany`` on SQLite (which has no COPY and whose executemany stays in process).

PostgreSQL's ``executemany`` (psycopg's pipeline mode) still sends one INSERT per row; COPY streams every row
in one statement. The values go through the same column types as an INSERT would (``Money`` checks and
converts, enums become their values, JSON is serialised; each scalar value object once), so what is stored is
the same either way, and a value the database refuses raises the same SQLAlchemy exception class
(``DataError``, ``IntegrityError``, ``OperationalError`` …) as an INSERT would, for the caller's fault handling.

``insert_returning_ids`` is the same for rows whose generated ids the caller needs: on PostgreSQL the ids are
drawn from the column's own sequence first (one statement), then the rows are copied with them; an
``INSERT … RETURNING`` of thousands of rows costs more in building and parsing its text than the COPY does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Table, func, insert, select, text
from sqlalchemy.exc import DBAPIError, StatementError


def insert_many(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys: column names) into ``table``, in one statement."""
    if not rows:
        return
    names = list(rows[0])
    dialect = connection.dialect
    converters = [_converter(table, name, connection) for name in names]
    if dialect.name == "postgresql":
        statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    else:
        statement = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    try:
        values = [[value if convert is None else convert(value)
                   for convert, value in zip(converters, (row[name] for name in names), strict=True)] for row in rows]
    except (TypeError, ValueError) as exc:  # a column type refused a value (``Money``): as an INSERT reports it
        raise StatementError(str(exc), statement, None, exc) from exc
    driver = connection.connection.driver_connection
    assert driver is not None, "a pooled connection always has its driver connection"
    if dialect.name == "postgresql":
        _copy(driver, statement, values, dialect)
    else:  # SQLite: the driver's executemany, without SQLAlchemy processing each value again
        import sqlite3

        try:
            driver.executemany(statement, values)  # type: ignore[attr-defined]
        except sqlite3.Error as exc:
            raise DBAPIError.instance(statement, None, exc, sqlite3.Error, dialect=dialect) from exc


def _copy(driver: Any, statement: str, values: list[list[Any]], dialect: Any) -> None:
    import psycopg  # only on PostgreSQL, whose driver is psycopg 3 (``database._parse``)

    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row_values in values:
                copy.write_row(row_values)
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error, dialect=dialect) from exc


def insert_returning_ids(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``table`` (whose primary key ``id`` the database generates) in one statement; the
    ids given to them, in the order of ``rows``."""
    if not rows:
        return []
    if connection.dialect.name != "postgresql":
        result = connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), list(rows))
        return list(result.scalars())
    sequence = connection.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
    ids = list(connection.scalars(
        text("SELECT nextval(:sequence) FROM generate_series(1, :count)"), {"sequence": sequence, "count": len(rows)}
    ))
    insert_many(connection, table, [{"id": row_id, **row} for row_id, row in zip(ids, rows, strict=True)])
    return ids


def _converter(table: Table, name: str, connection: Connection) -> Callable[[Any], Any] | None:
    """The column's bind processor, remembered per value object for the scalar columns: a batch's rows share
    few objects per column (its posting time, business date, kinds, and ``Decimal`` amounts, which the caller
    memoises), and money conversion checks exactness and bounds each time. Keyed by identity, so an int or a
    float equal to a seen Decimal is still refused. JSON documents are one object per row: not remembered."""
    dialect = connection.dialect
    column_type = table.c[name].type
    convert = column_type.dialect_impl(dialect).bind_processor(dialect)
    if convert is None or isinstance(column_type, JSON):
        return convert
    seen: dict[int, tuple[Any, Any]] = {}  # id → (the value, kept alive so its id is not reused; converted)

    def remembered(value: Any) -> Any:
        entry = seen.get(id(value))
        if entry is None:
            entry = seen[id(value)] = (value, convert(value))
        return entry[1]

    return remembered
