"""A file that is neither EDIFACT nor XML (S01) is described in words a sender can act on: empty, blanks only,
an archive or document sent instead of the CAD, UTF-16 text, binary data (as hex), or the start of its text."""

from __future__ import annotations

import pytest

from pipeline.parsers import read_submission

CASES = [
    (b"", "the file is empty (0 bytes)"),
    (b"  \r\n\t ", "the file holds only blanks (6 bytes)"),
    (b"PK\x03\x04\x14\x00\x00\x00", "the file is a ZIP archive, not a CAD"),
    (b"%PDF-1.7\n%\xe2\xe3", "the file is a PDF document, not a CAD"),
    ("\ufeffUNB+UNOC:3+SP00042:ZZ+CBSACARM:ZZ'".encode("utf-16-le"), "an EDIFACT interchange in UTF-16"),
    ("UNB+UNOC:3+SP00042:ZZ+CBSACARM:ZZ'".encode("utf-16-be"), "an EDIFACT interchange in UTF-16"),
    (bytes(range(256)), "binary data (it starts with bytes 00 01 02 03"),
    (b"payment_id,importer,amount\n1,2,3\n", 'starts with \"payment_id,importer,amou\"…'),
]


@pytest.mark.parametrize(("data", "words"), CASES)
def test_s01_says_what_the_file_is(data: bytes, words: str) -> None:
    (finding,) = read_submission(data).findings
    assert finding.code == "S01"
    assert words in finding.message
    assert finding.message.isprintable(), "raw control characters never reach the sender"
