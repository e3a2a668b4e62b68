"""A real file through the reader and validation: the findings a service provider would get back."""

from __future__ import annotations

from pathlib import Path

from pipeline.parsers import read_submission
from pipeline.validate import validate_submission
from tests.validate_refdata import context, registry

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "validate"


def test_clvs_edifact_file_with_business_faults() -> None:
    result = read_submission((FIXTURES / "clvs-faults.edi").read_bytes())
    verdict = validate_submission(result, context(registry=registry(), sender_folder="SP00042"))
    assert verdict.file_findings == ()
    [declaration] = verdict.declarations
    found = {(f.code, f.line, f.location) for f in declaration.findings}
    assert found == {
        ("B15", 1, "MOA#21"),  # the filer's CUD amount "110.4x"
        ("B13", 2, "MEA#25"),  # tricycles declared in KGM
        ("B20", 0, "CNT#28"),  # CNT says 3 lines, the message has 2
        ("B21", 2, "CST#22"),  # line 2 of a CLVS CAD without a cargo control number
        ("B21", 1, "RFF#19"),  # US$3,000.00 x 1.3800 = C$4,140.00, over C$3,300
    }
    messages = " | ".join(f.message for f in declaration.findings)
    assert '"110.4x"' in messages and '"KGM"' in messages and '"3"' in messages and '"ABCD1234567"' in messages
    assert not verdict.accepted(declaration)
