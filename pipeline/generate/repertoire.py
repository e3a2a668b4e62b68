"""Fitting text to the character repertoire an EDIFACT interchange declares (UNOA, UNOB, UNOC, UNOY).

A real filer's software transliterates names before writing a level-A interchange; the generator does the same,
so that a valid file never trips S08. The S08 fault then breaks exactly this rule on purpose.
"""

from __future__ import annotations

import string
import unicodedata
from types import MappingProxyType

# ISO 9735 level A: upper-case letters, digits, space and these marks. Level B adds lower-case letters (we use
# only that safe subset of level B, which also has a few national-variant positions).
_LEVEL_A = frozenset(string.ascii_uppercase + string.digits + " .,-()/='+:?!\"%&*;<>")
_LEVEL_B = _LEVEL_A | frozenset(string.ascii_lowercase)

_SPELLED_OUT = MappingProxyType({
    "ß": "ss", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Œ": "OE", "œ": "oe", "Ł": "L", "ł": "l", "Đ": "D",
    "đ": "d", "–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "≥": ">=", "≤": "<=", "¢": "c",
    "°": " deg", "×": "x", "#": "No.", "@": " at ", "_": "-", "[": "(", "]": ")", "{": "(", "}": ")",
})


def _ascii(text: str) -> str:
    spelled = "".join(_SPELLED_OUT.get(ch, ch) for ch in text)
    return "".join(ch for ch in unicodedata.normalize("NFKD", spelled) if not unicodedata.combining(ch))


def fit(text: str, charset: str) -> str:
    """``text`` written with only the characters ``charset`` allows (for ``"xml"``, unchanged)."""
    if charset in ("UNOY", "xml"):
        return text
    if charset == "UNOC":
        try:
            text.encode("latin-1")
            return text
        except UnicodeEncodeError:
            return "".join(ch if ord(ch) < 256 else _ascii(ch) for ch in text).encode("latin-1", "replace").decode(
                "latin-1"
            )
    allowed = _LEVEL_A if charset == "UNOA" else _LEVEL_B
    converted = _ascii(text).upper() if charset == "UNOA" else _ascii(text)
    kept = "".join(ch if ch in allowed else " " for ch in converted)
    return " ".join(kept.split())


def allowed_in(charset: str) -> frozenset[str] | None:
    """The characters of a level-A or level-B repertoire as this module uses it; None for UNOC/UNOY."""
    return {"UNOA": _LEVEL_A, "UNOB": _LEVEL_B}.get(charset)
