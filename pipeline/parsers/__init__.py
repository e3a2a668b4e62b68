"""Readers: bytes of a submitted file → the canonical model (``pipeline.model``) plus syntax findings.

``read_submission`` sniffs the syntax and dispatches; S codes found while reading come back as findings, never
as exceptions. A result with S findings rejects the whole file (spec/codes.md); its ``interchange`` may still be
present when the content could be read, so that a service provider sees every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.findings import Finding
from pipeline.model import Interchange
from pipeline.parsers.records import LineRecords

DEFAULT_MAX_BYTES = 50 * 1024 * 1024  # S11 limit (spec/codes.md: default 50 MiB)


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What a reader made of a file: its model (None when it could not be read), the syntax findings, and what the
    assessment frame reads of its declarations (``records``, recorded as the reader built them; None without an
    interchange)."""

    interchange: Interchange | None
    findings: tuple[Finding, ...] = ()
    records: LineRecords | None = None

    @property
    def syntax_ok(self) -> bool:
        return self.interchange is not None and not any(not f.is_warning for f in self.findings)


# Codec, byte order mark, code unit, name; UTF-32 first (the UTF-32-LE mark starts with the UTF-16-LE one).
_WIDE_ENCODINGS = (
    ("utf-32-le", b"\xff\xfe\x00\x00", 4, "UTF-32 (little-endian)"),
    ("utf-32-be", b"\x00\x00\xfe\xff", 4, "UTF-32 (big-endian)"),
    ("utf-16-le", b"\xff\xfe", 2, "UTF-16 (little-endian)"),
    ("utf-16-be", b"\xfe\xff", 2, "UTF-16 (big-endian)"),
)


def wide_encoding(data: bytes) -> str | None:
    """"UTF-16 (…)" or "UTF-32 (…)" when the file, after any byte order mark, reads in that encoding as blanks and
    then '<' (as XML 1.0 appendix F detects it), else None. Text in UTF-8 has no NUL byte there."""
    for codec, mark, unit, name in _WIDE_ENCODINGS:
        head = data.removeprefix(mark)[:64]
        if b"\x00" in head and head[: len(head) - len(head) % unit].decode(codec, "replace").lstrip(
            " \t\r\n"
        ).startswith("<"):
            return name
    return None


def sniff(data: bytes) -> str | None:
    """``"edifact"``, ``"xml"`` or None, from the first meaningful bytes. XML in UTF-16 or UTF-32 is XML (which
    the XML reader refuses as S08, naming the encoding), not an unknown format."""
    if wide_encoding(data):
        return "xml"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"UNA", b"UNB")):
        return "edifact"
    if head.startswith(b"<"):
        return "xml"
    # Tolerate a junk line before UNA/UNB (seen with some mailbox software), but only a short one.
    for marker in (b"UNA", b"UNB"):
        at = head.find(marker)
        if 0 < at < 256:
            return "edifact"
    return None


def read_submission(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParseResult:
    if len(data) > max_bytes:
        return ParseResult(
            None,
            (Finding("S11", f"file is {len(data):,} bytes, over the limit of {max_bytes:,} bytes", "file"),),
        )
    syntax = sniff(data)
    if syntax == "edifact":
        from pipeline.parsers.edifact import parse_edifact

        return parse_edifact(data)
    if syntax == "xml":
        from pipeline.parsers.xml import parse_xml

        return parse_xml(data)
    from pipeline.parsers.unreadable import describe_unreadable

    return ParseResult(None, (Finding("S01", describe_unreadable(data), "file"),))
