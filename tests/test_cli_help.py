"""The command line introduces itself: ``--version``/``-V``, ``-h`` as well as ``--help``, and help that shows the
form of each value (YYYY-MM-DD, FILE, N), never a Python type (<bool>, <str>, <list[Path]>)."""

from __future__ import annotations

import re
from importlib.metadata import version

import pytest
from typer.testing import CliRunner

from pipeline.cli import build_app

PYTHON_TYPE = re.compile(r"<(bool|str|int|float|path|Path|list\[[^\]]*\]|[a-z]+ range)>")


def _commands() -> list[list[str]]:
    """Every command and sub-command, as the words that reach it."""
    result = CliRunner().invoke(build_app(), ["--help"], env={"COLUMNS": "200"})
    top = re.findall(r"^│ ([a-z][a-z-]+) ", result.stdout, re.MULTILINE)
    words = []
    for name in top:
        sub = CliRunner().invoke(build_app(), [name, "--help"], env={"COLUMNS": "200"})
        inner = re.findall(r"^│ ([a-z][a-z-]+) ", sub.stdout.split("Commands")[-1], re.MULTILINE) if "Commands" in sub.stdout else []
        words += [[name, child] for child in inner] or [[name]]
    return words


def test_version() -> None:
    for flag in ("--version", "-V"):
        result = CliRunner().invoke(build_app(), [flag])
        assert result.exit_code == 0 and result.stdout.strip() == f"carm-pipeline {version('carm-pipeline')}"


def test_every_command_has_help_under_h_without_python_types() -> None:
    commands = _commands()
    assert len(commands) >= 15 and ["account"] in commands and ["registry", "add-importer"] in commands
    for words in commands:
        result = CliRunner().invoke(build_app(), [*words, "-h"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, words
        assert " ".join(words) + " [OPTIONS]" in result.stdout
        assert not PYTHON_TYPE.search(result.stdout), (words, PYTHON_TYPE.search(result.stdout))


@pytest.mark.parametrize(("words", "form"), [(["account"], "YYYY-MM-DD"), (["close-period"], "YYYY-MM")])
def test_dates_show_their_form(words: list[str], form: str) -> None:
    result = CliRunner().invoke(build_app(), [*words, "--help"], env={"COLUMNS": "200"})
    assert re.search(rf"--\S+\s+{re.escape(form)}\s", result.stdout)
