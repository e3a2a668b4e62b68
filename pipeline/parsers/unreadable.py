"""What to tell a sender whose file is neither an EDIFACT interchange nor XML (S01): what it looks like instead,
in words, never raw bytes printed as text."""

from __future__ import annotations

# Leading bytes of formats people send by mistake: an archive or a document instead of the CAD file itself.
_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive"), (b"\x1f\x8b", "a gzip archive"), (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "a Microsoft Office document"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"7z\xbc\xaf", "a 7-Zip archive"), (b"Rar!", "a RAR archive"),
)
_WIDE = (("utf-32-le", b"\xff\xfe\x00\x00", "UTF-32"), ("utf-32-be", b"\x00\x00\xfe\xff", "UTF-32"),
         ("utf-16-le", b"\xff\xfe", "UTF-16"), ("utf-16-be", b"\xfe\xff", "UTF-16"),
         ("utf-16-le", b"", "UTF-16"), ("utf-16-be", b"", "UTF-16"))
_PREVIEW = 24


def describe_unreadable(data: bytes) -> str:
    if not data:
        return "the file is empty (0 bytes): neither an EDIFACT interchange nor XML"
    if not data.strip(b" \t\r\n\x00"):
        return f"the file holds only blanks ({len(data):,} bytes): neither an EDIFACT interchange nor XML"
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            return f"the file is {what}, not a CAD: send the EDIFACT (.edi) or XML (.xml) file itself"
    wide = _wide_text(data)
    if wide is not None:
        encoding, text = wide
        kind = "an EDIFACT interchange" if text.lstrip().startswith(("UNA", "UNB")) else "text"
        return (f"the file is {kind} in {encoding}: EDIFACT must be sent in the character set its UNB names "
                "(UNOA, UNOB, UNOC: one byte a character; UNOY: UTF-8) and XML in UTF-8")
    head = data[:_PREVIEW]
    if _looks_binary(data[:512]):
        return (f"the file is binary data (it starts with bytes {head.hex(' ').upper()}), not text: neither an "
                "EDIFACT interchange nor XML")
    text = head.decode("latin-1")
    return (f"the file starts with \"{_printable(text)}\"{'…' if len(data) > _PREVIEW else ''}: an EDIFACT "
            "interchange starts with UNA or UNB, an XML document with '<'")


def _wide_text(data: bytes) -> tuple[str, str] | None:
    """(encoding, start of the text) when the file reads as UTF-16/32 text: after a byte order mark, or with a
    NUL in every other byte of its start (text in a one-byte character set has none)."""
    for codec, mark, name in _WIDE:
        if mark and not data.startswith(mark):
            continue
        body = data[len(mark) : len(mark) + 64]
        if not mark and not _nul_every_other_byte(body, high_byte_first=codec.endswith("be")):
            continue
        unit = 4 if "32" in codec else 2
        text = body[: len(body) - len(body) % unit].decode(codec, "replace")
        if text.strip() and sum(ch.isprintable() or ch in "\r\n\t" for ch in text) >= 0.9 * len(text):
            return name, text
    return None


def _nul_every_other_byte(body: bytes, *, high_byte_first: bool) -> bool:
    high = body[0::2] if high_byte_first else body[1::2]
    return len(body) >= 8 and high.count(0) * 2 >= len(high)


def _looks_binary(head: bytes) -> bool:
    controls = sum(1 for byte in head if byte < 0x20 and byte not in (0x09, 0x0A, 0x0D))
    return b"\x00" in head or controls * 10 > len(head)


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
