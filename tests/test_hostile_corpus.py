"""The hostile corpus of issue 12 (``tests/hostile/``): every file an attacker sent, and what must hold for each.

- ``carm validate --json`` answers every file with valid JSON, never "internal error", the code the manifest
  expects, at most 1,000 findings (then one per code), within ten times what a clean file of its size costs;
- ``carm intake`` of the whole corpus (SQLite and PostgreSQL) exits 0, answers or quarantines every file with a
  reason, archives every file, and a second run has nothing left to do;
- the 9.5 MB XML of 800,000 unknown attributes is read and validated within 20× its size in memory;
- a change or cancellation of another sender's transaction naming the attacker's own importer is B23, and moves
  no money.

Regenerate the corpus with ``python tests/hostile/make_corpus.py`` (see its docstring and RELIABILITY.md).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pipeline.cli import build_app
from pipeline.storage import layout
from tests.hostile import make_corpus as corpus
from tests.hostile.harness import ACCEPTED, Expected, guard, stored_verdict, validate_verdict, within_cap

CASES = corpus.cases()
COMMITTED = [c for c in CASES if c.committed]
MEMORY_CASE = "xml-attributes/unknown-800k.xml"
BUILT_AT_TEST_TIME = [pytest.param(c, marks=pytest.mark.slow, id=c.file) for c in CASES
                      if not c.committed and c.file != MEMORY_CASE]
#: A hostile file may cost this many times what a clean file of its size costs (issue 12: linear in the input).
TIME_FACTOR = 10
AS_OF = corpus.BUSINESS_DATE
FAMILIES = {
    "edi-trailing", "edi-unterminated", "edi-release", "edi-giant", "edi-una", "edi-digits", "edi-long-numbers",
    "edi-numbers", "edi-binary", "edi-encoding", "xml-attributes", "xml-nesting", "xml-dtd", "xml-encoding",
    "xml-text", "xml-digits", "xml-numbers", "xml-namespaces", "xml-malformed", "file-names", "tenancy",
}


# --- the corpus itself ----------------------------------------------------------------------------------------

def test_the_corpus_covers_every_family_of_the_issue_and_stays_small() -> None:
    assert len(CASES) >= 200
    assert {c.family for c in CASES} == FAMILIES
    committed = [p for p in corpus.CORPUS.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in committed) < 5 * 1024 * 1024
    assert sorted(p.relative_to(corpus.CORPUS).as_posix() for p in committed) == sorted(c.file for c in COMMITTED)
    assert len({c.inbound_key for c in CASES}) == len(CASES)


def test_the_manifest_and_the_committed_files_are_what_the_generator_writes() -> None:
    with corpus.MANIFEST.open(encoding="utf-8", newline="") as handle:
        assert list(csv.DictReader(handle)) == [c.row() for c in CASES], "run python tests/hostile/make_corpus.py"
    changed = [c.file for c in COMMITTED if corpus.case_bytes(c) != c.build()]
    assert changed == [], "run python tests/hostile/make_corpus.py"
    assert json.loads(corpus.REGISTRY.read_text(encoding="utf-8")) == corpus.registry_document()
    for case in CASES:
        Expected.parse(case.validate)  # every cell reads


# --- carm validate --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def reference_read_once() -> Iterator[None]:
    """Each ``carm validate`` reads the reference data afresh (a third of a second); here it is read once, as a
    long-running process would, so that the files' own costs are what the timings compare."""
    import pipeline.reference

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline.reference, "load_reference", cache(pipeline.reference.load_reference))
        yield


def validate(path: Path, sender: str):  # noqa: ANN201 - click's Result
    return CliRunner().invoke(build_app(), [
        "validate", "--json", "--as-of", AS_OF, "--sender", sender, "--registry", str(corpus.REGISTRY), str(path),
    ])


