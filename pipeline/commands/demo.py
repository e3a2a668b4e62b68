"""``carm demo``: the whole story of one billing period on embedded defaults (see ``pipeline.demo``)."""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.commands.common import JsonOption, print_json, run, stdout


def register(app: typer.Typer) -> None:
    app.command()(demo)


def demo(
    json_output: JsonOption = False,
    cads: Annotated[int, typer.Option("--cads", min=10, help="CADs over the period.")] = 400,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same story.")] = 2025,
) -> None:
    """Register demo providers and importers, submit a billing period of CADs day by day, issue daily notices,
    load payments, close the period, and print where every output is (in $CARM_HOME/demo, emptied first)."""

    def body() -> int:
        from pipeline.config import Settings
        from pipeline.demo import run_demo
        from pipeline.render_text import print_demo

        console = stdout()
        home = Settings.from_env().home
        progress = (lambda message: None) if json_output else (lambda message: console.print(f"[dim]{message}[/]"))
        report = run_demo(home, cads=cads, seed=seed, progress=progress)
        if json_output:
            print_json(report.as_json())
        else:
            print_demo(console, report.as_json())
        return 0

    run(body)
