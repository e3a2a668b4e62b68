"""The ``carm`` command: a thin shell over the package's use cases (the DAGs call the same functions).

Each area registers its commands from ``pipeline.commands.<area>``; shared options, output and the
fault-to-exit-code rule live in ``pipeline.commands.common``.
"""

from __future__ import annotations

import typer

from pipeline.commands import billing, check, demo, intake, ledger, refdata, registry


def build_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, no_args_is_help=True, help="CARM pipeline: check, assess, post and bill CADs.")
    for area in (check, billing, intake, ledger, registry, refdata, demo):
        area.register(app)
    return app


def main() -> None:
    build_app()()


if __name__ == "__main__":  # pragma: no cover
    main()
