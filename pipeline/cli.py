"""The ``carm`` command: a thin shell over the package's use cases (the DAGs call the same functions).

Each area registers its commands from ``pipeline.commands.<area>``; shared options, output and the
fault-to-exit-code rule live in ``pipeline.commands.common``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperGroup

from pipeline.commands import billing, check, demo, intake, ledger, refdata, registry

#: What a value looks like, by parameter name, where its name alone would not say (help and usage lines).
VALUE_FORMS = {
    "as_of": "YYYY-MM-DD[THH:MM]", "start": "YYYY-MM-DD", "end": "YYYY-MM-DD", "date": "YYYY-MM-DD",
    "on": "YYYY-MM-DD", "period": "YYYY-MM", "waiver_until": "YYYY-MM-DD", "files": "FILE", "file": "FILE",
    "registry": "FILE", "out": "DIR", "directory": "DIR",
}


class ReadableHelp(TyperGroup):
    """Typer prints each option's Python type (``<bool>``, ``<str>``, ``<list[Path]>``); a user needs the form of
    the value instead, and nothing at all beside a flag."""

    def get_command(self, ctx: Any, name: str) -> Any:
        command = super().get_command(ctx, name)
        if command is not None:
            describe_values(command, ctx)
        return command

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option


def describe_values(command: Any, ctx: Any) -> None:
    """Typer's vendored click objects: set each parameter's metavar once (idempotent)."""
    for parameter in command.params:
        if parameter.metavar is None:
            parameter.metavar = value_form(parameter)
        if isinstance(parameter, TyperArgument):
            # An argument's help row prints its type whatever its metavar; its name already says the form.
            parameter.display_type_rich = _no_type
    help_option = command.get_help_option(ctx)
    if help_option is not None:
        help_option.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        describe_values(sub, ctx)


def _no_type(ctx: Any) -> str:
    return ""


def value_form(parameter: Any) -> str:
    if getattr(parameter, "is_flag", False):
        return ""
    name = parameter.name or "value"
    if name in VALUE_FORMS:
        return VALUE_FORMS[name]
    if parameter.type_descriptor.annotation is int:
        return "N"
    return name.upper().replace("_", "-")


def _version(value: bool) -> None:
    if value:
        try:
            shown = version("carm-pipeline")
        except PackageNotFoundError:  # run from a source tree that was never installed
            shown = "unknown"
        typer.echo(f"carm-pipeline {shown}")
        raise typer.Exit()


def _root(
    show_version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, metavar="", help="Print the version and exit."),
    ] = False,
) -> None:
    """CARM pipeline: check, assess, post and bill CADs."""


def build_app() -> typer.Typer:
    app = typer.Typer(
        cls=ReadableHelp, add_completion=False, no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    for area in (check, billing, intake, ledger, registry, refdata, demo):
        area.register(app)
    return app


def main() -> None:
    build_app()()


if __name__ == "__main__":  # pragma: no cover
    main()