@dataclass(frozen=True)
class Cost:
    """What ``carm validate`` costs on clean files here and now: a fixed part, and a part per byte for each syntax
    (by file suffix: ``.edi``, ``.xml``; a file of neither is allowed the dearer)."""

    fixed: float
    per_byte: dict[str, float]

    def allowance(self, size: int, suffix: str = "") -> float:
        rate = self.per_byte.get(suffix, max(self.per_byte.values()))
        return TIME_FACTOR * (self.fixed + rate * size)


def timed_validate(path: Path, sender: str, repeat: int = 1) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = validate(path, sender)
        best = min(best, time.perf_counter() - started)
    return best, result


@pytest.fixture(scope="module")
def cost(tmp_path_factory: pytest.TempPathFactory) -> Cost:
    folder = tmp_path_factory.mktemp("clean")
    small = folder / "small.edi"
    small.write_bytes(corpus.clean_edifact(1))
    fixed, _ = timed_validate(small, corpus.SENDER, repeat=3)
    per_byte = {}
    for suffix, data in ((".edi", corpus.clean_edifact(999)), (".xml", corpus.clean_xml(999))):
        path = folder / f"large{suffix}"
        path.write_bytes(data)
        seconds, result = timed_validate(path, corpus.SENDER, repeat=2)
        assert result.exit_code == 0, result.stdout  # a clean file is accepted
        per_byte[suffix] = max(seconds - fixed, 0.0) / len(data)
    return Cost(fixed, per_byte)


def check_validate(case: corpus.Case, data: bytes, cost: Cost, tmp_path: Path) -> None:
    path = tmp_path / ("hostile" + Path(case.file).suffix)
    path.write_bytes(data)
    allowance = cost.allowance(len(data), path.suffix)
    with guard(2 * allowance + 1, f"carm validate {case.file}"):
        seconds, result = timed_validate(path, case.sender)
        if seconds > allowance:  # a busy machine: measure once more before judging
            seconds = min(seconds, timed_validate(path, case.sender)[0])
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert result.exit_code in (0, 1), (result.exit_code, result.stderr)
    document = json.loads(result.stdout)  # one JSON document, nothing else on stdout
    assert "fault" not in document["files"][0], document["files"][0]  # our own code failed on the file
    kind, codes, findings = validate_verdict(document)
    assert Expected.parse(case.validate).met_by(kind, codes), f"{case.file}: {kind} {sorted(codes)}, expected {case.validate}"
    assert result.exit_code == (0 if kind == ACCEPTED else 1)
    assert within_cap(findings), f"{case.file}: {len(findings)} findings"
    assert seconds <= allowance, (
        f"{case.file} ({len(data):,} bytes) took {seconds:.2f} s, over {TIME_FACTOR}× a clean file of its size "
        f"({allowance:.2f} s)")


@pytest.mark.parametrize("case", COMMITTED, ids=[c.file for c in COMMITTED])
def test_validate_answers_each_hostile_file_with_its_code_in_linear_time(case, cost, tmp_path) -> None:  # noqa: ANN001
    check_validate(case, corpus.case_bytes(case), cost, tmp_path)


@pytest.mark.parametrize("case", BUILT_AT_TEST_TIME)
def test_validate_answers_each_big_hostile_file_with_its_code_in_linear_time(case, cost, tmp_path) -> None:  # noqa: ANN001
    check_validate(case, corpus.case_bytes(case), cost, tmp_path)


# --- carm intake of the whole corpus --------------------------------------------------------------------------

def inbox_rows(ledger_url: str) -> dict[str, object]:
    from pipeline.ledger import InboxEntry, engine_for

    engine = engine_for(ledger_url)
    try:
        with Session(engine) as session:
            return {row.key: row for row in session.scalars(select(InboxEntry).order_by(InboxEntry.id))}
    finally:
        engine.dispose()


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def drop_corpus(home: Path, cases: list[corpus.Case]) -> None:
    for case in cases:
        path = home / "buckets" / "inbound" / case.inbound_key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(corpus.case_bytes(case))


