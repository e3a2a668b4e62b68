"""Properties over generated CADs: whatever the seed, a valid CAD validates clean in both syntaxes, one targeted
mutation is caught with exactly its code, and a CAD survives EDIFACT → model → XML → model (and back)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.generate import catalogue, generate_submissions
from pipeline.model import Declaration, Line, Party
from pipeline.parsers import read_submission
from pipeline.reference import load_reference
from pipeline.validate import ValidationContext, validate_submission
from pipeline.writers import edifact as edifact_writer
from pipeline.writers import xml as xml_writer

REFERENCE = load_reference()
FAULTS = catalogue(ledger=False, oversize=False)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def batch(seed: int, syntax: str, **options):
    return generate_submissions(
        cads=options.pop("cads", 4), seed=seed, reference=REFERENCE, start=date(2025, 3, 3), format=syntax,
        days=2, providers=options.pop("providers", 2), cads_per_file=2, amend_rate=0, **options,
    )


def findings_of(generated, registry) -> set[str]:
    verdict = validate_submission(
        read_submission(generated.data),
        ValidationContext(REFERENCE, generated.business_date, generated.sender, registry),
    )
    codes = {f.code for f in verdict.file_findings}
    return codes | {f.code for judged in verdict.declarations for f in judged.findings}


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), syntax=st.sampled_from(["edifact", "xml"]))
def test_every_generated_valid_cad_validates_clean(seed, syntax):
    generated_batch = batch(seed, syntax)
    for generated in generated_batch.files:
        assert findings_of(generated, generated_batch.registry) == set(), generated.path


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), fault=st.sampled_from(FAULTS))
def test_one_targeted_mutation_is_caught_with_its_code(seed, fault):
    syntax = fault.syntax or "mixed"
    # A fault that changes an earlier CAD needs an earlier file of the same sender: one sender, three files.
    options = {"providers": 1, "cads": 6} if fault.earlier else {}
    generated_batch = batch(seed, syntax, invalid_rate=0.01, faults=[fault.label], **options)
    (faulty,) = [f for f in generated_batch.files if f.faults]
    assert findings_of(faulty, generated_batch.registry) == {fault.code}


def comparable(declaration: Declaration) -> Declaration:
    """The declaration without what only one syntax carries (places, message references, the EDIFACT count, the
    XML per-amount currency)."""

    def party(p: Party | None) -> Party | None:
        return None if p is None else dataclasses.replace(p, location="", where={})

    def line(item: Line) -> Line:
        amounts = tuple(dataclasses.replace(a, location="", currency=None) for a in item.filer_amounts)
        return dataclasses.replace(item, location="", where={}, value_currency=None, filer_amounts=amounts)

    return dataclasses.replace(
        declaration, location="", where={}, message_reference=None, declared_line_count=None,
        importer=party(declaration.importer), broker=party(declaration.broker), vendor=party(declaration.vendor),
        lines=tuple(line(item) for item in declaration.lines),
    )


def with_preparation_time(interchange):
    """XML carries no UNB preparation date/time; an EDIFACT interchange needs one."""
    return dataclasses.replace(interchange, prepared_at="250303:0930")


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_a_cad_survives_edifact_to_xml_and_back(seed):
    for generated in batch(seed, "edifact", cads=6).files:
        from_edifact = read_submission(generated.data).interchange
        as_xml = read_submission(xml_writer.write_interchange(from_edifact)).interchange
        assert [comparable(d) for d in as_xml.declarations] == [comparable(d) for d in from_edifact.declarations]
        back = read_submission(edifact_writer.write_interchange(with_preparation_time(as_xml), charset="UNOY")).interchange
        assert [comparable(d) for d in back.declarations] == [comparable(d) for d in from_edifact.declarations]
        assert (as_xml.sender, as_xml.control_reference) == (from_edifact.sender, from_edifact.control_reference)


@pytest.mark.parametrize("seed", [11, 12])
def test_a_cad_survives_xml_to_edifact_and_back(seed):
    for generated in batch(seed, "xml", cads=6).files:
        from_xml = read_submission(generated.data).interchange
        as_edifact = read_submission(
            edifact_writer.write_interchange(with_preparation_time(from_xml), charset="UNOY")
        ).interchange
        assert [comparable(d) for d in as_edifact.declarations] == [comparable(d) for d in from_xml.declarations]
