"""``carm validate`` and ``carm assess`` warn of late accounting (W02) as intake would, on the day the file would
be accepted (``--as-of``): a provider learns of the $100 penalty before sending."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parent.parent / "docs" / "samples" / "cad-sample.edi"  # released 2025-05-05


def _warnings(document: dict) -> list[str]:
    return [w["code"] for d in document["declarations"] for w in d["warnings"]]


@pytest.mark.parametrize("command", ["validate", "assess"])
def test_w02_when_the_business_date_is_more_than_5_business_days_after_release(carm, command: str) -> None:
    code, out, err = carm(command, "--json", "--as-of", "2025-05-13", str(SAMPLE))  # the 6th business day after
    assert code == 0, err
    assert _warnings(json.loads(out)) == ["W02"]
    code, out, _ = carm(command, "--json", "--as-of", "2025-05-12", str(SAMPLE))  # the 5th: on time
    assert code == 0 and _warnings(json.loads(out)) == []


def test_a_change_is_never_late(carm, tmp_path: Path) -> None:
    change = SAMPLE.read_text(encoding="latin-1").replace("10207000002945:00001+9'", "10207000002945:00002+4'")
    change = change.replace("NAD+IM+", "RFF+ACD:C01'\nNAD+IM+").replace("UNT+30+1", "UNT+31+1")
    path = tmp_path / "change.edi"
    path.write_text(change, encoding="latin-1")
    code, out, err = carm("validate", "--json", "--as-of", "2025-06-30", str(path))
    assert code == 0, out + err
    assert _warnings(json.loads(out)) == []
