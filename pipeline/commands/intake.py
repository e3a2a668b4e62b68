"""``carm intake`` and ``carm replay``: the intake use cases from the command line (the DAGs call the same)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from pipeline.commands.common import AsOfOption, JsonOption, date_option, print_json, run, stderr, stdout
from pipeline.errors import TerminalError
from pipeline.money import group_thousands


def register(app: typer.Typer) -> None:
    app.command("intake")(intake)
    app.command("replay")(replay)


def _runtime():  # noqa: ANN202
    from pipeline.runtime import open_runtime

    return open_runtime()


def intake(
    json_output: JsonOption = False,
    as_of: AsOfOption = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: one per core for large runs).")
    ] = None,
) -> None:
    """Process every pending inbound file once: archive, parse, validate, assess, post, answer."""

    def body() -> int:
        from pipeline.intake import run_intake

        runtime = _runtime()
        console = stdout()
        if json_output or not console.is_terminal:
            summary = run_intake(runtime, as_of=as_of, workers=workers)
        else:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("intake"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=console, transient=True) as bar:
                task = bar.add_task("files", total=None)

                def advance(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                summary = run_intake(runtime, as_of=as_of, workers=workers, progress=advance)
        if json_output:
            document = summary.as_json()
            if summary.failures:  # additive key, only when there is something to say
                document["not_answered"] = summary.not_answered()
            print_json(document)
        else:
            _print_summary(console, summary, runtime)
        return _report_failures(summary.failures)

    run(body)


def _report_failures(failures) -> int:  # noqa: ANN001 - FileFailure
    """One line per file the run could not answer, on stderr; the exit code (spec/interfaces.md): 2 when an
    outage left files to retry (the run could not finish), 1 when files were set aside for good (quarantined
    for a fault of their own, or failed for good: some input was rejected), else 0."""
    for failure in failures:
        what = {"quarantined": "quarantined (not retried)", "retried": "failed (retried by the next run)",
                "failed": "failed (not retried)"}[failure.state]
        stderr().print(f"[bold red]{what}:[/] inbox {failure.inbox_id} {escape(failure.key)}: {escape(failure.error)}")
    if any(f.retryable for f in failures):
        return 2
    return 1 if failures else 0


def _print_summary(console, summary, runtime) -> None:  # noqa: ANN001
    declarations = summary.accepted + summary.rejected + summary.duplicate
    console.print(
        f"Intake: {summary.files} file(s) answered, {summary.interchanges} interchange(s), {declarations} CAD(s): "
        f"{summary.accepted} accepted, {summary.rejected} rejected, {summary.duplicate} duplicate; "
        f"{summary.quarantined} quarantined; posted {group_thousands(summary.posted_total)} in {summary.seconds:.1f} s."
    )
    if summary.already_processed:
        console.print(f"  {summary.already_processed} file(s) dropped again under the same name and content: "
                      "already answered, not processed again.")
    if summary.rejected_by_code:
        codes = ", ".join(f"{code} ×{count}" for code, count in sorted(summary.rejected_by_code.items()))
        console.print(f"  Rejections by code: {codes}")
    if summary.files:
        console.print(f"  Answers: {runtime.settings.outbound_url}/<sender>/responses/")
    if summary.quarantined:
        console.print(f"  Quarantined files: {runtime.settings.archive_url}/quarantine/ (see the inbox reasons)")


ReplayAsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help=(
        "Business date/time of the replay run, Eastern: YYYY-MM-DD[THH:MM] (default: CARM_AS_OF, else now). It "
        "dates the run, not the CADs: each file keeps the acceptance date of the day it was received, as when "
        "first processed, so a replay into a restored ledger rebuilds the same postings and W02 judgements.")),
]


def replay(
    on: Annotated[str | None, typer.Option("--date", help="Files archived (received) on this day: YYYY-MM-DD.")] = None,
    sender: Annotated[str | None, typer.Option("--sender", help="Files of this service provider.")] = None,
    sha256: Annotated[str | None, typer.Option("--sha256", help="The file with this content hash.")] = None,
    reanswer: Annotated[bool, typer.Option("--reanswer", help="Write the answers of processed files again.")] = False,
    json_output: JsonOption = False,
    as_of: ReplayAsOfOption = None,
) -> None:
    """Re-process archived files (by date, sender or hash) without posting anything twice."""

    def body() -> int:
        from pipeline.intake import replay as replay_files

        if on is None and sender is None and sha256 is None:
            raise TerminalError("replay: give --date, --sender or --sha256 (or several) to choose the files")
        day = date_option(on, "--date")
        if sha256 is not None and (len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256)):
            raise TerminalError(f"--sha256 {sha256!r}: expected 64 lower-case hexadecimal digits")
        runtime = _runtime()
        summary = replay_files(runtime, day=day, sender=sender, sha256=sha256, reanswer=reanswer, as_of=as_of)
        if json_output:
            print_json(summary.as_json())
        else:
            console = stdout()
            console.print(
                f"Replay: {summary.selected} archived file(s) selected; {summary.processed} processed now, "
                f"{summary.already_processed} already processed (nothing posted again), "
                f"{summary.reanswered} answered again."
            )
            if summary.processed:
                _print_summary(console, summary.intake, runtime)
            for reason in summary.skipped:
                console.print(f"  skipped {reason}")
        return _report_failures(summary.intake.failures)

    run(body)
