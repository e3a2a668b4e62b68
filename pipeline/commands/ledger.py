"""``carm account`` (an importer's postings and balance) and ``carm db upgrade`` (the schema migrations)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from pipeline.commands.common import JsonOption, date_option, print_json, run, stdout
from pipeline.errors import TerminalError


def register(app: typer.Typer) -> None:
    app.command("account")(account)
    database = typer.Typer(no_args_is_help=True, help="The ledger database.")
    database.command("upgrade")(upgrade)
    app.add_typer(database, name="db")


def account(
    bn15: Annotated[str, typer.Argument(help="The importer's BN15 program account, e.g. 123456782RM0001 (spaces and case do not matter).")],
    start: Annotated[str | None, typer.Option("--from", help="First posting date listed: YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last posting date listed (and balance at): YYYY-MM-DD.")] = None,
    json_output: JsonOption = False,
) -> None:
    """An importer's postings (date, transaction, version, charge type, amount, period, due date) and balance."""

    def body() -> int:
        from pipeline.config import Settings
        from pipeline.intake import account as importer_account
        from pipeline.ledger import existing_engine

        first, last = date_option(start, "--from"), date_option(end, "--to")
        if first and last and first > last:
            raise TerminalError(f"--from {start} is after --to {end}")
        engine = existing_engine(Settings.from_env().db_url)
        try:
            document = importer_account(engine, bn15, start=first, end=last)
        finally:
            engine.dispose()
        if json_output:
            print_json(document)
            return 0
        _print_account(document, first, last)
        return 0

    run(body)


def _print_account(document: dict, first: date | None, last: date | None) -> None:
    from pipeline.money import group_thousands

    console = stdout()
    console.print(f"{document['name']} ({document['importer']})")
    if first is not None:
        console.print(f"Opening balance before {first.isoformat()}: {group_thousands(document['opening_balance'])}")
    rows = [["Date", "Transaction", "Ver", "Kind", "Charge", "Amount", "Period", "Due"]]
    for p in document["postings"]:
        rows.append([p["date"], p["transaction_number"] or "", str(p["version"] or ""), p["kind"],
                     p["charge_type"], group_thousands(p["amount"]), p["period"], p["due_date"] or ""])
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    for row in rows:
        console.print("  ".join(cell.rjust(widths[c]) if c == 5 else cell.ljust(widths[c])
                                for c, cell in enumerate(row)).rstrip())
    as_at = f" at {last.isoformat()}" if last else ""
    console.print(f"Balance{as_at}: {group_thousands(document['balance'])} ({len(document['postings'])} posting(s) listed)")


def upgrade(json_output: JsonOption = False) -> None:
    """Apply the schema migrations to the ledger database (CARM_DB_URL)."""

    def body() -> int:
        from pipeline.config import Settings
        from pipeline.ledger import current_revision, engine_for, head_revision
        from pipeline.ledger import upgrade as migrate

        settings = Settings.from_env()
        engine = engine_for(settings.db_url)
        try:  # a database fault is reported by ``run``, as for every command
            migrate(settings.db_url)
            with engine.connect() as connection:
                revision = current_revision(connection)
        finally:
            engine.dispose()
        if json_output:
            print_json({"database": engine.url.render_as_string(hide_password=True), "revision": revision,
                        "head": head_revision()})
        else:
            stdout().print(f"Ledger database {engine.url.render_as_string(hide_password=True)} is at revision "
                           f"{revision} (head {head_revision()}).")
        return 0

    run(body)
