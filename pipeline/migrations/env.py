"""Alembic environment of the ledger database.

Run programmatically by ``pipeline.ledger.upgrade(db_url)`` (which hands over an open connection), or from the
command line with ``alembic -c pipeline/alembic.ini upgrade head`` (the URL is ``CARM_DB_URL`` or its default).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from pipeline.ledger.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    from pipeline.config import Settings

    return config.get_main_option("sqlalchemy.url") or Settings.from_env().db_url


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    from pipeline.ledger.database import engine_for

    engine = engine_for(_url())
    try:
        with engine.begin() as connection:
            _configure(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