def test_intake_answers_or_quarantines_every_hostile_file_and_a_second_run_has_nothing_to_do(
    carm, ledger_url: str, cost: Cost,  # noqa: ANN001
) -> None:
    assert carm("registry", "load", str(corpus.REGISTRY))[0] == 0
    drop_corpus(carm.home, COMMITTED)
    total = sum(len(corpus.case_bytes(c)) for c in COMMITTED)
    # The same allowance as validate's for the whole corpus: intake does more per file (archive, post, answer) but
    # without the command line's start-up on each file. A guard against a stalled run, not a benchmark.
    allowance = cost.allowance(total) + TIME_FACTOR * cost.fixed * len(COMMITTED)
    with guard(allowance, "carm intake of the hostile corpus"):
        code, out, err = carm("intake", "--json", "--as-of", f"{AS_OF}T10:00", "--workers", "1")
    # Rejections are answers, not a failed run: 2 would mean a file stopped the run (only store outages may).
    assert code in (0, 1), err
    assert "internal error" not in err and "failed:" not in err, err
    summary = json.loads(out)

    rows = inbox_rows(ledger_url)
    outbound, archive = carm.home / "buckets" / "outbound", carm.home / "buckets" / "archive"
    archived = {p.name: p for p in files_under(archive)}
    problems = []
    for case in COMMITTED:
        data = corpus.case_bytes(case)
        row = rows.get(case.inbound_key)
        if row is None:
            problems.append(f"{case.file} as {case.inbound_key!r}: never entered the inbox")
            continue
        if row.state.value not in case.intake.split("|"):
            problems.append(f"{case.file}: {row.state.value} ({row.reason or row.last_error}), expected {case.intake}")
            continue
        copy = archived.get(hashlib.sha256(data).hexdigest())
        if copy is None or copy.read_bytes() != data:
            problems.append(f"{case.file}: not in the archive byte for byte")
        if row.state.value == "quarantined":
            if not row.reason:
                problems.append(f"{case.file}: quarantined without a reason")
            continue
        keys = layout.response_keys(case.sender, case.inbound_key.split("/", 1)[1])
        if not any((outbound / key).is_file() for key in (keys.contrl, keys.xml)):
            problems.append(f"{case.file}: answered but no answer in the outbound bucket")
        if case.family != "tenancy":
            kind, codes = stored_verdict(row.outcome)
            if not Expected.parse(case.validate).met_by(kind, codes):
                problems.append(f"{case.file}: intake said {kind} {sorted(codes)}, expected {case.validate}")
    assert problems == [], "\n".join(problems)
    assert files_under(carm.home / "buckets" / "inbound") == []
    answered = sum(1 for r in rows.values() if r.state.value == "answered")
    assert (summary["files"], summary["quarantined"]) == (answered, len(rows) - answered)

    code, out, err = carm("intake", "--json", "--as-of", f"{AS_OF}T11:00", "--workers", "1")
    assert code == 0, err  # nothing to do, nothing rejected
    again = json.loads(out)
    assert (again["files"], again["quarantined"], again["declarations"]) == (
        0, 0, {"accepted": 0, "rejected": 0, "duplicate": 0})


# --- memory ---------------------------------------------------------------------------------------------------

MEASURE = """
import json, sys, time
from datetime import date
from pipeline.checking import check_bytes
from pipeline.reference import load_reference
from pipeline.validate import ValidationContext
from tests.hostile.harness import finding_codes, offline_answers

reference = load_reference()
context = ValidationContext(reference, date(2025, 5, 6), sender_folder="SP00042")
check_bytes(open(sys.argv[2], "rb").read(), "warm-up", context)  # every lazy import and cache, on a clean file
data = open(sys.argv[1], "rb").read()


def status(field):
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) * 1024 for line in handle if line.startswith(field + ":"))


with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # resets the peak resident set size (VmHWM) to what is resident now
before = status("VmRSS")
started = time.perf_counter()
checked = check_bytes(data, "hostile.xml", context)
answers = offline_answers(checked, data, reference, "SP00042")
seconds = time.perf_counter() - started
print(json.dumps({"size": len(data), "grown": status("VmHWM") - before, "seconds": seconds,
                  "findings": finding_codes(checked), "answer": sum(map(len, answers.values())),
                  "codes": sorted({f.code for f in checked.verdict.file_findings})}))
"""


