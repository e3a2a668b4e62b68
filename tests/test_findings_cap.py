"""A file lists at most 1,000 findings; the rest are counted in one summary finding per code (decisions.md).

The cap is applied where every file's findings meet, ``validate_submission``, so that ``carm validate --json``,
the intake answers and the stored findings are all bounded whatever the syntax.
"""

from __future__ import annotations

from collections import Counter

from pipeline.findings import MAX_FINDINGS, Finding
from pipeline.parsers import ParseResult
from pipeline.validate import validate_submission
from tests.model_samples import interchange, parse_result, valid_declaration, valid_line
from tests.validate_refdata import context


def bad_origin_lines(count: int) -> list:
    return [valid_line(number, origin="XX") for number in range(1, count + 1)]


def listed_and_summarised(findings: tuple[Finding, ...]) -> Counter:
    """How many findings of each code the list stands for: listed ones count 1, a summary counts its N."""
    total: Counter = Counter()
    for finding in findings:
        if finding.message.endswith("findings not listed"):
            total[finding.code] += int(finding.message.split(" more ")[0].replace(",", ""))
        else:
            total[finding.code] += 1
    return total


def test_file_findings_beyond_the_cap_become_one_summary_per_code() -> None:
    s12 = [Finding("S12", f"segment FOO{n} is unknown", f"FOO#{n}") for n in range(1, 1301)]
    s08 = [Finding("S08", f"character {n} outside UNOA", f"TXT#{n}") for n in range(1, 41)]
    verdict = validate_submission(ParseResult(None, (*s12, *s08)), context())
    findings = verdict.file_findings
    assert findings[:MAX_FINDINGS] == tuple(s12[:MAX_FINDINGS])
    assert [(f.code, f.message, f.location) for f in findings[MAX_FINDINGS:]] == [
        ("S12", "300 more S12 findings not listed", "FOO#1001"),
        ("S08", "40 more S08 findings not listed", "TXT#1"),
    ]
    assert verdict.file_rejected


def test_a_file_whose_declarations_have_thousands_of_findings_lists_at_most_1000_plus_summaries() -> None:
    declarations = [valid_declaration(index=i, lines=bad_origin_lines(400)) for i in (1, 2, 3, 4)]
    verdict = validate_submission(parse_result(*declarations), context())
    per_declaration = [d.findings for d in verdict.declarations]
    listed = [f for findings in per_declaration for f in findings if not f.message.endswith("not listed")]
    assert len(listed) == MAX_FINDINGS
    # Every declaration still stands for all of its findings, and is still rejected with its code.
    for findings in per_declaration:
        assert listed_and_summarised(findings) == Counter({"B08": 400})
    assert all(d.errors for d in verdict.declarations)
    assert [len(findings) for findings in per_declaration] == [400, 400, 201, 1]
    summary = per_declaration[3][0]
    assert summary.message == "400 more B08 findings not listed"
    assert summary.location == "/DocumentMetaData/Declaration[4]/GoodsShipment/GovernmentAgencyGoodsItem[1]" \
        "/Origin/CountryCode"
    assert summary.message_reference == "4"


def test_file_findings_spend_the_budget_before_the_declarations() -> None:
    s12 = tuple(Finding("S12", f"segment FOO{n} is unknown", f"FOO#{n}") for n in range(1, 1000))
    result = ParseResult(interchange(valid_declaration(lines=bad_origin_lines(3))), s12)
    verdict = validate_submission(result, context())
    assert verdict.file_findings == s12
    findings = verdict.declarations[0].findings
    assert [f.code for f in findings] == ["B08", "B08"]
    assert '"XX"' in findings[0].message
    assert findings[1].message == "2 more B08 findings not listed"


def test_a_single_finding_past_the_cap_is_kept_as_it_is_rather_than_summarised() -> None:
    # 999 B08 and one B07 spend the budget; the next declaration's one B08 is past the cap.
    first = valid_declaration(index=1, lines=bad_origin_lines(999), office="04X7")
    second = valid_declaration(index=2, lines=bad_origin_lines(1))
    verdict = validate_submission(parse_result(first, second), context())
    assert len(verdict.declarations[0].findings) == MAX_FINDINGS
    [b08] = verdict.declarations[1].findings
    assert b08.code == "B08" and '"XX"' in b08.message


def test_declarations_of_a_rejected_file_past_the_cap_are_rejected_by_its_errors_alone() -> None:
    s12 = tuple(Finding("S12", f"segment FOO{n} is unknown", f"FOO#{n}") for n in range(1, 1001))
    result = ParseResult(interchange(valid_declaration(lines=bad_origin_lines(1))), s12)
    verdict = validate_submission(result, context())
    assert verdict.file_rejected and verdict.declarations[0].findings == ()
    assert not verdict.accepted(verdict.declarations[0])


def test_a_file_under_the_cap_is_untouched() -> None:
    declarations = [valid_declaration(index=i, lines=bad_origin_lines(300)) for i in (1, 2, 3)]
    verdict = validate_submission(parse_result(*declarations), context())
    assert [len(d.findings) for d in verdict.declarations] == [300, 300, 300]
    assert not any(f.message.endswith("not listed") for d in verdict.declarations for f in d.findings)
