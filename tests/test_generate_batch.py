"""``carm generate``: synthetic batches are deterministic, realistic, and valid where they claim to be."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipeline.assess import assess_declarations
from pipeline.generate import (
    business_days,
    fault_codes,
    generate_large_submission,
    generate_submissions,
)
from pipeline.identifiers import business_number, cargo_control, transaction_number
from pipeline.parsers import read_submission
from pipeline.reference import load_reference
from pipeline.registry import parse_registry
from pipeline.validate import ValidationContext, validate_submission

GST_BREAK = date(2024, 12, 16)  # a Monday inside the 24-25-GSTTPS window


@pytest.fixture(scope="module")
def reference():
    return load_reference()


class LedgerStub:
    """What the ledger would know after posting the accepted versions of the files processed so far."""

    def __init__(self) -> None:
        self.versions: dict[str, int] = {}
        self.owners: dict[str, str] = {}

    def latest_accepted_version(self, number: str) -> int | None:
        return self.versions.get(number)

    def owning_importer(self, number: str) -> str | None:
        return self.owners.get(number)

    def post(self, verdict) -> None:  # noqa: ANN001
        if verdict.file_rejected:
            return
        for judged in verdict.declarations:
            if not judged.errors:
                self.versions[judged.declaration.transaction_number] = judged.declaration.version_number
                self.owners.setdefault(judged.declaration.transaction_number, judged.declaration.importer.id)


def process(batch, reference, *, history: LedgerStub | None = None):
    """Each file read and validated the way intake does it, in processing order: (file, result, verdict)."""
    for generated in sorted(batch.files, key=lambda f: (f.business_date, f.sender, f.name)):
        result = read_submission(generated.data)
        context = ValidationContext(reference, generated.business_date, generated.sender, batch.registry, history)
        verdict = validate_submission(result, context)
        if history is not None:
            history.post(verdict)
        yield generated, result, verdict


def codes(verdict) -> set[str]:
    found = {f.code for f in verdict.file_findings}
    return found | {f.code for judged in verdict.declarations for f in judged.findings}


def digest(batch) -> str:
    sha = hashlib.sha256()
    for f in batch.files:
        sha.update(f"{f.path}|{f.syntax}|{sorted(f.expected_codes)}|{f.faults}".encode())
        sha.update(f.data)
    sha.update(json.dumps(batch.registry_document(), sort_keys=True).encode())
    return sha.hexdigest()


SETTINGS = dict(cads=60, start=date(2025, 3, 3), days=3, invalid_rate=0.2, ledger_faults=True, amend_rate=0.05)


def test_same_seed_gives_the_same_bytes_even_in_another_process(reference):
    first = generate_submissions(seed=11, reference=reference, **SETTINGS)
    assert digest(first) == digest(generate_submissions(seed=11, reference=reference, **SETTINGS))
    # Another interpreter with another string-hash seed: no set or dict order may leak into the output.
    script = (
        "import sys; from datetime import date; sys.path.insert(0, '.'); "
        "from tests.test_generate_batch import SETTINGS, digest; "
        "from pipeline.reference import load_reference; from pipeline.generate import generate_submissions; "
        "print(digest(generate_submissions(seed=11, reference=load_reference(), **SETTINGS)))"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == digest(first)


def test_another_seed_gives_other_files(reference):
    one = generate_submissions(seed=1, reference=reference, **SETTINGS)
    two = generate_submissions(seed=2, reference=reference, **SETTINGS)
    assert digest(one) != digest(two)
    assert {f.data for f in one.files}.isdisjoint({f.data for f in two.files})


def test_a_valid_batch_reads_validates_and_assesses_clean(reference):
    batch = generate_submissions(cads=150, seed=3, reference=reference, start=date(2025, 5, 5), days=3,
                                 amend_rate=0.05)
    assert {f.syntax for f in batch.files} == {"edifact", "xml"}
    assert all(not f.expected_codes and not f.faults for f in batch.files)
    declarations = []
    for generated, result, verdict in process(batch, reference, history=LedgerStub()):
        assert result.syntax_ok, (generated.path, result.findings)
        assert codes(verdict) == set(), (generated.path, verdict.file_findings,
                                         [j.findings for j in verdict.declarations if j.findings])
        declarations.extend(result.interchange.declarations)
    assert len(declarations) == batch.declaration_count == 150
    assert any(d.function == "4" for d in declarations), "valid changes of earlier CADs are part of the mix"
    assessment = assess_declarations(declarations, reference)
    assert all(not warnings for warnings in assessment.warnings), "filer amounts agree, no undeclared measure"


def test_the_world_is_realistic(reference):
    batch = generate_submissions(cads=300, seed=4, reference=reference, start=GST_BREAK, days=2)
    registry = batch.registry
    declarations = [
        (f, d) for f in batch.files for d in read_submission(f.data).interchange.declarations
    ]
    assert all(business_number.is_valid_import_account(i) for i in registry.importers)
    assert all(business_number.is_valid(b) and len(b) == 9 for b in registry.brokers)
    claims = Counter()
    for generated, d in declarations:
        release, shipment = date.fromisoformat(d.release_date), date.fromisoformat(d.shipment_date)
        document = date.fromisoformat(d.document_date)
        assert shipment <= release <= document <= generated.business_date
        assert generated.business_date - release <= timedelta(days=3)  # never late (W02)
        assert transaction_number.is_valid(d.transaction_number)
        assert len(d.office) == 4 and d.office.isdigit()
        assert registry.is_authorized(generated.sender, d.importer.id)
        assert d.broker is None or d.broker.id in registry.brokers
        rate = reference.exchange_rates.rate_for(d.currency, shipment)
        assert rate is not None and date(2023, 12, 27) <= rate.published <= date(2025, 12, 31)
        for line in d.lines:
            item = reference.tariff.lookup(line.classification, release)
            assert item is not None and line.treatment in item.rates
            assert reference.treatments[line.treatment].is_entitled(line.origin, release)
            assert len(line.value.partition(".")[2]) <= reference.currencies[d.currency]
            assert reference.units.factor(line.unit, item.unit) is not None if item.unit else True
            if d.cad_type == "C":
                assert cargo_control.is_valid(line.cargo_control)
            preferential = [t for t in item.rates if reference.treatments[t].entitled is not None
                            and reference.treatments[t].is_entitled(line.origin, release)]
            claims[line.treatment in preferential, bool(preferential)] += 1
    # Most lines that could claim a preference do; the rest pay MFN.
    assert claims[True, True] > 3 * claims[False, True]
    lines = [line for _, d in declarations for line in d.lines]
    assert {"USD", "EUR"} <= {d.currency for _, d in declarations}
    assert any(d.cad_type == "C" for _, d in declarations)
    assert any(d.broker is None for _, d in declarations) and any(d.broker for _, d in declarations)
    assert any(line.special_authority == "24-25-GSTTPS" for line in lines)
    assert any(line.filer_amounts for line in lines)
    assert 3 <= len(lines) / len(declarations) <= 7


def test_the_registry_loads_as_carm_registry_load_reads_it(reference):
    batch = generate_submissions(cads=20, seed=5, reference=reference, start=date(2025, 5, 5))
    loaded = parse_registry(json.dumps(batch.registry_document()), "registry.json")
    assert loaded == batch.registry


def test_the_invalid_rate_is_the_share_of_faulty_cads_and_files(reference):
    batch = generate_submissions(cads=400, seed=6, reference=reference, start=date(2025, 5, 5), days=2,
                                 invalid_rate=0.1)
    faulty_cads = sum(1 for f in batch.files for _, c in f.declaration_codes if c)
    file_faults = sum(1 for f in batch.files if f.faults and not any(c for _, c in f.declaration_codes))
    assert 36 <= faulty_cads <= 40
    assert file_faults == round(0.1 * len(batch.files))


def test_a_large_enough_batch_covers_every_code(reference):
    batch = generate_submissions(cads=240, seed=7, reference=reference, start=date(2025, 5, 5), days=2,
                                 cads_per_file=3, invalid_rate=0.2, ledger_faults=True, max_file_bytes=400_000)
    made = set().union(*(f.expected_codes for f in batch.files))
    assert made == set(fault_codes(ledger=True, oversize=True))


@pytest.mark.parametrize("syntax", ["edifact", "xml"])
def test_a_large_file_is_one_valid_interchange_of_the_size_asked(reference, syntax):
    batch = generate_large_submission(syntax, 150_000, 8, reference)
    (generated,) = batch.files
    assert len(generated.data) >= 150_000
    (_, result, verdict), = process(batch, reference)
    assert result.syntax_ok and codes(verdict) == set()
    assert len(result.interchange.declarations) == len(generated.declaration_codes) > 20


def test_business_days_skip_weekends():
    assert business_days(date(2025, 5, 9), 3) == (date(2025, 5, 9), date(2025, 5, 12), date(2025, 5, 13))


@pytest.mark.parametrize("bad", [dict(cads=0), dict(format="csv"), dict(invalid_rate=1.5), dict(days=0),
                                 dict(faults=["Z99"], invalid_rate=0.5)])
def test_bad_arguments_are_refused(reference, bad):
    arguments = dict(cads=5, seed=1, reference=reference, start=date(2025, 5, 5)) | bad
    with pytest.raises(ValueError):
        generate_submissions(**arguments)
