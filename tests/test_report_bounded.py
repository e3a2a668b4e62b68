"""``carm validate --json`` stays proportional to the file: a declaration of a rejected file repeats its file's
errors one per code (saying how many more there are), never every fault of the file."""

from __future__ import annotations

import json

from tests.test_intake_support import cad, edifact


def test_a_file_of_many_messages_and_many_faults_does_not_repeat_every_fault(tmp_path, carm) -> None:  # noqa: ANN001
    good = edifact(*(cad(index=i) for i in range(1, 201))).decode("latin-1")
    # 300 faults of the same code: text outside UNOA's repertoire in 300 descriptions, and one S06 (trailer reference).
    broken = good.replace("UNOC:3", "UNOA:3").replace("Tricycles", "tricycles", 300).replace("UNZ+200+ICR000017", "UNZ+200+OTHER")
    path = tmp_path / "many.edi"
    path.write_text(broken, encoding="latin-1")
    code, out, _ = carm("validate", "--json", str(path))
    assert code == 1
    document = json.loads(out)
    (entry,) = document["files"]
    file_codes = {e["code"] for e in entry["errors"]}
    assert len(entry["errors"]) > 100 and {"S08", "S06"} <= file_codes
    assert len(document["declarations"]) == 200
    for declaration in document["declarations"]:
        repeated = [e for e in declaration["errors"] if e["code"] in file_codes]
        assert sorted(e["code"] for e in repeated) == sorted(file_codes)
        (s08,) = [e for e in repeated if e["code"] == "S08"]
        assert f"and {sum(e['code'] == 'S08' for e in entry['errors']) - 1:,} more S08 errors of this file" in s08["message"]
    assert len(out) < 200 * 2_000 + 400_000


def test_a_rejected_file_of_thousands_of_empty_messages_stays_bounded() -> None:
    """Past the cap, the declarations of a file rejected as a whole are not judged further: the findings kept (and
    so the stored outcome, the JSON and the memory) do not grow with the number of messages."""
    import tracemalloc

    from pipeline.checking import check_bytes
    from pipeline.commands.common import validation_context
    from pipeline.findings import MAX_FINDINGS

    context = validation_context("2025-05-06", None, None)
    kept = {}
    for messages in (2_000, 8_000):
        body = "".join(f"UNH+{i}+CUSDEC:D:96B:UN'UNT+2+{i}'" for i in range(1, messages + 1))
        data = f"UNB+UNOC:3+SP00042:ZZ+CBSACARM:ZZ+250505:0930+ICR000017'{body}UNZ+{messages}+ICR000017'".encode()
        tracemalloc.start()
        verdict = check_bytes(data, "empty.edi", context).verdict
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak <= 20 * len(data), f"{messages} empty messages: peak {peak:,} bytes for {len(data):,}"
        assert verdict.file_rejected and len(verdict.declarations) == messages
        kept[messages] = len(verdict.file_findings) + sum(len(d.findings) for d in verdict.declarations)
    assert kept[8_000] == kept[2_000] <= MAX_FINDINGS + 20
