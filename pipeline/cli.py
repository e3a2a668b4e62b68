"""The ``carm`` command: a thin shell over the package's use cases (the DAGs call the same functions).

Exit codes (spec/interfaces.md): 0 success; 1 the input was processed and some of it was rejected; 2 the command
could not run. A user never sees a stack trace: faults are reported in one line naming the file and the place
(set ``CARM_DEBUG=1`` to get the traceback).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from pipeline.errors import CarmError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="CARM pipeline: check, assess, post and bill CADs.")

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", envvar="CARM_AS_OF", help="Business date/time, Eastern: YYYY-MM-DD[THH:MM]. Default: now."),
]


def _stdout() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _run(action: Callable[[], int]) -> None:
    """Run a command body, turning faults into a one-line message and exit code 2."""
    try:
        code = action()
    except CarmError as exc:
        _stderr().print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    except OSError as exc:
        _stderr().print(f"[bold red]error:[/] {exc.filename or ''}: {exc.strerror or exc}")
        raise typer.Exit(2) from None
    except Exception as exc:  # noqa: BLE001 - last line of defence: no stack trace for users
        if os.environ.get("CARM_DEBUG"):
            raise
        _stderr().print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc} (set CARM_DEBUG=1 for details)")
        raise typer.Exit(2) from None
    raise typer.Exit(code)


def _print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _read_inputs(files: list[Path]) -> list[tuple[str, bytes]]:
    inputs = []
    for path in files:
        try:
            inputs.append((str(path), path.read_bytes()))
        except OSError as exc:
            raise CarmError(f"{path}: cannot read ({exc.strerror})") from exc
    return inputs


def _context(as_of: str | None, sender: str | None, registry_file: Path | None):  # noqa: ANN202
    from pipeline.clock import business_moment
    from pipeline.reference import load_reference
    from pipeline.registry import load_registry_file
    from pipeline.validate import ValidationContext

    registry = load_registry_file(registry_file) if registry_file else None
    reference = load_reference(os.environ.get("CARM_REFDATA_DIR") or None)
    return ValidationContext(reference, business_moment(as_of).date(), sender_folder=sender, registry=registry)


SenderOption = Annotated[
    str | None, typer.Option("--sender", help="The sender folder the file will be dropped in (checks A03).")
]
RegistryOption = Annotated[
    Path | None,
    typer.Option("--registry", help="Registry CSV/JSON (checks A01, A02, B02); without it those checks are skipped."),
]


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="CAD files, EDIFACT or XML.")],
    json_output: JsonOption = False,
    as_of: AsOfOption = None,
    sender: SenderOption = None,
    registry: RegistryOption = None,
) -> None:
    """Syntax and business validation without posting: every error with its code and location."""

    def body() -> int:
        from pipeline.checking import check_bytes
        from pipeline.report import any_rejected, validation_document

        context = _context(as_of, sender, registry)
        checked = [check_bytes(data, name, context) for name, data in _read_inputs(files)]
        document = validation_document(checked)
        if json_output:
            _print_json(document)
        else:
            from pipeline.render_text import print_validation

            print_validation(_stdout(), document, context)
        return 1 if any_rejected(document) else 0

    _run(body)


@app.command()
def generate(
    cads: Annotated[int, typer.Option("--cads", min=1, help="How many CADs to generate.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write <sender>/<file> into.")],
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same files.")] = 1,
    file_format: Annotated[str, typer.Option("--format", help="edifact, xml or mixed.")] = "mixed",
    invalid_rate: Annotated[float, typer.Option("--invalid-rate", min=0.0, max=1.0, help="Share of faulty CADs.")] = 0.0,
    start: Annotated[str, typer.Option("--start", help="First business day (the shipped FX data covers 2024-2025).")] = "2025-05-05",
    days: Annotated[int, typer.Option("--days", min=1, help="Business days of submissions.")] = 1,
    providers: Annotated[int, typer.Option("--providers", min=1, help="Service providers.")] = 3,
    json_output: JsonOption = False,
) -> None:
    """Write realistic synthetic submissions, a registry.json for them and a manifest.json of expected codes."""

    def body() -> int:
        from datetime import date

        from pipeline.generate import generate_submissions
        from pipeline.reference import load_reference

        if file_format not in ("edifact", "xml", "mixed"):
            raise typer.BadParameter("--format must be edifact, xml or mixed")
        try:
            first_day = date.fromisoformat(start)
        except ValueError:
            raise typer.BadParameter(f"--start {start!r} is not YYYY-MM-DD") from None
        reference = load_reference(os.environ.get("CARM_REFDATA_DIR") or None)
        try:
            batch = generate_submissions(
                cads=cads, seed=seed, reference=reference, start=first_day, format=file_format,
                invalid_rate=invalid_rate, days=days, providers=providers,
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        written = write_generated(batch, out)
        summary = {"files": len(batch.files), "declarations": batch.declaration_count, "out": str(out),
                   "registry": str(out / "registry.json"), "manifest": str(out / "manifest.json"),
                   "bytes": written}
        if json_output:
            _print_json(summary)
        else:
            _stdout().print(
                f"Wrote {summary['files']} files ({written:,} bytes, {summary['declarations']} CADs) under {out}; "
                f"registry: {summary['registry']}; expected codes: {summary['manifest']}"
            )
        return 0

    _run(body)


def write_generated(batch, out: Path) -> int:  # noqa: ANN001
    """Write a generated batch to a folder: ``<sender>/<file>``, ``registry.json``, ``manifest.json``."""
    total = 0
    for generated in batch.files:
        target = out / generated.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(generated.data)
        total += len(generated.data)
    out.mkdir(parents=True, exist_ok=True)
    (out / "registry.json").write_text(json.dumps(batch.registry_document(), indent=2), encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps(batch.manifest(), indent=2), encoding="utf-8")
    return total


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
