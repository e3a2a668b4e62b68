"""The repository's docs stand alone: a clone has nothing beside it, so every link must resolve inside it, the code
list must be the one the program uses, and the sample files must pass every check they claim to pass."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.findings import CODES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
USER_PAGES = [ROOT / "README.md", ROOT / "RELIABILITY.md", *sorted(DOCS.glob("*.md"))]
SAMPLES = DOCS / "samples"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", [p for p in USER_PAGES if p.exists()], ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_never_point_outside_the_repository(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text and "shared/spec" not in text
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        resolved = (page.parent / target).resolve()
        assert resolved.exists(), f"{page.name} links to {target}, which is not in the repository"
        assert ROOT in resolved.parents or resolved == ROOT, f"{page.name} links outside the repository: {target}"


def test_code_list_is_the_one_the_program_uses() -> None:
    listed = re.findall(r"^\| ([SABW]\d\d) \|", (DOCS / "codes.md").read_text(encoding="utf-8"), re.MULTILINE)
    assert listed == list(CODES), "docs/codes.md must list every code of pipeline.findings.CODES, in order"


@pytest.mark.parametrize("sample", ["cad-sample.edi", "cad-sample.xml"])
def test_samples_pass_every_check_with_the_sample_registry(carm, sample: str) -> None:
    code, out, err = carm(
        "validate", "--json", "--sender", "SP00042", "--registry", str(SAMPLES / "registry.json"), str(SAMPLES / sample)
    )
    assert code == 0, out + err
    declarations = json.loads(out)["declarations"]
    assert declarations and all(d["status"] == "accepted" and not d["errors"] for d in declarations)


def test_edifact_sample_gives_the_worked_example_of_the_docs(carm) -> None:
    code, out, err = carm(
        "assess", "--json", "--sender", "SP00042", "--registry", str(SAMPLES / "registry.json"),
        str(SAMPLES / "cad-sample.edi"),
    )
    assert code == 0, out + err
    first_line = json.loads(out)["declarations"][0]["lines"][0]
    # docs/assessment.md, "The worked example": MFN from China.
    assert (first_line["vfd"], first_line["customs_duty"], first_line["vft"], first_line["gst"], first_line["total"]) == (
        "1380.00", "110.40", "1490.40", "74.52", "184.92"
    )
