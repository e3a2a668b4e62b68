"""``carm validate`` and ``carm generate``: a service provider's checks before sending, and synthetic files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from pipeline.commands.common import (
    AsOfOption,
    JsonOption,
    print_json,
    read_inputs,
    run,
    stdout,
    user_reference,
    validation_context,
)
from pipeline.config import Settings
from pipeline.errors import TerminalError


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(assess)
    app.command()(generate)


SenderOption = Annotated[
    str | None, typer.Option("--sender", help="The sender folder the file will be dropped in (checks A03).")
]
RegistryOption = Annotated[
    Path | None,
    typer.Option("--registry", help="Registry CSV/JSON (checks A01, A02, B02); without it those checks are skipped."),
]


def check_files(files: list[Path], as_of: str | None, sender: str | None, registry: Path | None):  # noqa: ANN201
    """Read and validate local files as intake would (less the ledger checks): ``(context, checked files,
    faults)`` — ``faults`` maps the name of each file our own code failed on to a plain message, so that one
    such file is reported as that file's result and never stops the others (``fault_entry``)."""
    from dataclasses import replace

    from pipeline.checking import check_bytes
    from pipeline.runtime import holiday_calendar
    from pipeline.validate.late import with_late_accounting

    context = validation_context(as_of, sender, registry)
    settings = Settings.from_env()
    calendar = holiday_calendar(settings)
    checked, faults = [], {}
    for name, data in read_inputs(files):
        try:
            file = check_bytes(data, name, context, max_bytes=settings.max_file_bytes)
            # W02 as intake would give it if the file were accepted on the business date (--as-of, or today).
            checked.append(replace(file, verdict=with_late_accounting(file.verdict, context.as_of, calendar)))
        except Exception as exc:  # noqa: BLE001 - a defect on one file's content is that file's result
            faults[name] = fault_message(exc)
    return context, checked, faults


def fault_message(exc: BaseException) -> str:
    return (f"not checked: the checker failed on this file ({type(exc).__name__}: {exc}); please report it to "
            "the CARM operators with the file")


def with_faults(document: dict, files: list[Path], faults: dict[str, str]) -> dict:
    """The document with one ``rejected`` entry per faulty file, in the order the files were given: no
    declaration, no error code (none of spec/codes.md says "we failed"), and the plain message in ``fault``."""
    if not faults:
        return document
    checked = {entry["file"]: entry for entry in document["files"]}
    entries = []
    for path in files:
        name = str(path)
        if name in faults:
            entries.append({"file": name, "syntax": None, "sender": None, "interchange": None,
                            "status": "rejected", "errors": [], "fault": faults[name]})
        elif name in checked:
            entries.append(checked.pop(name))
    return {**document, "files": entries + list(checked.values())}


def assessable(checked: list, reference, faults: dict[str, str]) -> list:  # noqa: ANN001
    """The files whose declarations the engine can assess, each tried alone; the others go to ``faults``."""
    from pipeline.assess import assess_declarations
    from pipeline.report import accepted_declarations

    kept = []
    for file in checked:
        try:
            assess_declarations(accepted_declarations([file]), reference)
        except Exception as exc:  # noqa: BLE001 - see check_files
            faults[file.name] = fault_message(exc)
        else:
            kept.append(file)
    return kept


def print_faults(console, faults: dict[str, str]) -> None:  # noqa: ANN001
    for name, message in faults.items():
        console.print(f"[red]REJECTED[/] {escape(name)}: {escape(message)}")


def validate(
    files: Annotated[list[Path], typer.Argument(help="CAD files, EDIFACT or XML.")],
    json_output: JsonOption = False,
    as_of: AsOfOption = None,
    sender: SenderOption = None,
    registry: RegistryOption = None,
) -> None:
    """Syntax and business validation without posting: every error with its code and location."""

    def body() -> int:
        from pipeline.report import any_rejected, validation_document

        context, checked, faults = check_files(files, as_of, sender, registry)
        document = with_faults(validation_document(checked), files, faults)
        if json_output:
            print_json(document)
        else:
            from pipeline.render_text import print_validation

            console = stdout()
            print_validation(console, {**document, "files": [f for f in document["files"] if "fault" not in f]},
                             context)
            print_faults(console, faults)
        return 1 if any_rejected(document) else 0

    run(body)


