"""The readers record what the assessment frame reads of each line as they build it (``ParseResult.records``):
exactly what ``records_of`` would record from the declarations they return, for every fixture, generated
interchanges in both syntaxes, valid or not, and files whose messages the reader skips."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.generate import generate_submissions
from pipeline.parsers import read_submission
from pipeline.parsers.records import CODE_FIELDS, DECLARATION_TEXTS, records_of
from pipeline.reference import load_reference

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FILES = sorted(path for path in FIXTURES.rglob("*") if path.suffix in (".edi", ".xml"))
REFERENCE = load_reference()


def _assert_recorded(data: bytes) -> None:
    result = read_submission(data)
    if result.interchange is None:
        assert result.records is None
        return
    declarations = result.interchange.declarations
    records = result.records
    assert records == records_of(declarations)
    lines = [line for declaration in declarations for line in declaration.lines]
    assert records.line_counts.tolist() == [len(declaration.lines) for declaration in declarations]
    assert [records.header_keys[code] for code in records.header_codes] == [
        tuple(getattr(d, name) for name in DECLARATION_TEXTS) for d in declarations]
    assert len(records.header_keys) == len(set(records.header_keys))
    assert [records.keys[code] for code in records.codes] == [
        tuple(getattr(line, name) for name in CODE_FIELDS) for line in lines]
    assert len(records.keys) == len(set(records.keys))
    assert records.line_numbers.tolist() == [line.line_number for line in lines]
    assert (records.quantities, records.values) == ([line.quantity for line in lines], [line.value for line in lines])
    assert records.cargo_controls == [line.cargo_control for line in lines]
    filed = [(row, index, amount) for row, line in enumerate(lines) for index, amount in enumerate(line.filer_amounts)]
    assert records.filer_rows.tolist() == [row for row, _, _ in filed]
    assert records.filer_indexes.tolist() == [index for _, index, _ in filed]
    assert records.filer_charges == [amount.charge_type for _, _, amount in filed]
    assert records.filer_texts == [amount.amount for _, _, amount in filed]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_every_fixture_is_recorded_as_read(path: Path) -> None:
    _assert_recorded(path.read_bytes())


@pytest.mark.parametrize("syntax", ["edifact", "xml"])
@pytest.mark.parametrize("invalid", [0.0, 0.5])
def test_generated_files_are_recorded_as_read(syntax: str, invalid: float) -> None:
    batch = generate_submissions(cads=40, seed=7, reference=REFERENCE, start=date(2025, 3, 3), format=syntax, days=1,
                                 providers=2, cads_per_file=10, amend_rate=0.2, invalid_rate=invalid)
    assert len(batch.files) >= 4
    for generated in batch.files:
        _assert_recorded(generated.data)


def test_a_message_the_reader_skips_leaves_no_lines_behind() -> None:
    data = (FIXTURES / "edifact" / "clean_two_messages.edi").read_bytes()
    first = data.index(b"UNH+")
    skipped = data[:first] + data[first:].replace(b"CUSDEC:D:96B", b"CUSDEC:D:01B", 1)
    result = read_submission(skipped)
    assert any(finding.code == "S07" for finding in result.findings)
    assert result.interchange is not None and len(result.interchange.declarations) == 1
    assert result.records == records_of(result.interchange.declarations)


@pytest.mark.parametrize("number", ["00012", "0", "123456", "0000000000000000000003", "1.5", "", "1A", "99999"])
def test_line_numbers_are_recorded_as_line_number_reads_them(number: str) -> None:
    """The EDIFACT reader records the number it read for findings where that is the line number, and asks
    ``Line.line_number`` otherwise (long, zero, empty or not 0-9)."""
    data = (FIXTURES / "edifact" / "clean_two_messages.edi").read_bytes()
    result = read_submission(data.replace(b"CST+1+", f"CST+{number}+".encode(), 1))
    assert result.interchange is not None
    lines = [line for declaration in result.interchange.declarations for line in declaration.lines]
    assert lines[0].number == number
    assert result.records.line_numbers.tolist() == [line.line_number for line in lines]
