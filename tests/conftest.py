"""Shared fixtures, by section. Add new sections below; keep each fixture documented in one line.

Storage:  ``s3_endpoint`` (moto server URL), ``s3_client``, ``s3_bucket`` (a fresh, empty bucket name).
Ledger:   ``db_url_empty`` and ``ledger_url`` (a fresh database, empty or migrated to head) and ``ledger_engine``;
          each runs once on SQLite and once on PostgreSQL (marked ``postgres``; on PostgreSQL "a fresh database" is
          a fresh schema of the session's carm_test_<random> database, which is dropped at the end).
"""

from __future__ import annotations

import io
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from tests import pgserver
from tests.s3server import running_s3_server

# CI explores the same hypothesis examples on every run (CI=true); a developer's runs keep exploring new ones.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

# --- storage: S3 over HTTP (moto standalone server) ------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint URL of a moto S3 server; dummy credentials, and no AWS config file is read."""
    empty = tmp_path_factory.mktemp("aws") / "none"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.delenv("AWS_SESSION_TOKEN", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        patch.setenv("AWS_CONFIG_FILE", str(empty))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        with running_s3_server() as endpoint:
            yield endpoint


@pytest.fixture(scope="session")
def s3_client(s3_endpoint: str) -> Any:  # boto3 clients are generated classes: no importable type
    """A boto3 client for the moto server, built the way production builds one."""
    from pipeline.storage.s3 import make_s3_client

    return make_s3_client(s3_endpoint)


@pytest.fixture
def s3_bucket(s3_client: Any) -> str:
    """A new empty bucket on the moto server."""
    name = f"carm-test-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


# --- ledger: SQLite and PostgreSQL databases -------------------------------------------------------------------

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_server() -> URL:
    """The PostgreSQL server; skips, or with CARM_REQUIRE_POSTGRES=1 fails, when it does not answer."""
    url = pgserver.server_url()
    problem = pgserver.probe(url)
    if problem is not None:
        message = f"no PostgreSQL server at {pgserver.shown(url)}: {problem}"
        if pgserver.required():
            pytest.fail(f"{message} (CARM_REQUIRE_POSTGRES=1 makes the PostgreSQL tests mandatory)", pytrace=False)
        pytest.skip(f"{message} (set CARM_TEST_PG_URL to run them; CI makes them mandatory)")
    return url


@pytest.fixture(scope="session")
def pg_database(postgres_server: URL) -> Iterator[str]:
    """One throw-away database (carm_test_<random>) for the session; every test gets its own schema in it."""
    database = pgserver.create_database(postgres_server)
    yield database.render_as_string(hide_password=False)
    pgserver.drop_database(postgres_server, database.database or "")


@pytest.fixture(scope="session")
def pg_ledger_script() -> str:
    """The SQL of the packaged migrations for PostgreSQL (Alembic offline mode), replayed into each test's
    schema: the same DDL as ``upgrade()`` at a fraction of its cost. ``test_ledger_schema`` runs the real one."""
    from alembic import command

    from pipeline.ledger.database import alembic_config

    config = alembic_config()
    config.output_buffer = io.StringIO()
    config.set_main_option("sqlalchemy.url", "postgresql+psycopg://")
    command.upgrade(config, "head", sql=True)
    return config.output_buffer.getvalue()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite ledger migrated to head once per session, copied by ``ledger_url``."""
    from pipeline.ledger import upgrade

    path = tmp_path_factory.mktemp("ledger-template") / "carm.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """"sqlite" or "postgresql": tests using a ledger fixture run once per backend."""
    return request.param


@pytest.fixture
def db_url_empty(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh database with no schema at all (PostgreSQL: a new, empty schema)."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with pgserver.schema(request.getfixturevalue("pg_database")) as url:
        yield url


@pytest.fixture
def ledger_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh ledger database, migrated to head, used by this test alone."""
    if db_backend == "sqlite":
        path = tmp_path / "carm.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    database = request.getfixturevalue("pg_database")
    with pgserver.schema(database, script=request.getfixturevalue("pg_ledger_script")) as url:
        yield url


@pytest.fixture
def ledger_engine(ledger_url: str) -> Iterator[Engine]:
    """An engine on ``ledger_url``, disposed after the test."""
    from pipeline.ledger import engine_for

    engine = engine_for(ledger_url)
    yield engine
    engine.dispose()


@pytest.fixture
def carm(ledger_url: str, tmp_path: Path):  # noqa: ANN201
    """The command line: ``carm(*args)`` → (exit code, stdout, stderr) through typer's runner, with CARM_HOME in
    ``tmp_path`` (``carm.home``) and the test's ledger."""
    from typer.testing import CliRunner

    from pipeline.cli import build_app

    runner = CliRunner()
    environ = {"CARM_HOME": str(tmp_path / "home"), "CARM_DB_URL": ledger_url, "CARM_AS_OF": "", "COLUMNS": "200"}
    app = build_app()

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, list(args), env=environ)
        return result.exit_code, result.stdout, result.stderr

    invoke.home = tmp_path / "home"  # type: ignore[attr-defined]
    return invoke
