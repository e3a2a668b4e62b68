"""The CLI's last line of defence (``pipeline.commands.common.run``): an unexpected fault is one line and exit
code 2, unless ``CARM_DEBUG`` asks for the traceback, which it then gets whatever else is wrong."""

from __future__ import annotations

from datetime import date

import pytest
import typer

from pipeline.commands.common import run


def broken_command() -> int:
    raise RuntimeError("a bug")


def test_an_internal_error_is_one_line_and_exit_code_2(monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    monkeypatch.setenv("CARM_DEBUG", "")
    with pytest.raises(typer.Exit) as stopped:
        run(broken_command)
    assert stopped.value.exit_code == 2
    assert capsys.readouterr().err.strip() == (
        "internal error: RuntimeError: a bug (set CARM_DEBUG=1 for details)"
    )


@pytest.mark.parametrize("elsewhere", [{}, {"CARM_DB_URL": "carm.db"}, {"CARM_INTAKE_BATCH_SIZE": "many"}])
def test_carm_debug_lets_the_traceback_through_even_beside_a_bad_variable(
    monkeypatch: pytest.MonkeyPatch, elsewhere: dict[str, str]
) -> None:
    monkeypatch.setenv("CARM_DEBUG", "1")
    for variable, value in elsewhere.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(RuntimeError, match="a bug"):
        run(broken_command)


def test_validation_dates_at_as_of_else_carm_as_of_else_today(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.clock import business_moment
    from pipeline.commands.common import validation_context
    from pipeline.errors import ConfigurationError

    monkeypatch.setenv("CARM_AS_OF", "2025-05-06T10:00")
    assert validation_context(None, None, None).as_of == date(2025, 5, 6)
    assert validation_context("2025-07-01", None, None).as_of == date(2025, 7, 1)
    with pytest.raises(ConfigurationError, match="^--as-of='2025-13-01'"):
        validation_context("2025-13-01", None, None)
    monkeypatch.setenv("CARM_AS_OF", "")
    assert validation_context(None, None, None).as_of == business_moment(None).date()
