"""``carm refdata fetch-fx``: the Bank of Canada's daily exchange rates into the reference folder.

Only days not stored yet are added (a published day is never rewritten); offline, one line and exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.commands.common import JsonOption, date_option, print_json, run, stdout


def register(app: typer.Typer) -> None:
    """Add ``fetch-fx`` to the ``carm refdata`` sub-app."""
    app.command("fetch-fx")(fetch_fx)


def fetch_fx(
    start: Annotated[
        str | None, typer.Option("--start", help="First day YYYY-MM-DD. Default: the day after the latest rate stored.")
    ] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last day YYYY-MM-DD. Default: today (Eastern).")] = None,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Reference folder to add the rates to. Default: CARM_REFDATA_DIR.", file_okay=False),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Fetch the Bank of Canada daily exchange rates (Valet API, CARM_VALET_URL) into valet_fx_daily_YYYY.json."""

    def body() -> int:
        from pipeline.clock import business_moment
        from pipeline.config import Settings
        from pipeline.errors import ConfigurationError
        from pipeline.reference.valet import fetch_fx_rates

        settings = Settings.from_env()
        first, last = date_option(start, "--start"), date_option(end, "--end")
        if first is not None and last is not None and first > last:
            raise ConfigurationError(f"--start {first} is after --end {last}")
        last = last or (settings.as_of or business_moment(None)).date()
        report = fetch_fx_rates(directory or settings.refdata_dir, settings.valet_url, last, first)
        if json_output:
            print_json(report.as_json())
        else:
            console = stdout()
            for line in report.lines():
                console.print(line)
        return 0

    run(body)
