"""What every ``carm`` command shares: options, output, and turning faults into exit code 2.

Exit codes (spec/interfaces.md): 0 success; 1 the input was processed and some of it was rejected; 2 the command
could not run. A user never sees a stack trace: faults are reported in one line naming the file and the place
(set ``CARM_DEBUG=1`` to get the traceback). A fault of the ledger database (unreachable server, a file that is
not a database …) is reported here for every command, naming the database of ``CARM_DB_URL``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from pipeline.errors import CarmError, TerminalError

if TYPE_CHECKING:
    from pipeline.config import Settings

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")]
# No envvar=: CARM_AS_OF is read by Settings (checked and named there); commands fall back to settings.as_of.
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Business date/time, Eastern: YYYY-MM-DD[THH:MM]. Default: CARM_AS_OF, else now."),
]


def stdout() -> Console:
    return Console(highlight=False, soft_wrap=True)


def stderr() -> Console:
    # soft_wrap: a message stays one line in logs, whatever the width; the terminal wraps it for the eye.
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _database_fault(exc: Exception) -> str | None:
    """The one-line report of a fault raised by the ledger database's driver, or None for any other fault."""
    # Only if SQLAlchemy is already loaded: an exception cannot be one of its classes otherwise, and a command
    # that never touches the ledger should not pay for importing it.
    errors = sys.modules.get("sqlalchemy.exc")
    if errors is None or not isinstance(exc, errors.DBAPIError):
        return None
    from pipeline.config import Settings
    from pipeline.ledger.database import describe_fault

    try:
        db_url = Settings.from_env().db_url
    except CarmError:  # cannot happen: a command reaches the database through Settings, so they were valid
        db_url = ""  # and the report must not fail: it then says "(not a database URL)"
    return describe_fault(exc, db_url)


def run(action: Callable[[], int]) -> None:
    """Run a command body, turning faults into a one-line message and exit code 2."""
    try:
        code = action()
    except CarmError as exc:
        stderr().print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    except OSError as exc:
        stderr().print(f"[bold red]error:[/] {exc.filename or ''}: {exc.strerror or exc}")
        raise typer.Exit(2) from None
    except Exception as exc:  # noqa: BLE001 - last line of defence: no stack trace for users
        database_fault = _database_fault(exc)
        if database_fault is not None:
            stderr().print(f"[bold red]error:[/] {escape(database_fault)}")
            raise typer.Exit(2) from None
        from pipeline.config import debug_requested

        if debug_requested():  # not Settings.from_env(): the traceback is wanted even if another variable is wrong
            raise
        stderr().print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc} (set CARM_DEBUG=1 for details)")
        raise typer.Exit(2) from None
    raise typer.Exit(code)


def date_option(text: str | None, option: str) -> date | None:
    """The ``YYYY-MM-DD`` value of a command-line option; None when it was not given."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TerminalError(f"{option} {text!r}: expected a date YYYY-MM-DD") from None


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def read_inputs(files: list[Path]) -> list[tuple[str, bytes]]:
    inputs = []
    for path in files:
        try:
            inputs.append((str(path), path.read_bytes()))
        except OSError as exc:
            raise CarmError(f"{path}: cannot read ({exc.strerror})") from exc
    return inputs


def validation_context(  # noqa: ANN201
    as_of: str | None, sender: str | None, registry_file: Path | None, settings: Settings | None = None
):
    """What local files are checked against: on ``as_of`` (``--as-of``), else ``CARM_AS_OF``, else today."""
    from pipeline.clock import business_moment
    from pipeline.config import Settings
    from pipeline.registry import load_registry_file
    from pipeline.validate import ValidationContext

    settings = settings or Settings.from_env()
    moment = business_moment(as_of) if as_of else settings.as_of or business_moment(None)
    registry = load_registry_file(registry_file) if registry_file else None
    return ValidationContext(user_reference(settings), moment.date(), sender_folder=sender, registry=registry)


def user_reference_dir(settings: Settings | None = None) -> str | None:
    """The user's reference folder (``CARM_REFDATA_DIR``, absolute), or None for the shipped data: the reference
    folder every command loads. ``settings``: the command's own, else read from the environment."""
    from pipeline.config import Settings

    folder = (settings or Settings.from_env()).user_refdata_dir
    return str(folder) if folder is not None else None


def user_reference(settings: Settings | None = None):  # noqa: ANN201
    from pipeline.reference import load_reference

    return load_reference(user_reference_dir(settings))


