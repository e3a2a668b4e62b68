"""Engines and schema migrations for the ledger database (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from pipeline.errors import ConfigurationError, TransientError

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def _parse(db_url: str) -> URL:
    try:
        url = make_url(db_url)
    except ArgumentError as exc:
        raise ConfigurationError(f"CARM_DB_URL {db_url!r} is not a database URL") from exc
    if url.drivername == "postgresql":  # plain postgresql:// would mean psycopg2, which is not a dependency
        url = url.set(drivername="postgresql+psycopg")
    return url


def existing_engine(db_url: str) -> Engine:
    """An engine on a ledger that must already exist: commands that only read never create one (a mistyped
    CARM_HOME would otherwise show an empty account instead of saying where it looked)."""
    url = _parse(db_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        if not Path(url.database).is_file():
            raise ConfigurationError(
                f"no ledger database at {url.database} (CARM_DB_URL {shown_url(db_url)}; CARM_HOME decides the "
                "default). After `make demo`, the demo's ledger is in var/demo: CARM_HOME=var/demo carm account …"
            )
    return engine_for(db_url)


def shown_url(db_url: str) -> str:
    """``db_url`` as it may be printed: the password hidden."""
    try:
        return _parse(db_url).render_as_string(hide_password=True)
    except ConfigurationError:
        return "(not a database URL)"


def describe_fault(fault: SQLAlchemyError, db_url: str) -> str:
    """One line for a fault the database or the way to it raised (refused connection, a file that is not a
    database …): which ledger database, and the driver's own words without SQLAlchemy's SQL and links."""
    cause = getattr(fault, "orig", None) or fault
    return f"ledger database {shown_url(db_url)} (CARM_DB_URL): {' '.join(str(cause).split())}"


def database_fault(fault: SQLAlchemyError, db_url: str) -> TransientError:
    """A fault of the ledger database met mid-run, as the retryable error that reports it in one line."""
    return TransientError(describe_fault(fault, db_url))


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from pysqlite so that SQLAlchemy's BEGIN is the real one (transactional DDL for
    # migrations, SAVEPOINTs), foreign keys are enforced, and concurrent writers wait instead of failing.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock up front: two sessions that read then write cannot deadlock into
    # SQLITE_BUSY (which busy_timeout does not retry); they queue instead. A transaction that only reads
    # (``reading``) begins deferred: under WAL it reads a snapshot without waiting for a writer.
    if connection.get_execution_options().get(_READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


_READ_ONLY = "carm_read_only"


def reading(engine: Engine) -> Engine:
    """``engine`` for transactions that only read: on SQLite they take no write lock, so a worker judging its
    files does not wait for another worker's posting; elsewhere the same engine."""
    return engine.execution_options(**{_READ_ONLY: True})


def json_text(document: Any) -> str:
    """The JSON text stored for a document (findings, explanations, outcomes): orjson, many times quicker than
    the standard library on a batch's thousands of documents; the standard library for what orjson refuses
    (an integer beyond 64 bits), so that any document the standard library could store is stored."""
    try:
        return orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(document)


def engine_for(db_url: str, **options: Any) -> Engine:
    """An engine for ``CARM_DB_URL``: ``sqlite:///path`` (folder created on demand) or
    ``postgresql+psycopg://…`` (``postgresql://`` is taken to mean psycopg 3). Extra options go to
    ``create_engine``."""
    url = _parse(db_url)
    try:
        if url.get_backend_name() == "sqlite":
            database = url.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, json_serializer=json_text, **options)
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        return create_engine(url, pool_pre_ping=True, json_serializer=json_text, **options)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ConfigurationError(f"CARM_DB_URL {url.render_as_string()!r}: {exc}") from exc


def alembic_config(connection: Connection | None = None) -> Any:
    """The Alembic configuration of the packaged migrations; with ``connection``, migrations run on it."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(db_url: str, revision: str = "head") -> None:
    """Apply the schema migrations up to ``revision`` (``carm db upgrade``), in one transaction."""
    from alembic import command

    engine = engine_for(db_url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the packaged migrations have no head"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()
