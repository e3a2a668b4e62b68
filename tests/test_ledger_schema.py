"""Migrations: from an empty database to head on SQLite and PostgreSQL, matching the models exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from pipeline.errors import ConfigurationError
from pipeline.ledger import Base, current_revision, engine_for, head_revision, upgrade
from pipeline.ledger.database import alembic_config

TABLES = {
    "providers", "importers", "brokers", "authorizations", "inbox", "interchanges", "declarations",
    "line_assessments", "postings", "payments", "payment_applications", "control_numbers", "runs",
}


def test_upgrade_from_empty_creates_the_whole_schema(db_url_empty: str) -> None:
    engine = engine_for(db_url_empty)
    try:
        with engine.connect() as connection:
            assert current_revision(connection) is None
            assert inspect(connection).get_table_names() == []
        upgrade(db_url_empty)
        with engine.connect() as connection:
            assert current_revision(connection) == head_revision()
            assert set(inspect(connection).get_table_names()) == TABLES | {"alembic_version"}
        upgrade(db_url_empty)  # already at head: nothing to do, nothing breaks
        with engine.connect() as connection:
            assert current_revision(connection) == head_revision()
    finally:
        engine.dispose()


def test_models_match_the_migrated_schema(ledger_engine: Engine) -> None:
    with ledger_engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "target_metadata": Base.metadata}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_unique_and_partial_indexes_exist(ledger_engine: Engine) -> None:
    inspector = inspect(ledger_engine)
    unique_indexes = {
        index["name"]
        for table in ("declarations", "postings")
        for index in inspector.get_indexes(table)
        if index["unique"]
    }
    assert {
        "uq_declarations_accepted_version", "uq_postings_declaration_charge", "uq_postings_payment_source",
        "uq_postings_period_charge",
    } <= unique_indexes


def test_downgrade_to_nothing_and_back(ledger_url: str) -> None:
    engine = engine_for(ledger_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
            if ledger_url.startswith("postgresql"):
                leftover = connection.execute(
                    text("SELECT count(*) FROM pg_proc WHERE proname = 'postings_immutable' "
                         "AND pronamespace = current_schema()::regnamespace")
                )
                assert leftover.scalar() == 0
        upgrade(ledger_url)
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == TABLES | {"alembic_version"}
    finally:
        engine.dispose()


def test_sqlite_folder_is_created_and_plain_postgresql_urls_use_psycopg(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/new/folder/carm.db"
    upgrade(url)
    assert (tmp_path / "new" / "folder" / "carm.db").is_file()
    assert engine_for("postgresql://carm@db.invalid/carm").dialect.driver == "psycopg"


@pytest.mark.parametrize("url", ["not a url", "nosuchdialect://x/y"])
def test_bad_database_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError):
        engine_for(url)
