"""A ledger database that cannot be used (unreachable server, a file that is not a database) stops every command
with exit code 2 and one line naming the database of CARM_DB_URL, its password hidden, and the cause."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import build_app
from tests.model_samples import IMPORTER, SENDER

COMMANDS = [
    ("intake",),
    ("account", IMPORTER),
    ("registry", "list"),
    ("registry", "add-provider", SENDER, "--name", "Acme Broker Software"),
    ("replay", "--date", "2025-05-06"),
    ("db", "upgrade"),
]


def not_a_database(tmp_path: Path) -> tuple[str, str, str]:
    path = tmp_path / "carm.db"
    path.write_bytes(b"this is not a SQLite database file, only junk bytes\x00\xff" * 64)
    return f"sqlite:///{path}", f"sqlite:///{path}", "file is not a database"


def unreachable_server(_tmp_path: Path) -> tuple[str, str, str]:
    # Port 1 refuses at once: no server is needed, nor any wait for a time-out.
    return ("postgresql+psycopg://carm:s3cret@127.0.0.1:1/carm", "postgresql+psycopg://carm:***@127.0.0.1:1/carm",
            "Connection refused")


@pytest.mark.parametrize("database", [not_a_database, unreachable_server])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_ledger_database_fault_is_one_line_naming_the_database(tmp_path: Path, database, command) -> None:  # noqa: ANN001
    url, shown, cause = database(tmp_path)
    # No COLUMNS: the line must not be wrapped at the default width either.
    environ = {"CARM_HOME": str(tmp_path / "home"), "CARM_DB_URL": url, "CARM_AS_OF": "", "CARM_DEBUG": ""}
    result = CliRunner().invoke(build_app(), list(command), env=environ)
    assert result.exit_code == 2 and result.stdout == ""
    message = result.stderr.strip()
    assert "\n" not in message and "internal error" not in message, message
    assert message.startswith(f"error: ledger database {shown} (CARM_DB_URL): ") and cause in message, message
    assert "s3cret" not in message and "sqlalche.me" not in message