def measure_in_subprocess(data: bytes, tmp_path: Path) -> dict:
    hostile, clean = tmp_path / "hostile.xml", tmp_path / "clean.xml"
    hostile.write_bytes(data)
    clean.write_bytes(corpus.clean_xml(1))
    # A runaway parse is stopped at 100× the file size of address space over what the interpreter maps at start,
    # rather than taking the machine's memory (issue 12 measured 2.3 GB).
    limit = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({2 * 1024**3 + 100 * len(data)},) * 2)\n"
    result = subprocess.run([sys.executable, "-c", limit + MEASURE, str(hostile), str(clean)], capture_output=True,
                            text=True, cwd=corpus.ROOT, env={**os.environ, "PYTHONPATH": str(corpus.ROOT)}, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.mark.slow
def test_eight_hundred_thousand_unknown_attributes_stay_within_twenty_times_the_file_in_memory(tmp_path) -> None:  # noqa: ANN001
    (case,) = [c for c in CASES if c.file == MEMORY_CASE]
    data = corpus.case_bytes(case)
    assert len(data) > 9_000_000  # the 9.5 MB of the issue
    figures = measure_in_subprocess(data, tmp_path)
    assert figures["grown"] <= 20 * figures["size"], (
        f"peak memory grew by {figures['grown']:,} bytes for a file of {figures['size']:,} bytes")
    assert within_cap(figures["findings"]), len(figures["findings"])
    assert figures["answer"] <= len(figures["findings"]) * 2_000, figures["answer"]  # bounded by the cap, not the file
    assert figures["codes"] == ["S10"]


# --- tenancy --------------------------------------------------------------------------------------------------

def test_a_sender_cannot_change_or_cancel_another_senders_transaction_by_naming_its_own_importer(
    carm, ledger_url: str,  # noqa: ANN001
) -> None:
    tenancy = {c.file.split("/")[1].split("-")[0]: c for c in CASES if c.family == "tenancy"}
    assert carm("registry", "load", str(corpus.REGISTRY))[0] == 0

    def intake(*numbers: str, hour: int) -> dict[str, tuple[str, set[str]]]:
        drop_corpus(carm.home, [tenancy[n] for n in numbers])
        code, _, err = carm("intake", "--json", "--as-of", f"{AS_OF}T{hour:02d}:00", "--workers", "1")
        assert code == 0, err
        rows = inbox_rows(ledger_url)
        return {n: stored_verdict(rows[tenancy[n].inbound_key].outcome) for n in numbers}

    def account(importer: str) -> dict:
        code, out, err = carm("account", importer, "--json")
        assert code == 0, err
        return json.loads(out)

    assert intake("1", hour=9) == {"1": (ACCEPTED, set())}
    victim_before = account(corpus.IMPORTER)
    assert victim_before["postings"] and victim_before["balance"] != "0.00"

    attack = intake("2", "3", "4", "5", hour=10)
    assert attack == {"2": ("rejected-declaration", {"B23"}), "3": ("rejected-declaration", {"B23"}),
                      "4": ("rejected-declaration", {"B23"}), "5": ("rejected-declaration", {"A02"})}
    assert account(corpus.ATTACKER_IMPORTER)["postings"] == []
    assert account(corpus.IMPORTER) == victim_before
    responses = carm.home / "buckets" / "outbound" / corpus.ATTACKER / "responses"
    for number in ("2", "3", "4"):  # nothing of the victim's transaction is told to the attacker
        name = tenancy[number].inbound_key.split("/", 1)[1]
        text = (responses / f"{name}.cusres.edi").read_text("latin-1")
        assert corpus.IMPORTER[:9] not in text and "Acme Imports" not in text, text

    assert intake("6", hour=11) == {"6": (ACCEPTED, set())}  # the victim's own change: not DU, not B04
    versions = {p["version"] for p in account(corpus.IMPORTER)["postings"]}
    assert versions <= {1, 2}
