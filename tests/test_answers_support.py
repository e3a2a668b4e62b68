"""Helpers of the answer tests: outcomes to answer, and two independent readers of what the answers say.

``read_segments`` reads an answer with the project's own EDIFACT tokenizer (``pipeline.parsers.edifact_syntax``),
``pydifact_interchange`` with pydifact; ``envelope_findings`` runs the project's CUSDEC reader over it, which
checks every UNT count and reference and the UNZ count and reference of any message type (a CONTRL or CUSRES is
an S07 to it, nothing else).
"""

from __future__ import annotations

import warnings
from datetime import datetime

from pydifact.segmentcollection import Interchange as PydifactInterchange

from pipeline.answers import DeclarationOutcome, FileOutcome, inbound_syntax_version
from pipeline.findings import Finding
from pipeline.parsers.edifact import parse_edifact
from pipeline.parsers.edifact_syntax import (
    SYNTAX_CODECS,
    Tokenizer,
    interface_characters,
    probe_syntax_identifier,
    read_service_string_advice,
    repertoire_pattern,
)
from tests.edifact_samples import fixture

PREPARED = datetime(2026, 11, 20, 9, 31)
ANSWER_REFERENCE = "00000000000042"
SENDER_FOLDER = "SP00042"


def parsed_outcome(data: bytes, *, name: str = "file.edi", sender: str = SENDER_FOLDER,
                   extra: tuple[Finding, ...] = ()) -> FileOutcome:
    """A FileOutcome of a real EDIFACT file as the reader saw it, every declaration accepted with no amounts
    when the file passed syntax (the CONTRL only looks at file-level findings)."""
    result = parse_edifact(data)
    findings = result.findings + extra
    declarations = result.interchange.declarations if result.interchange is not None else ()
    rejected = any(not f.is_warning for f in findings)
    outcomes = tuple(DeclarationOutcome(d, "RE" if rejected else "AC") for d in declarations)
    return FileOutcome(name, sender, "edifact", result.interchange, findings, outcomes,
                       inbound_syntax_version(data))


def fixture_outcome(name: str, **changes: object) -> FileOutcome:
    return parsed_outcome(fixture(name), name=name, **changes)  # type: ignore[arg-type]


def clean_text() -> str:
    return fixture("clean_two_messages.edi").decode("ascii")


def read_segments(data: bytes) -> list[tuple[str, list[list[str]]]]:
    """Every segment (UNA excluded) as (tag, elements of components), read by the project's tokenizer; a
    segment the tokenizer finds fault with fails the test."""
    chars, offset = interface_characters(), 0
    if data.startswith(b"UNA"):
        advised, problem = read_service_string_advice(data[:9].decode("ascii"))
        assert advised is not None, problem
        chars, offset = advised, 9
    charset = probe_syntax_identifier(data, offset, chars).charset
    tokenizer = Tokenizer(chars, SYNTAX_CODECS[charset], repertoire_pattern(charset, chars))
    segments = []
    for raw in tokenizer.segments(data, offset):
        assert raw.problem is None and raw.terminated, raw
        segments.append((raw.tag, raw.elements))
    return segments


def tags(data: bytes) -> list[str]:
    return [tag for tag, _ in read_segments(data)]


def with_tag(data: bytes, tag: str) -> list[list[list[str]]]:
    return [elements for found, elements in read_segments(data) if found == tag]


def pydifact_interchange(data: bytes) -> PydifactInterchange:
    charset = data.split(b"UNB", 1)[1][1:5].decode("ascii")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydifact warns that it has no directory to validate segments with
        return PydifactInterchange.from_str(data.decode(SYNTAX_CODECS[charset]))


def envelope_findings(data: bytes) -> list[tuple[str, str]]:
    """(code, location) of what the project's CUSDEC reader says of an answer, S07 for each message aside."""
    result = parse_edifact(data)
    assert result.interchange is not None
    return [(f.code, f.location) for f in result.findings if f.code != "S07"]


def assert_counts_match(data: bytes) -> None:
    """UNT and UNZ counts and references agree with the content, by both readers."""
    assert envelope_findings(data) == []
    interchange = pydifact_interchange(data)
    messages = list(interchange.get_messages())
    unz = interchange.get_footer_segment()
    assert unz.elements[0] == str(len(messages))
    assert unz.elements[1] == interchange.control_reference
    segments = read_segments(data)
    units = [i for i, (tag, _) in enumerate(segments) if tag == "UNH"]
    for start, message in zip(units, messages, strict=True):
        end = next(i for i in range(start, len(segments)) if segments[i][0] == "UNT")
        unt = segments[end][1]
        assert unt[0] == [str(end - start + 1)]
        assert unt[1] == [message.reference_number]
        assert len(message.segments) + 2 == end - start + 1
