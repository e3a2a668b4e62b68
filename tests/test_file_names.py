"""Inbound file names (SQLite and PostgreSQL, local folders and S3 on moto's server): a name no answer can be
written under, or that tools and people misread (too long, a backslash, control or invisible characters,
bytes that are not UTF-8, a leading '.' or '-', only whitespace), is quarantined with a reason that says what is
wrong with it; nothing dropped is silently ignored, and the files beside it are answered as usual."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.intake import run_intake
from pipeline.ledger import InboxState
from pipeline.runtime import Runtime
from pipeline.storage import layout
from pipeline.storage.layout import MAX_FILE_NAME_BYTES, file_name_problem
from tests.model_samples import SENDER
from tests.test_intake_support import cad, edifact, inbox_rows, make_runtime, outbound, transaction

AS_OF = "2025-05-06T17:00"
LONGEST = "a" * (MAX_FILE_NAME_BYTES - 4) + ".edi"


@pytest.mark.parametrize(("name", "problem"), [
    ("cads-0001.edi", None),
    ("déclaration 7.xml", None),
    (LONGEST, None),
    ("a" * 221 + ".edi", f"at most {MAX_FILE_NAME_BYTES}"),
    ("é" * 101 + ".edi", f"at most {MAX_FILE_NAME_BYTES}"),  # bytes, not characters
    ("back\\slash.edi", "backslash"),
    ("tab\there.edi", "U+0009"),
    ("nul\x00.edi", "U+0000"),
    ("bell\x7f.edi", "U+007F"),
    ("rtl\u202efdp.edi", "U+202E"),
    ("caf\udce9.edi", "not valid UTF-8"),  # how a local file system's Latin-1 byte reaches Python
    ("caf\ufffd.edi", "not valid UTF-8"),
    (".hidden.edi", "starts with '.'"),
    ("..", "starts with '.'"),
    ("-rf.edi", "starts with '-'"),
    ("   ", "whitespace"),
    (" lead.edi", "whitespace"),
    ("trail.edi ", "whitespace"),
    ("", "empty"),
])
def test_file_name_rules(name: str, problem: str | None) -> None:
    found = file_name_problem(name)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_the_longest_name_leaves_room_for_answer_suffixes_and_partial_writes() -> None:
    keys = layout.response_keys(SENDER, LONGEST)
    longest_answer = max(len(key.rpartition("/")[2].encode()) for key in (keys.contrl, keys.cusres, keys.xml))
    partial = len(f".{'x' * longest_answer}.abcdefgh.partial".encode())
    assert partial <= 255  # NAME_MAX of local file systems


@pytest.fixture(params=["local", "s3"])
def runtime(request: pytest.FixtureRequest, ledger_url: str, tmp_path: Path) -> Iterator[Runtime]:
    environ: dict[str, str] = {}
    if request.param == "s3":
        client = request.getfixturevalue("s3_client")
        for role in ("inbound", "outbound", "archive"):
            name = f"{request.getfixturevalue('s3_bucket')}-{role}"
            client.create_bucket(Bucket=name)
            environ[f"CARM_{role.upper()}_URL"] = f"s3://{name}"
        environ["AWS_ENDPOINT_URL"] = request.getfixturevalue("s3_endpoint")
    runtime = make_runtime(tmp_path / "home", ledger_url, **environ)
    yield runtime
    runtime.engine.dispose()


def put(runtime: Runtime, key: str, data: bytes) -> None:
    """Drop a file as a sender would: S3 takes any key; a local folder any name its file system takes."""
    inbound = runtime.buckets.inbound
    if hasattr(inbound, "root"):
        path = os.path.join(os.fsencode(inbound.root), *(os.fsencode(part) for part in key.split("/")))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    else:
        inbound._client.put_object(Bucket=inbound._bucket, Key=key, Body=data)  # noqa: SLF001 - a sender's upload


BAD_NAMES = {
    "a" * 221 + ".edi": f"at most {MAX_FILE_NAME_BYTES}",
    "back\\slash.edi": "backslash",
    "tab\there.edi": "U+0009",
    "rtl\u202efdp.edi": "U+202E",
    ".hidden.edi": "starts with '.'",
    "-rf.edi": "starts with '-'",
    "   ": "whitespace",
}


def test_odd_names_are_quarantined_with_their_reason_and_the_others_answered(runtime: Runtime) -> None:
    local = hasattr(runtime.buckets.inbound, "root")
    bad = {f"{SENDER}/{name}": problem for name, problem in BAD_NAMES.items()}
    bad["X" * 40 + "/a.edi"] = "not a registered service provider"  # longer than the ledger holds a sender id
    bad[".hidden-folder/a.edi"] = "not a registered service provider"
    if local:
        bad[f"{SENDER}/caf\udce9.edi"] = "not valid UTF-8"  # a Latin-1 name on a UTF-8 file system
        bad["/".join(["d" * 200] * 6) + "/deep.edi"] = "not inside a sender folder"
    for number, key in enumerate(bad, 10):
        put(runtime, key, edifact(cad(number=transaction(number)), reference=f"ICR{number:06d}"))
    put(runtime, f"{SENDER}/{LONGEST}", edifact(cad(number=transaction(1)), reference="ICR000001"))

    summary = run_intake(runtime, as_of=AS_OF)
    assert summary.files == 1
    # The registered sender's files get no answer: each is reported as set aside (carm intake exits 1).
    mine = {key for key in bad if key.startswith(f"{SENDER}/")}
    assert all(f.quarantined and not f.retryable for f in summary.failures)
    assert len(summary.failures) == len(mine)
    assert {f.key for f in summary.failures if f.key in bad} == {key for key in mine if key in quarantined_keys(runtime)}
    assert f"{SENDER}/responses/{LONGEST}.cusres.edi" in outbound(runtime)
    rows = inbox_rows(runtime)
    quarantined = {row.key: row.reason for row in rows if row.state is InboxState.QUARANTINED}
    assert len(quarantined) == len(bad) == summary.quarantined
    stored_otherwise = [reason for key, reason in quarantined.items() if key not in bad]
    for key, problem in bad.items():
        if key in quarantined:
            assert problem in quarantined[key], (key, quarantined[key])
        else:  # bytes that are not UTF-8, a very long path: the inbox holds a readable form of the key
            assert any(problem in reason for reason in stored_otherwise), (key, stored_otherwise)
    assert [info.key for info in runtime.buckets.inbound.list()] == []
    assert run_intake(runtime, as_of=AS_OF).quarantined == 0


def test_the_local_stores_own_partial_writes_are_never_taken(ledger_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path / "home", ledger_url)
    partial = Path(runtime.buckets.inbound.root) / SENDER / ".cads.edi.k3x9_a2q.partial"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"UNA:+.? 'UNB+UNOC:3+SP00042")  # a write killed midway
    summary = run_intake(runtime, as_of=AS_OF)
    assert (summary.files, summary.quarantined, inbox_rows(runtime)) == (0, 0, []) and partial.exists()
    runtime.engine.dispose()


def test_a_partial_file_left_for_an_hour_is_quarantined_like_any_dot_file(ledger_url: str, tmp_path: Path) -> None:
    """A sender's file named like a partial write, or the leftover of a writer killed long ago, is not hidden for
    ever: once older than any write in progress, it is listed and quarantined by its leading dot."""
    runtime = make_runtime(tmp_path / "home", ledger_url)
    partial = Path(runtime.buckets.inbound.root) / SENDER / ".x.edi.abcdefgh.partial"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"UNA:+.? 'UNB+UNOC:3+SP00042")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(partial, (two_hours_ago, two_hours_ago))
    assert run_intake(runtime, as_of=AS_OF).quarantined == 1
    assert quarantined_keys(runtime) == {f"{SENDER}/.x.edi.abcdefgh.partial"}
    runtime.engine.dispose()


def quarantined_keys(runtime: Runtime) -> set[str]:
    return {row.key for row in inbox_rows(runtime) if row.state is InboxState.QUARANTINED}