def assess(
    files: Annotated[list[Path], typer.Argument(help="CAD files, EDIFACT or XML.")],
    json_output: JsonOption = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show, per amount, the rate, base, reference row and rule.")] = False,
    as_of: AsOfOption = None,
    sender: SenderOption = None,
    registry: RegistryOption = None,
) -> None:
    """Validation plus assessment without posting: amounts per line and totals, in Canadian dollars."""

    def body() -> int:
        from pipeline.assess import assess_declarations, document_text, explain_declaration, explanation_text
        from pipeline.report import accepted_declarations, any_rejected, assessment_document

        context, checked, faults = check_files(files, as_of, sender, registry)
        try:
            assessment = assess_declarations(accepted_declarations(checked), context.reference)
        except Exception:  # noqa: BLE001 - find the file(s) the engine fails on; the others are assessed
            checked = assessable(checked, context.reference, faults)
            assessment = assess_declarations(accepted_declarations(checked), context.reference)
        document = with_faults(assessment_document(checked, assessment), files, faults)
        if explain:
            for index, entry in enumerate(d for d in document["declarations"] if d["status"] == "accepted"):
                entry["explanation"] = [e.as_json() for e in explain_declaration(assessment, index)]
        if json_output:
            print_json(document)
        else:
            console = stdout()
            print_faults(console, faults)
            for entry in document["files"]:
                for error in entry["errors"]:
                    console.print(f"REJECTED {entry['file']}: {error['code']} {error['location']}: {error['message']}")
            console.print(document_text(document), markup=False)
            if explain:
                for index in range(len(assessment.declarations)):
                    for explanation in explain_declaration(assessment, index):
                        console.print(explanation_text(explanation), markup=False)
        return 1 if any_rejected(document) else 0

    run(body)


def generate(
    cads: Annotated[int | None, typer.Option("--cads", min=1, help="How many CADs to generate (with --day: a smaller day in its proportions).", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder to write <sender>/<file> into (with --day: default the benchmark cache, CARM_HOME/bench-cache).", show_default=False)] = None,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same files.")] = 1,
    file_format: Annotated[str, typer.Option("--format", help="edifact, xml or mixed.")] = "mixed",
    invalid_rate: Annotated[float, typer.Option("--invalid-rate", min=0.0, max=1.0, help="Share of faulty CADs.")] = 0.0,
    start: Annotated[str, typer.Option("--start", help="First business day (the shipped FX data covers 2024-2025).")] = "2025-05-05",
    days: Annotated[int, typer.Option("--days", min=1, help="Business days of submissions.")] = 1,
    providers: Annotated[int, typer.Option("--providers", min=1, help="Service providers.")] = 3,
    day: Annotated[bool, typer.Option("--day", help="A national day: 110,000 CADs, 550 files of 200 from 40 providers, 1-20 lines, 70 % EDIFACT (takes only --cads, --seed, --out).")] = False,
    json_output: JsonOption = False,
) -> None:
    """Write realistic synthetic submissions, a registry.json for them and a manifest.json of expected codes."""

    def body() -> int:
        from datetime import date

        from pipeline.generate import generate_submissions, write_batch

        if day:
            if (file_format, invalid_rate, start, days, providers) != ("mixed", 0.0, "2025-05-05", 1, 3):
                raise TerminalError("--day takes only --cads, --seed and --out: a national day has its shape")
            return write_national_day(cads, out, seed, json_output)
        if cads is None or out is None:
            raise TerminalError("--cads and --out are required (unless --day)")
        if file_format not in ("edifact", "xml", "mixed"):
            raise TerminalError("--format must be edifact, xml or mixed")
        try:
            first_day = date.fromisoformat(start)
        except ValueError:
            raise TerminalError(f"--start {start!r} is not YYYY-MM-DD") from None
        reference = user_reference()
        try:
            batch = generate_submissions(
                cads=cads, seed=seed, reference=reference, start=first_day, format=file_format,
                invalid_rate=invalid_rate, days=days, providers=providers,
            )
        except ValueError as exc:
            raise TerminalError(str(exc)) from None
        written = write_batch(batch, out)
        return print_generated(len(batch.files), batch.declaration_count, written, out, json_output)

    run(body)


def write_national_day(cads: int | None, out: Path | None, seed: int, json_output: bool) -> int:
    """``carm generate --day``: into ``--out``, or into the benchmarks' cache (reused when already there)."""
    from pipeline.generate import cached_day, day_shape, write_day

    reference = user_reference()
    shape = day_shape(cads)
    if out is None:
        stored = cached_day(Settings.from_env().home / "bench-cache", seed=seed, shape=shape, reference=reference)
    else:
        stored = write_day(out, seed=seed, shape=shape, reference=reference)
    return print_generated(stored.files, stored.declarations, stored.bytes, stored.folder, json_output)


def print_generated(files: int, declarations: int, written: int, out: Path, json_output: bool) -> int:
    summary = {"files": files, "declarations": declarations, "out": str(out),
               "registry": str(out / "registry.json"), "manifest": str(out / "manifest.json"), "bytes": written}
    if json_output:
        print_json(summary)
    else:
        stdout().print(
            f"Wrote {files} files ({written:,} bytes, {declarations} CADs) under {out}; "
            f"registry: {summary['registry']}; expected codes: {summary['manifest']}"
        )
    return 0
