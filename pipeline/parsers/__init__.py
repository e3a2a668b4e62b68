"""Readers: bytes of a submitted file → the canonical model (``pipeline.model``) plus syntax findings.

``read_submission`` sniffs the syntax and dispatches; S codes found while reading come back as findings, never
as exceptions. A result with S findings rejects the whole file (spec/codes.md); its ``interchange`` may still be
present when the content could be read, so that a service provider sees every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.findings import Finding
from pipeline.model import Interchange

DEFAULT_MAX_BYTES = 50 * 1024 * 1024  # S11 limit (spec/codes.md: default 50 MiB)


@dataclass(frozen=True, slots=True)
class ParseResult:
    interchange: Interchange | None
    findings: tuple[Finding, ...] = ()

    @property
    def syntax_ok(self) -> bool:
        return self.interchange is not None and not any(not f.is_warning for f in self.findings)


def sniff(data: bytes) -> str | None:
    """``"edifact"``, ``"xml"`` or None, from the first meaningful bytes."""
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
    preview = data[:20].decode("latin-1")
    return ParseResult(
        None, (Finding("S01", f"file starts with {preview!r}: neither an EDIFACT interchange nor XML", "file"),)
    )
