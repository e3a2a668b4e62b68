"""The bucket layout of spec/interfaces.md, key by key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from pipeline.storage import InvalidKey, check_key, open_store
from pipeline.storage.layout import (
    ArchivedFile,
    InboundFile,
    ResponseKeys,
    archive_day_prefix,
    archive_key,
    broker_statement_key,
    daily_notice_key,
    finance_key,
    inbound_key,
    parse_archive_key,
    parse_inbound_key,
    quarantine_key,
    response_keys,
    statement_key,
)

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
BN15 = "123456782RM0001"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("SP00042/cads-0001.edi", InboundFile("SP00042", "cads-0001.edi")),
        ("SP00042/déclaration 7.xml", InboundFile("SP00042", "déclaration 7.xml")),
        ("loose.edi", None),  # not inside any sender folder
        ("SP00042/sub/cads.edi", None),  # nested below the sender folder
        ("SP00042/responses/cads.edi.contrl.edi", None),
        ("SP00042/.partial.edi", None),
        (".hidden/cads.edi", None),
        ("SP00042//cads.edi", None),
        ("/cads.edi", None),
    ],
)
def test_inbound_keys_name_a_sender_and_a_file_or_nothing(key: str, expected: InboundFile | None) -> None:
    assert parse_inbound_key(key) == expected


def test_inbound_key_round_trips() -> None:
    assert parse_inbound_key(inbound_key("SP00042", "a.edi")) == InboundFile("SP00042", "a.edi")


def test_archive_key_is_the_receipt_date_and_the_hash() -> None:
    assert archive_key(date(2025, 6, 3), SHA) == f"2025/06/03/{SHA}"
    assert parse_archive_key(f"2025/06/03/{SHA}") == ArchivedFile(date(2025, 6, 3), SHA)
    assert archive_day_prefix(date(2025, 6, 3)) == "2025/06/03/"
    assert archive_key(date(2025, 6, 3), SHA).startswith(archive_day_prefix(date(2025, 6, 3)))


@pytest.mark.parametrize("key", [f"quarantine/2025/06/03/{SHA}", f"2025/13/03/{SHA}", "2025/06/03/abc", f"2025/6/3/{SHA}"])
def test_other_archive_objects_are_not_archived_submissions(key: str) -> None:
    assert parse_archive_key(key) is None


@pytest.mark.parametrize("digest", [SHA.upper(), SHA[:-1], SHA + "0", "", "../" + SHA[3:]])
def test_archive_keys_need_a_lowercase_sha256(digest: str) -> None:
    with pytest.raises(InvalidKey):
        archive_key(date(2025, 6, 3), digest)


def test_quarantine_sits_beside_the_archive_days() -> None:
    assert quarantine_key(date(2025, 12, 31), SHA) == f"quarantine/2025/12/31/{SHA}"


def test_answers_go_to_the_sender_responses_folder() -> None:
    assert response_keys("SP00042", "cads-0001.edi") == ResponseKeys(
        "SP00042/responses/cads-0001.edi.contrl.edi",
        "SP00042/responses/cads-0001.edi.cusres.edi",
        "SP00042/responses/cads-0001.edi.response.xml",
    )


def test_importer_broker_and_finance_outputs() -> None:
    assert daily_notice_key(BN15, date(2025, 6, 3)) == f"importers/{BN15}/daily-notices/2025-06-03.xml"
    assert [statement_key(BN15, "2025-06", ext) for ext in ("xml", "csv", "pdf")] == [
        f"importers/{BN15}/statements/2025-06.xml",
        f"importers/{BN15}/statements/2025-06.csv",
        f"importers/{BN15}/statements/2025-06.pdf",
    ]
    assert broker_statement_key("123456782", "2025-06") == "brokers/123456782/statements/2025-06.xml"
    assert finance_key("2025-06", "reconciliation.csv") == "finance/2025-06/reconciliation.csv"
    assert finance_key("2025-06", "reconciliation.html") == "finance/2025-06/reconciliation.html"


@pytest.mark.parametrize(
    "build",
    [
        lambda: statement_key(BN15, "2025-06", "docx"),
        lambda: statement_key(BN15, "2025-13", "xml"),
        lambda: statement_key(BN15, "2025-6", "xml"),
        lambda: statement_key("123456782", "2025-06", "xml"),  # a BN9 is not a program account
        lambda: daily_notice_key("../../etc", date(2025, 6, 3)),
        lambda: broker_statement_key(BN15, "2025-06"),
        lambda: finance_key("2025-06", "../x.csv"),
        lambda: response_keys("SP1/..", "a.edi"),
        lambda: response_keys("SP1", ".a.edi"),
        lambda: inbound_key("", "a.edi"),
    ],
)
def test_malformed_parts_never_become_keys(build: Callable[[], str]) -> None:
    with pytest.raises(InvalidKey):
        build()


def test_every_layout_key_is_a_valid_store_key(tmp_path: Path) -> None:
    store = open_store(tmp_path.as_uri())
    answers = response_keys("SP00042", "a.edi")
    keys = [
        inbound_key("SP00042", "a.edi"), archive_key(date(2025, 1, 2), SHA), quarantine_key(date(2025, 1, 2), SHA),
        answers.contrl, answers.cusres, answers.xml, daily_notice_key(BN15, date(2025, 1, 2)),
        statement_key(BN15, "2025-01", "pdf"), broker_statement_key("123456782", "2025-01"),
        finance_key("2025-01", "reconciliation.csv"),
    ]
    for key in keys:
        assert check_key(key) == key
        store.write(key, key.encode())
    assert sorted(o.key for o in store.list()) == sorted(keys)
