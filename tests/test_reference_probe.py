"""A file that names another sender (A03) learns nothing of that sender's interchanges: it is answered the same
whether or not the control reference it names was already used (never S13, issue 12: nothing of another
tenant is revealed)."""

from __future__ import annotations

import json

from tests.model_samples import IMPORTER, SENDER
from tests.test_cli_intake import drop, registered
from tests.test_intake_support import cad, edifact

OTHER = "SP00666"


def test_a_wrong_folder_file_gets_a03_whether_or_not_the_reference_was_used(carm) -> None:  # noqa: ANN001
    registered(carm)
    assert carm("registry", "add-provider", OTHER, "--name", "Someone Else")[0] == 0
    drop(carm, f"{SENDER}/real.edi", edifact(cad(), reference="SECRETREF1"))
    assert carm("intake", "--as-of", "2025-05-06T10:00")[0] == 0

    drop(carm, f"{OTHER}/used.edi", edifact(cad(value="5.00"), reference="SECRETREF1", sender=SENDER))
    drop(carm, f"{OTHER}/unused.edi", edifact(cad(value="5.00"), reference="NOSUCHREF", sender=SENDER))
    code, out, err = carm("intake", "--json", "--as-of", "2025-05-06T11:00")
    assert code in (0, 1), err
    assert json.loads(out)["declarations"]["accepted"] == 0
    responses = carm.home / "buckets" / "outbound" / OTHER / "responses"
    used = (responses / "used.edi.contrl.edi").read_text(encoding="latin-1")
    unused = (responses / "unused.edi.contrl.edi").read_text(encoding="latin-1")

    def verdict(contrl: str, reference: str) -> str:
        uci = next(segment for segment in contrl.split("'") if segment.strip().startswith("UCI"))
        return uci.strip().replace(reference, "<ref>")

    assert verdict(used, "SECRETREF1") == verdict(unused, "NOSUCHREF")
    assert IMPORTER not in used
