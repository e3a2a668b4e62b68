"""``carm generate``: every fault draws exactly the code it is made for, and nothing else in its file or batch."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.generate import catalogue, generate_submissions
from pipeline.parsers import read_submission
from pipeline.reference import load_reference
from pipeline.validate import ValidationContext, validate_submission

SIZE_LIMIT = 400_000  # the S11 fault pads one file past this; the reader is given the same limit


@pytest.fixture(scope="module")
def reference():
    return load_reference()


class LedgerStub:
    def __init__(self) -> None:
        self.versions: dict[str, int] = {}
        self.owners: dict[str, str] = {}

    def latest_accepted_version(self, number: str) -> int | None:
        return self.versions.get(number)

    def owning_importer(self, number: str) -> str | None:
        return self.owners.get(number)


def judge(batch, reference, *, ledger: bool):
    """(file, codes found) for each file in processing order; with ``ledger``, as intake would judge them."""
    history = LedgerStub() if ledger else None
    processed: dict[tuple[str, str], bytes] = {}
    for generated in sorted(batch.files, key=lambda f: (f.business_date, f.sender, f.name)):
        result = read_submission(generated.data, max_bytes=SIZE_LIMIT)
        verdict = validate_submission(result, ValidationContext(
            reference, generated.business_date, generated.sender, batch.registry, history))
        found = {f.code for f in verdict.file_findings}
        found |= {f.code for judged in verdict.declarations for f in judged.findings}
        if ledger and result.interchange is not None:
            # The intake rule of S13, which validation alone cannot know: same sender and reference, other bytes.
            key = (generated.sender, result.interchange.control_reference)
            if processed.setdefault(key, generated.data) != generated.data:
                found.add("S13")
            if not verdict.file_rejected and "S13" not in found:
                for judged in verdict.declarations:
                    if not judged.errors:
                        history.versions[judged.declaration.transaction_number] = judged.declaration.version_number
                        history.owners.setdefault(judged.declaration.transaction_number, judged.declaration.importer.id)
        yield generated, found


def batch_with(fault_label: str, reference, seed: int):
    return generate_submissions(
        cads=8, seed=seed, reference=reference, start=date(2025, 5, 5), days=2, providers=2, cads_per_file=2,
        invalid_rate=0.01, faults=[fault_label], ledger_faults=True, max_file_bytes=SIZE_LIMIT, amend_rate=0,
    )


ALL_FAULTS = catalogue(ledger=True, oversize=True)


@pytest.mark.parametrize("fault", ALL_FAULTS, ids=[f.label for f in ALL_FAULTS])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_fault_draws_exactly_its_code(reference, fault, seed):
    batch = batch_with(fault.label, reference, seed)
    faulty = [f for f in batch.files if f.faults]
    assert [f.faults for f in faulty] == [(fault.label,)]
    assert faulty[0].expected_codes == {fault.code}
    if fault.syntax is not None:
        assert faulty[0].syntax == fault.syntax
    for generated, found in judge(batch, reference, ledger=False):
        assert found == generated.expected_codes - generated.ledger_codes, generated.faults
    for generated, found in judge(batch, reference, ledger=True):
        assert found == generated.expected_codes, generated.faults


def test_ledger_faults_are_marked_as_needing_the_ledger(reference):
    for label in ("S13:reused-reference", "B04:skipped-version", "B05:unknown-original"):
        (faulty,) = [f for f in batch_with(label, reference, 3).files if f.faults]
        assert faulty.ledger_codes == faulty.expected_codes == {label[:3]}
    (faulty,) = [f for f in batch_with("B22:no-reason", reference, 3).files if f.faults]
    assert faulty.ledger_codes == frozenset()


def test_a_mixed_batch_with_many_faults_is_judged_as_recorded(reference):
    batch = generate_submissions(cads=200, seed=9, reference=reference, start=date(2025, 2, 3), days=3,
                                 invalid_rate=0.3, ledger_faults=True, max_file_bytes=SIZE_LIMIT, amend_rate=0.05)
    per_declaration = 0
    for generated, found in judge(batch, reference, ledger=True):
        assert found == generated.expected_codes, (generated.path, generated.faults)
        per_declaration += sum(1 for _, c in generated.declaration_codes if c)
    assert per_declaration >= 50


def test_a_fault_the_format_cannot_carry_is_refused(reference):
    with pytest.raises(ValueError, match="S09"):
        generate_submissions(cads=5, seed=1, reference=reference, start=date(2025, 5, 5), format="edifact",
                             invalid_rate=0.5, faults=["S09"])
