"""Readers of the answers intake writes, for the intake tests: what each CUSRES message, CONTRL and XML response
says, read back with the project's EDIFACT tokenizer (and checked with pydifact) and with lxml against
schemas/cad-response.xsd. No tests here."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from tests.test_answers_support import assert_counts_match, pydifact_interchange, read_segments

RESPONSE_XSD = Path(__file__).resolve().parents[1] / "schemas" / "cad-response.xsd"
NS = {"w": "urn:wco:datamodel:WCO:Declaration:1"}


@cache
def response_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(RESPONSE_XSD)))


def edifact_answer(data: bytes) -> list[tuple[str, list[list[str]]]]:
    """The segments of an EDIFACT answer, after checking its envelope with both readers."""
    assert_counts_match(data)
    assert pydifact_interchange(data).get_header_segment().tag == "UNB"
    return read_segments(data)


def contrl_action(data: bytes) -> str:
    """UCI action code: 7 acknowledged, 4 rejected."""
    uci = [elements for tag, elements in edifact_answer(data) if tag == "UCI"]
    assert len(uci) == 1
    return uci[0][3][0]


def cusres_messages(data: bytes) -> list[dict[str, Any]]:
    """Per CUSRES message: transaction, version, status, error/warning codes, totals and line amounts."""
    messages: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    line: int | None = None
    pending_tax: tuple[str, str] | None = None
    for tag, elements in edifact_answer(data):
        if tag == "UNH":
            assert elements[1][0] == "CUSRES"
            current, line = {"codes": [], "totals": {}, "lines": {}}, None
            messages.append(current)
        elif current is None:
            continue
        elif tag == "BGM":
            current["transaction_number"], current["version"] = elements[1][0], elements[1][1]
        elif tag == "GIS":
            current["status"] = elements[0][0]
        elif tag == "ERC":
            current["codes"].append(elements[0][0])
        elif tag == "CST":
            line = int(elements[0][0])
            current["lines"][line] = {}
        elif tag == "TAX":
            pending_tax = (elements[0][0], elements[1][0])
        elif tag == "MOA" and pending_tax is not None:
            level, charge = pending_tax
            target = current["totals"] if level == "3" else current["lines"][line]
            target[charge] = Decimal(elements[0][1])
            pending_tax = None
    return messages


def xml_responses(data: bytes) -> list[dict[str, Any]]:
    """Per Response: status, transaction, version, codes, totals, line amounts; the document must be valid."""
    document = etree.fromstring(data)
    assert response_schema().validate(document), response_schema().error_log
    assert document.findtext("w:FunctionalDefinition", namespaces=NS) == "CAD-OUT"
    found = []
    for response in document.findall("w:Response", NS):
        totals = {fee.findtext("w:TypeCode", namespaces=NS): Decimal(fee.findtext("w:TaxAssessedAmount", namespaces=NS))
                  for fee in response.findall("w:DutyTaxFee", NS)}
        lines = {
            int(item.findtext("w:SequenceNumeric", namespaces=NS)): {
                fee.findtext("w:TypeCode", namespaces=NS): Decimal(fee.findtext("w:TaxAssessedAmount", namespaces=NS))
                for fee in item.findall("w:DutyTaxFee", NS)
            }
            for item in response.findall("w:GoodsItem", NS)
        }
        found.append({
            "status": response.findtext("w:FunctionCode", namespaces=NS),
            "transaction_number": response.findtext("w:DeclarationID", namespaces=NS),
            "version": response.findtext("w:VersionID", namespaces=NS),
            "codes": [e.findtext("w:ValidationCode", namespaces=NS) for e in response.findall("w:Error", NS)],
            "totals": totals,
            "lines": lines,
        })
    return found


def answers_of(outbound: dict[str, bytes], sender: str, name: str) -> dict[str, Any]:
    """What the answers of one inbound file say: ``{"contrl": action, "messages": [...]}`` for EDIFACT (messages
    from the CUSRES, empty without one), ``{"messages": [...]}`` for XML."""
    base = f"{sender}/responses/{name}"
    if f"{base}.response.xml" in outbound:
        return {"messages": xml_responses(outbound[f"{base}.response.xml"])}
    contrl = outbound[f"{base}.contrl.edi"]
    cusres = outbound.get(f"{base}.cusres.edi")
    return {"contrl": contrl_action(contrl), "messages": cusres_messages(cusres) if cusres else []}
