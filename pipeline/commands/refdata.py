"""``carm refdata …``: the reference data a deployment assesses with.

``check [DIR]`` loads a reference directory (default: ``CARM_REFDATA_DIR``, else the shipped data) and reports
every table; exit code 0 when every cell was read, 1 when some tariff cells could not be (the items they decide
are unusable, the rest is), 2 when the directory cannot be loaded at all. ``show CLASSIFICATION [--on DATE]``
prints what applies to one classification on one day; exit code 1 when the tariff in force has no such
classification. ``impact [DIR]`` compares DIR with the reference versions every posted line recorded and lists
the declaration versions a change would assess differently; exit code 1 when there are some. The documents are
``pipeline.reference.summary``'s and ``pipeline.reference.impact``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pipeline.commands import refdata_fx
from pipeline.commands.common import JsonOption, date_option, print_json, run, stdout, user_reference_dir
from pipeline.errors import TerminalError

if TYPE_CHECKING:
    from pipeline.config import Settings

app = typer.Typer(no_args_is_help=True, help="Reference data: check a directory, show a classification, the declarations a change affects.")


DirectoryArgument = Annotated[
    Path | None,
    typer.Argument(metavar="[DIR]", help="Reference directory. Default: CARM_REFDATA_DIR, else the shipped data."),
]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="refdata")


def _directory(directory: Path | None, settings: Settings | None = None) -> str | None:
    return str(directory) if directory is not None else user_reference_dir(settings)


@app.command("check")
def check(
    directory: DirectoryArgument = None,
    json_output: JsonOption = False,
) -> None:
    """Load a reference directory and report every table: rows, editions, dates, unreadable cells, provenance."""

    def body() -> int:
        from pipeline.reference import load_reference
        from pipeline.reference.summary import check_document

        where = _directory(directory)
        document = check_document(load_reference(where), where)
        _answer(document, json_output, _print_check)
        return 1 if document["unreadable_cells"] else 0

    run(body)


@app.command("show")
def show(
    classification: Annotated[str, typer.Argument(help="Classification (10 digits) or tariff item (8), dots allowed.")],
    on: Annotated[str | None, typer.Option("--on", help="Release date YYYY-MM-DD. Default: today (CARM_AS_OF).")] = None,
    json_output: JsonOption = False,
) -> None:
    """Every treatment's rate, the unit and edition, and the surtax, SIMA and excise for one classification."""

    def body() -> int:
        from pipeline.clock import business_moment
        from pipeline.config import Settings
        from pipeline.reference import load_reference
        from pipeline.reference.summary import show_document

        key = classification.replace(".", "").replace(" ", "")
        if not key.isascii() or not key.isdigit() or len(key) not in (8, 10):
            raise TerminalError(f"classification {classification!r}: expected 10 digits (or a tariff item of 8)")
        settings = Settings.from_env()
        day = date_option(on, "--on") or (settings.as_of or business_moment(None)).date()
        document = show_document(load_reference(user_reference_dir(settings)), key, day)
        _answer(document, json_output, _print_show)
        return 0 if document["item"] is not None else 1

    run(body)


@app.command("impact")
def impact(
    directory: DirectoryArgument = None,
    json_output: JsonOption = False,
) -> None:
    """The posted declarations a change of reference data would affect: lines whose tariff rate or exchange rate
    would differ with DIR (compared with the versions each posted line recorded)."""

    def body() -> int:
        from pipeline.config import Settings
        from pipeline.ledger import existing_engine
        from pipeline.reference import load_reference
        from pipeline.reference.impact import impact_document

        settings = Settings.from_env()
        where = _directory(directory, settings)
        reference = load_reference(where)
        engine = existing_engine(settings.db_url)
        try:
            with engine.connect() as connection:
                document = impact_document(_posted_lines(connection), reference, where)
        finally:
            engine.dispose()
        _answer(document, json_output, _print_impact)
        return 1 if document["declarations_affected"] else 0

    run(body)


def _answer(document: dict, json_output: bool, print_text: Callable[[dict], None]) -> None:
    """The document as JSON, or as text for a reader."""
    if json_output:
        print_json(document)
    else:
        print_text(document)


def _posted_lines(connection: Any) -> Iterator[Any]:
    """Every line of every accepted (posted) declaration version, in transaction, version and line order."""
    from sqlalchemy import select

    from pipeline.ledger.models import DeclarationRecord, DeclarationStatus, LineAssessment
    from pipeline.reference.impact import PostedLine

    query = (
        select(DeclarationRecord.transaction_number, DeclarationRecord.version, DeclarationRecord.importer_bn15,
               LineAssessment.line, LineAssessment.classification, LineAssessment.treatment,
               DeclarationRecord.release_date, LineAssessment.explanation)
        .join(LineAssessment, LineAssessment.declaration_id == DeclarationRecord.id)
        .where(DeclarationRecord.status == DeclarationStatus.ACCEPTED)
        .order_by(DeclarationRecord.transaction_number, DeclarationRecord.version, LineAssessment.line)
    )
    for row in connection.execution_options(yield_per=5000).execute(query):
        yield PostedLine(*row)


