"""``carm generate --day``: a national day's shape (issue 11) at a small size, valid except where it says not."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from statistics import mean

import pytest
from typer.testing import CliRunner

from pipeline.cli import build_app
from pipeline.generate import NATIONAL_DAY, cached_day, day_shape, generate_day, write_day
from pipeline.parsers import read_submission
from pipeline.reference import load_reference

SMALL = 2_000  # ten files


@pytest.fixture(scope="module")
def reference():
    return load_reference()


@pytest.fixture(scope="module")
def day(reference):
    return generate_day(seed=5, reference=reference, shape=day_shape(SMALL))


def digest(batch) -> str:  # noqa: ANN001
    sha = hashlib.sha256()
    for generated in batch.files:
        sha.update(f"{generated.path}|{sorted(generated.expected_codes)}".encode())
        sha.update(generated.data)
    return sha.hexdigest()


def test_the_national_day_is_550_files_of_200_cads_from_40_providers_70_percent_edifact():
    assert (NATIONAL_DAY.cads, NATIONAL_DAY.files, NATIONAL_DAY.providers) == (110_000, 550, 40)
    assert NATIONAL_DAY.edifact_files == 385
    fifth = day_shape(22_000)
    assert (fifth.files, fifth.providers, fifth.edifact_files) == (110, 8, 77)  # 13.75 files a provider, as above
    assert day_shape(110_000) == NATIONAL_DAY


def test_a_small_day_keeps_the_proportions(day):
    shape = day_shape(SMALL)
    assert len(day.files) == 10
    assert all(len(f.declaration_codes) == 200 for f in day.files)
    assert {f.sender for f in day.files if "A01" not in f.expected_codes} == set(day.registry.providers)
    assert len(day.registry.providers) == shape.providers == 2
    # 70 % EDIFACT, give or take the files a byte fault of the other syntax took over
    moved = sum(1 for f in day.files if any(label.startswith("S") for label in f.faults))
    assert abs(Counter(f.syntax for f in day.files)["edifact"] - 7) <= moved


def test_cads_have_1_to_20_lines_most_of_them_one_or_two(day):
    counts = [
        len(declaration.lines)
        for generated in day.files
        if not any(code.startswith("S") for code in generated.expected_codes)
        for declaration in read_submission(generated.data).interchange.declarations
    ]
    assert len(counts) >= SMALL - 200  # at most one file broken beyond reading
    assert min(counts) == 1 and 15 <= max(counts) <= 20
    assert sum(1 for c in counts if c <= 2) > 0.6 * len(counts)
    assert 1.8 <= mean(counts) <= 2.8  # what makes a national day weigh about 170 MB


def test_a_small_share_of_the_cads_is_faulty(day):
    faulty = sum(1 for f in day.files for _, codes in f.declaration_codes if codes)
    file_faults = [f for f in day.files if f.faults and any(label[0] in "SA" for label in f.faults)]
    assert 0 < faulty <= 0.01 * SMALL
    assert len(file_faults) <= 2


def test_the_same_seed_gives_the_same_day_and_another_seed_another(reference):
    shape = day_shape(400)
    first = generate_day(seed=8, reference=reference, shape=shape)
    assert digest(first) == digest(generate_day(seed=8, reference=reference, shape=shape))
    assert digest(first) != digest(generate_day(seed=9, reference=reference, shape=shape))


def test_the_files_pass_carm_validate_except_the_intended_invalid_ones(day, reference, tmp_path):
    folder = tmp_path / "day"
    write_day(folder, seed=5, shape=day_shape(SMALL), reference=reference)
    manifest = {entry["path"]: set(entry["expected_codes"]) for entry in
                json.loads((folder / "manifest.json").read_text())["files"]}
    found = {}
    for sender in sorted(p for p in folder.iterdir() if p.is_dir()):
        files = sorted(str(path.relative_to(folder)) for path in sender.iterdir())
        result = CliRunner().invoke(build_app(), [
            "validate", "--json", "--as-of", "2025-05-05", "--sender", sender.name,
            "--registry", str(folder / "registry.json"), *[str(folder / name) for name in files]])
        document = json.loads(result.stdout)
        for entry in document["files"]:
            name = str(Path(entry["file"]).relative_to(folder))
            found[name] = {e["code"] for e in entry["errors"]} | {
                e["code"] for d in document["declarations"] if d["file"] == entry["file"] for e in d["errors"]}
    assert found == manifest
    assert sum(1 for codes in found.values() if not codes) >= 1  # not everything is broken
    assert {code for codes in found.values() for code in codes}  # and the faults are there


def test_the_day_is_cached_by_seed_and_shape_and_an_interrupted_one_made_again(reference, tmp_path):
    shape = day_shape(200)
    made = cached_day(tmp_path, seed=3, shape=shape, reference=reference)
    again = cached_day(tmp_path, seed=3, shape=shape, reference=reference)
    assert made.generated and not again.generated
    assert again.folder == made.folder and again.record == made.record
    assert cached_day(tmp_path, seed=4, shape=shape, reference=reference).folder != made.folder
    (made.folder / "day.json").unlink()  # as a generation killed before its end leaves it
    assert cached_day(tmp_path, seed=3, shape=shape, reference=reference).generated


def test_carm_generate_day_writes_a_small_day_and_refuses_other_shapes(tmp_path):
    app, out = build_app(), tmp_path / "out"
    result = CliRunner().invoke(app, ["generate", "--day", "--cads", "400", "--seed", "2", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["files"], summary["declarations"]) == (2, 400)
    assert json.loads((out / "day.json").read_text())["declarations"] == 400
    refused = CliRunner().invoke(app, ["generate", "--day", "--format", "xml", "--out", str(tmp_path / "x")])
    assert refused.exit_code == 2 and "--day takes only --cads, --seed and --out" in refused.stderr
    assert "internal error" not in refused.stderr
