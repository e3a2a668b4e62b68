"""The PostgreSQL server the tests use: where it is, whether it answers, and throw-away databases on it.

``CARM_TEST_PG_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/``) names the server; its database
part, if any, is only used to connect for administration (``postgres`` when absent). A test session creates one
database, ``carm_test_<random>``, drops it at the end, and gives each test its own schema inside it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import URL, make_url

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/"
REQUIRE_VARIABLE = "CARM_REQUIRE_POSTGRES"


def server_url() -> URL:
    return make_url(os.environ.get("CARM_TEST_PG_URL") or DEFAULT_URL).set(drivername="postgresql+psycopg")


def shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def required() -> bool:
    return os.environ.get(REQUIRE_VARIABLE, "").strip() == "1"


def _connect(url: URL) -> psycopg.Connection:
    conninfo = url.set(drivername="postgresql", database=url.database or "postgres", query={})
    return psycopg.connect(conninfo.render_as_string(hide_password=False), autocommit=True, connect_timeout=3)


def probe(url: URL) -> str | None:
    """None when the server answers, else why not."""
    try:
        with _connect(url) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        text = str(exc).strip()
        return text.splitlines()[0] if text else type(exc).__name__
    return None


def create_database(server: URL) -> URL:
    """A new, empty database named ``carm_test_<random>``; its URL."""
    name = f"carm_test_{uuid.uuid4().hex[:10]}"
    with _connect(server) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]  # our identifier, not input
    return server.set(database=name)


def drop_database(server: URL, name: str) -> None:
    with _connect(server) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@contextmanager
def schema(database_url: str, script: str | None = None) -> Iterator[str]:
    """A new schema for one test, filled by running ``script`` (SQL) in it when given; yields the database URL
    with that schema first on the search path, so unqualified names land there. The schema is dropped
    afterwards, which keeps the final DROP DATABASE fast (its checkpoint would otherwise write every test's
    tables); if a connection the test left open still holds a lock, DROP DATABASE removes it instead."""
    database = make_url(database_url)
    name = f"t_{uuid.uuid4().hex[:12]}"
    with _connect(database) as connection:
        connection.execute("SET synchronous_commit TO off")
        connection.execute(f'CREATE SCHEMA "{name}"')  # type: ignore[arg-type]
        if script:
            connection.execute(f'SET search_path TO "{name}"')  # type: ignore[arg-type]
            connection.execute(script)  # type: ignore[arg-type]  # our own migrations' DDL, no parameters
    # Test data need not survive a crash: not waiting for each commit's fsync makes the suite much faster.
    options = f"-csearch_path={name} -csynchronous_commit=off"
    try:
        yield database.update_query_dict({"options": options}).render_as_string(hide_password=False)
    finally:
        try:
            with _connect(database) as connection:
                connection.execute("SET lock_timeout TO '2s'")
                connection.execute(f'DROP SCHEMA "{name}" CASCADE')  # type: ignore[arg-type]
        except psycopg.Error:
            pass