def _print_impact(document: dict) -> None:
    console = stdout()
    where = document["directory"] or "the shipped data"
    console.print(f"Reference data {where} against {document['lines_checked']:,} posted line(s): "
                  f"{document['declarations_affected']:,} declaration version(s), {document['lines_affected']:,} "
                  "line(s) would be assessed differently", markup=False)
    for declaration in document["declarations"]:
        console.print(f"  {declaration['transaction_number']} version {declaration['version']} (importer "
                      f"{declaration['importer']})", markup=False)
        for line in declaration["lines"]:
            console.print(f"    line {line['line']}: {'; '.join(line['changes'])}", markup=False)
    if document["lines_without_versions"]:
        console.print(f"{document['lines_without_versions']:,} line(s) were posted before reference versions were "
                      "recorded: not compared", markup=False)


def _print_check(document: dict) -> None:
    console = stdout()
    console.print(f"Reference data: {document['directory'] or 'the shipped data'}", markup=False)
    for name, table in document["tables"].items():
        console.print(f"{name}: {table['rows']:,} rows, {table['kind']} ({table['from']})", markup=False)
        if name == "tariff":
            for edition in table["editions"]:
                since = edition["in_force_from"] or "each row's EFF_DATE"
                console.print(
                    f"  edition {edition['name']} ({edition['form']}, {edition['file']}): in force from {since} "
                    f"to {edition['in_force_to'] or 'now'}; {edition['rows']:,} rows, {edition['headings']:,} "
                    f"headings, {edition['tariff_items']:,} tariff items, {edition['classifications']:,} "
                    f"classifications, {edition['duplicates']:,} duplicate rows; latest EFF_DATE "
                    f"{edition['latest_eff_date']}", markup=False)
                if edition["unknown_columns"]:
                    console.print(f"    unknown columns (not used): {', '.join(edition['unknown_columns'])}",
                                  markup=False)
                for note in edition["notes"]:
                    console.print(f"    note: {note}", markup=False)
                for cell in edition["unreadable_cells"]:
                    console.print(f"    unreadable: {cell['file']}, row {cell['row']}, column {cell['column']}: "
                                  f"{cell['problem']}", markup=False)
        if name == "exchange_rates":
            for currency, days in table["currencies"].items():
                console.print(f"  {currency} {days['from']} to {days['to']} ({days['days']:,} days)", markup=False)
        if table["example_rows"]:
            console.print(f"  {table['example_rows']} row(s) are examples for tests and demos, not facts",
                          markup=False)
    if document["unreadable_cells"]:
        console.print(f"{document['unreadable_cells']} unreadable tariff cell(s): the items they decide are unusable "
                      "(B10, B12 or B13 naming the cell); everything else is usable", markup=False)


def _print_show(document: dict) -> None:
    console = stdout()
    item = document["item"]
    if item is None:
        console.print(f"{document['classification']}: not in the tariff in force on {document['on']}", markup=False)
        return
    console.print(
        f"{item['classification']} {item['description']} (unit {item['unit'] or 'none'}) on {document['on']}: "
        f"edition {item['edition']}, row {item['row']}, tariff item row {item['tariff_item_row']}, EFF_DATE "
        f"{item['eff_date']}", markup=False)
    for treatment in document["treatments"]:
        if treatment["unusable"] is not None:
            cell = treatment["unusable"]
            what = f"unusable: {cell['file']}, row {cell['row']}, column {cell['column']}: {cell['problem']}"
        else:
            what = treatment["rate"]["text"] if treatment["rate"] else "not offered"
        console.print(f"  {treatment['code']:>3} {treatment['abbreviation']:<6} {what}", markup=False)
    for rule in document["surtaxes"]:
        console.print(f"  surtax {rule['order']} schedule {rule['schedule']}: {rule['rate_percent']}% on origins "
                      f"{', '.join(rule['countries'])}", markup=False)
    for measure in document["sima"]:
        console.print(f"  SIMA {measure['code']}: {measure['description']} (origins {', '.join(measure['countries'])})"
                      f"{' [example]' if measure['example'] else ''}", markup=False)
    for excise in document["excise"]:
        console.print(f"  excise {excise['kind']} {excise['code']}: ${excise['per_unit']}/{excise['unit']} "
                      f"{excise['description']}{' [example]' if excise['example'] else ''}", markup=False)
    if not (document["surtaxes"] or document["sima"] or document["excise"]):
        console.print("  no surtax, SIMA measure or excise code covers these goods on that day", markup=False)


refdata_fx.register(app)  # fetch-fx: the Bank of Canada rates (pipeline/commands/refdata_fx.py)
