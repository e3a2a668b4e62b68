"""The envelope shared by the EDIFACT answers (CONTRL, CUSRES): who it goes to, in which syntax, and how text
that the syntax level cannot carry is made to fit.

An answer is written in the syntax level (UNB 0001) and version (0002) of the file it answers, so that the
partner's translator reads it with the settings it sent with; UNOC:3 when the file told neither. Syntax
version 4 makes ``*`` the repetition separator (ISO 9735-1, UNA position 5), so a version 4 answer declares
it in its UNA and releases ``*`` in text; version 3 keeps the space there.

Text is fitted to the level rather than refused: in UNOA and UNOB accents are dropped (``é`` → ``e``), in
UNOA letters are upper-cased (level A has no lower case), and a character still outside the repertoire
(a control character, ``東`` in UNOC) becomes ``?`` (written released, ``??``). The answer must go out even
when the file it answers broke its own declared level.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from pydifact.control import Characters

from pipeline.answers.outcome import FileOutcome
from pipeline.parsers.edifact_syntax import (
    SYNTAX_CODECS,
    SYNTAX_VERSIONS,
    interface_characters,
    locate_interchange,
    probe_syntax_identifier,
    read_service_string_advice,
    repertoire_pattern,
)
from pipeline.writers.edifact import (
    Element,
    InterchangeHeader,
    Message,
    OutsideRepertoire,
    Segment,
    encode_interchange,
    format_interchange,
)

#: UNB sender of every answer (spec/cad-edifact.md: the recipient of every inbound interchange).
AGENCY_ID = "CBSACARM"
#: UNB/UCI interchange control reference of an inbound file whose own could not be read (0020 is mandatory).
UNKNOWN_REFERENCE = "UNKNOWN"
DEFAULT_CHARSET, DEFAULT_VERSION = "UNOC", "3"
SUBSTITUTE = "?"
_LINE_BREAKS = re.compile(r"[\t\r\n]+")


@dataclass(frozen=True, slots=True)
class AnswerSyntax:
    charset: str  # UNB 0001
    version: str  # UNB 0002

    @property
    def characters(self) -> Characters:
        chars = interface_characters()
        if self.version == "4":
            chars.reserved_character = "*"
        return chars

    def fit(self, text: str) -> str:
        """``text`` made writable in this syntax level (see the module docstring)."""
        outside = _repertoire(self.charset, self.version)
        if outside.search(text) is None:
            # Nearly every text of an answer already fits. Exact: line breaks and controls are outside every
            # repertoire, levels A and B are ASCII (NFKD leaves it alone) and level A has no lower case.
            return text
        text = _LINE_BREAKS.sub(" ", text)
        if self.charset in ("UNOA", "UNOB"):
            decomposed = unicodedata.normalize("NFKD", text)
            text = "".join(char for char in decomposed if not unicodedata.combining(char))
        if self.charset == "UNOA":
            text = text.upper()
        return outside.sub(SUBSTITUTE, text)

    def preparation_time(self, at: datetime) -> str:
        """UNB S004: date YYMMDD in version 3, CCYYMMDD in version 4, then HHMM (the clock ``at`` is on)."""
        return at.strftime("%Y%m%d:%H%M" if self.version == "4" else "%y%m%d:%H%M")


@lru_cache(maxsize=16)
def _repertoire(charset: str, version: str) -> re.Pattern[str]:
    # Memoised: ``fit`` runs on every text of every answer (hundreds of thousands an intake run).
    return repertoire_pattern(charset, AnswerSyntax(charset, version).characters)


def answer_syntax(outcome: FileOutcome) -> AnswerSyntax:
    """The inbound file's syntax level and version where known, else UNOC and version 3 (UNOY: 4)."""
    charset = outcome.interchange.charset if outcome.interchange is not None else None
    if charset not in SYNTAX_CODECS:
        charset = DEFAULT_CHARSET
    version = outcome.syntax_version
    if version not in SYNTAX_VERSIONS:
        version = "4" if charset == "UNOY" else DEFAULT_VERSION
    return AnswerSyntax(charset, version)


def inbound_syntax_version(data: bytes) -> str | None:
    """UNB 0002 (``"3"`` or ``"4"``) of an EDIFACT file's raw bytes, None when it cannot be read.

    The model keeps the syntax level (``Interchange.charset``) but not the version; intake reads it here and
    passes it as ``FileOutcome.syntax_version``."""
    start = locate_interchange(data)
    if start is None:
        return None
    chars, offset = interface_characters(), start
    if data.startswith(b"UNA", start):
        advised, _ = read_service_string_advice(data[start : start + 9].decode("latin-1"))
        if advised is None:
            return None
        chars, offset = advised, start + 9
    version = probe_syntax_identifier(data, offset, chars).version
    return version if version in SYNTAX_VERSIONS else None


def provider_id(outcome: FileOutcome) -> str:
    """The service provider the answer goes to (UNB recipient): the owner of the sender folder the file was
    dropped in, where the answer is delivered, even when the file's UNB names another sender (A03); the inbound
    UNB sender when no folder is known. The UCI still echoes the inbound UNB sender (ISO 9735-4)."""
    return outcome.sender or inbound_sender(outcome)


def inbound_sender(outcome: FileOutcome) -> str:
    """The inbound interchange's UNB sender (what a CONTRL's UCI echoes), else the sender folder."""
    if outcome.interchange is not None and outcome.interchange.sender:
        return outcome.interchange.sender
    return outcome.sender


def inbound_reference(outcome: FileOutcome) -> str:
    if outcome.interchange is not None and outcome.interchange.control_reference:
        return outcome.interchange.control_reference
    return UNKNOWN_REFERENCE


def write_answer(outcome: FileOutcome, messages: list[Message], *, control_reference: str,
                 prepared_at: datetime) -> bytes:
    """The answer interchange: UNA, UNB from the agency to the provider, the messages, UNZ; every value fitted
    to the syntax level, then escaped by the writer."""
    syntax = answer_syntax(outcome)
    header = InterchangeHeader(
        sender=AGENCY_ID,
        recipient=syntax.fit(provider_id(outcome)),
        control_reference=control_reference,
        prepared_at=syntax.preparation_time(prepared_at),
        charset=syntax.charset,
        syntax_version=syntax.version,
    )
    chars = syntax.characters
    try:
        text = format_interchange(header, messages, chars=chars)
    except OutsideRepertoire:
        # Exact: escaping only adds service characters, which every level allows, so when the written text fits
        # every value in it already did and fitting would have changed nothing.
        fitted = [
            Message(syntax.fit(m.reference), m.identifier, tuple(_fit_segment(s, syntax) for s in m.segments))
            for m in messages
        ]
        text = format_interchange(header, fitted, chars=chars)
    return encode_interchange(text, syntax.charset)


def _fit_segment(segment: Segment | str, syntax: AnswerSyntax) -> Segment | str:
    if isinstance(segment, str):  # already written: only characters every syntax level carries (see Message)
        return segment

    def fit(element: Element) -> Element:
        if element is None:
            return None
        if isinstance(element, str):
            return syntax.fit(element)
        return tuple(syntax.fit(component) if component else component for component in element)

    return Segment(segment.tag, tuple(fit(element) for element in segment.elements))
