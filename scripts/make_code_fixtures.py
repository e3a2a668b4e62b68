"""Rebuild ``fixtures/codes/``: one small file per validation code a file can draw on its own, made by the
generator's targeted faults, laid out as ``<sender folder>/<code>-<variant>.<ext>`` with the ``registry.json`` of
their world. ``tests/test_cli_validate_codes.py`` runs ``carm validate --json`` on each and checks the code and its
location against the ``expected`` entries of ``index.json``. Those are NOT written by this script: after a
rebuild, run ``carm validate --json`` on each file, read every location against the file, and record it by hand.

Run: ``.venv/bin/python scripts/make_code_fixtures.py``.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from pipeline.generate import catalogue, generate_submissions
from pipeline.reference import load_reference

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "codes"
SIZE_LIMIT = 4_000  # S11: the fixture's CARM_MAX_FILE_BYTES


def main() -> None:
    reference = load_reference()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    registry = None
    index = []
    for number, fault in enumerate(catalogue(ledger=False, oversize=True)):
        batch = generate_submissions(
            cads=4, seed=100 + number, reference=reference, start=date(2025, 5, 5), days=2, providers=2,
            cads_per_file=2, invalid_rate=0.01, faults=[fault.label], amend_rate=0,
            max_file_bytes=SIZE_LIMIT if fault.code == "S11" else None,
        )
        (faulty,) = [f for f in batch.files if f.faults]
        suffix = ".edi" if faulty.syntax == "edifact" else ".xml"
        name = f"{fault.code}-{fault.variant}{suffix}"
        (OUT / faulty.sender).mkdir(exist_ok=True)
        (OUT / faulty.sender / name).write_bytes(faulty.data)
        index.append({"file": f"{faulty.sender}/{name}", "code": fault.code, "what": fault.what,
                      "business_date": faulty.business_date.isoformat(), "registry": f"registry-{number}.json"})
        (OUT / f"registry-{number}.json").write_text(json.dumps(batch.registry_document(), indent=1))
        registry = registry or batch.registry_document()
    (OUT / "index.json").write_text(json.dumps({"size_limit_for_S11": SIZE_LIMIT, "files": index}, indent=1))


if __name__ == "__main__":
    main()
