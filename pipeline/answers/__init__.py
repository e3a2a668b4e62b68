"""The answers a service provider receives (spec/cad-edifact.md "Answers", spec/cad-xml.md "The XML answer").

Pure: each writer takes a ``FileOutcome`` (what intake made of one inbound file) and returns bytes; the
answer's interchange control reference and issue time are parameters (intake takes the reference from the
database and the time from its business clock).

- ``contrl``: the syntax acknowledgement of every EDIFACT file (``<file name>.contrl.edi``);
- ``cusres``: the business answers, one CUSRES per CUSDEC message (``<file name>.cusres.edi``), or None when
  the file was rejected at file level;
- ``xml_response``: the answer to an XML file (``<file name>.response.xml``).
"""

from pipeline.answers.contrl import SYNTAX_ERROR_CODES, contrl, syntax_error_code
from pipeline.answers.cusres import cusres
from pipeline.answers.envelope import inbound_syntax_version
from pipeline.answers.outcome import (
    ACCEPTED,
    DUPLICATE,
    ENGINE_CHARGE_TYPES,
    REJECTED,
    DeclarationOutcome,
    FileOutcome,
    amounts_from_engine,
)
from pipeline.answers.xml_response import xml_response

__all__ = [
    "ACCEPTED",
    "DUPLICATE",
    "ENGINE_CHARGE_TYPES",
    "REJECTED",
    "SYNTAX_ERROR_CODES",
    "DeclarationOutcome",
    "FileOutcome",
    "amounts_from_engine",
    "contrl",
    "cusres",
    "inbound_syntax_version",
    "syntax_error_code",
    "xml_response",
]
