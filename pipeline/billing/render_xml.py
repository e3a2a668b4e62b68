"""Billing documents as XML: the statement of account (importer), the broker statement.

One namespace for every billing document (``BILLING_NS``); amounts are decimal strings with two decimals in
Canadian dollars, debits positive and credits negative, exactly as in ``carm close-period --json``. The output is
a function of the data alone (no timestamp), so closing a period again writes the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from lxml import etree

from pipeline.billing.statements import (
    CHARGE_TYPES,
    SECTIONS,
    Statement,
    StatementLine,
    StatementWindow,
)
from pipeline.money import format_cents

__all__ = [
    "BILLING_NS", "amount_texts", "broker_statement_xml", "element", "posting_elements", "serialize", "statement_xml",
    "xml_text",
]

BILLING_NS = "urn:carm-pipeline:billing:1"
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>"
_QUOTE = {'"': "&quot;"}
_SECTION_TAGS = {
    "payments": "Payments", "corrections": "Corrections", "charges": "Charges", "adjustments": "Adjustments",
    "interest": "Interest", "penalties": "Penalties",
}


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry (a registry name is not trusted to be clean)."""
    return _NOT_XML.sub("\ufffd", value)


def element(
    parent: etree._Element | None, local: str, text: str | None = None, attrib: Mapping[str, str] | None = None
) -> etree._Element:
    name = f"{{{BILLING_NS}}}{local}"
    if parent is None:
        made = etree.Element(name, attrib=dict(attrib) if attrib else None, nsmap={None: BILLING_NS})
    else:
        made = etree.SubElement(parent, name, attrib=dict(attrib) if attrib else None)
    if text is not None:
        made.text = text
    return made


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _escape(value: str) -> str:
    """Text or attribute content: XML-safe characters, markup escaped (letters and digits pass as they are)."""
    if value.isalnum() and value.isascii():
        return value
    return escape(xml_text(value), _QUOTE)


def _window(out: list[str], window: StatementWindow, pad: str) -> None:
    out.append(f'{pad}<Period name="{window.period}">')
    out.append(f"{pad}  <StartDate>{window.start.isoformat()}</StartDate>")
    out.append(f"{pad}  <EndDate>{window.end.isoformat()}</EndDate>")
    out.append(f"{pad}</Period>")
    out.append(f"{pad}<StatementDate>{window.statement_date.isoformat()}</StatementDate>")
    out.append(f"{pad}<DueDate>{window.due_date.isoformat()}</DueDate>")


def _party(out: list[str], tag: str, identifier: str, name: str, pad: str) -> None:
    out.append(f"{pad}<{tag}>")
    out.append(f"{pad}  <ID>{_escape(identifier)}</ID>")
    out.append(f"{pad}  <Name>{_escape(name)}</Name>")
    out.append(f"{pad}</{tag}>")


def _summary(out: list[str], statement: Statement, pad: str) -> None:
    out.append(f'{pad}<Summary currency="CAD">')
    inner = pad + "  "
    out.append(f"{inner}<PreviousBalance>{format_cents(statement.previous_cents)}</PreviousBalance>")
    for section in SECTIONS:
        tag = _SECTION_TAGS[section]
        if section == "charges":
            out.append(f'{inner}<Charges total="{format_cents(statement.sections["charges"])}">')
            for charge in CHARGE_TYPES:
                out.append(f'{inner}  <Charge type="{charge}">{format_cents(statement.charges[charge])}</Charge>')
            out.append(f"{inner}</Charges>")
        else:
            out.append(f"{inner}<{tag}>{format_cents(statement.sections[section])}</{tag}>")
    out.append(f"{inner}<ClosingBalance>{format_cents(statement.closing_cents)}</ClosingBalance>")
    out.append(
        f'{inner}<AmountDue on="{statement.window.due_date.isoformat()}">{format_cents(statement.amount_due_cents)}'
        "</AmountDue>"
    )
    out.append(f"{inner}<CreditCarriedForward>{format_cents(statement.credit_cents)}</CreditCarriedForward>")
    out.append(f"{pad}</Summary>")


def _line_element(line: StatementLine) -> str:
    transaction = f' transaction="{_escape(line.transaction_number)}"' if line.transaction_number else ""
    version = f' version="{line.version}"' if line.version else ""
    due = f' dueDate="{line.due_date}"' if line.due_date else ""
    return (
        f'<Posting id="{line.posting_id}" date="{line.posting_date}" kind="{line.kind}" '
        f'chargeType="{line.charge_type}"{transaction}{version} period="{line.period}"{due} '
        f'section="{line.section}" reference="{_escape(line.reference)}" amount="{format_cents(line.cents)}"/>'
    )


_FRACTIONS = np.array([f"{n:02d}" for n in range(100)], dtype=object)


def amount_texts(cents: np.ndarray) -> np.ndarray:
    """``format_cents`` of a whole column at once (integer arithmetic only)."""
    cents = np.asarray(cents, dtype=np.int64)
    magnitude = np.abs(cents)
    whole = (magnitude // 100).astype(str).astype(object)
    sign = np.where(cents < 0, "-", "").astype(object)
    return sign + whole + "." + _FRACTIONS[magnitude % 100]


def _missing(value: object) -> bool:
    return value is None or value != value  # None, or NaN from pandas


def attribute_texts(name: str, values: list, escape_values: bool = True) -> dict:
    """`` name="value"`` for each distinct value ('' when there is none), to look up row by row: a million
    rows hold far fewer distinct transaction numbers, references and dates."""
    return {
        value: "" if _missing(value) else f' {name}="{_escape(str(value)) if escape_values else value}"'
        for value in set(values)
    }


def amounts_of(rows: pd.DataFrame) -> list[str]:
    """``format_cents`` of every row's ``cents``, once for the XML and the CSV of a close."""
    return [f'{"-" if a < 0 else ""}{abs(a) // 100}.{abs(a) % 100:02d}' for a in rows["cents"].tolist()]


def posting_elements(rows: pd.DataFrame, amounts: Sequence[str] | None = None) -> list[str]:
    """The ``<Posting .../>`` element of every row of a statement table (``StatementBook.rows``): a close writes
    a million of them, for importer and broker statements alike, so they are made once, in one pass.
    ``amounts`` are the rows' amounts as text when already made (``amounts_of``)."""
    if rows.empty:
        return []
    if amounts is None:
        amounts = amounts_of(rows)
    txns, versions, dues, sources = (
        rows[column].tolist() for column in ("transaction_number", "version", "due_date", "source")
    )
    transaction = attribute_texts("transaction", txns)
    version = attribute_texts("version", versions, escape_values=False)
    due = attribute_texts("dueDate", dues, escape_values=False)
    reference = {value: _escape(value) for value in set(sources)}
    return [
        f'<Posting id="{i}" date="{d}" kind="{k}" chargeType="{c}"{transaction[t]}{version[v]} period="{p}"'
        f'{due[u]} section="{s}" reference="{reference[r]}" amount="{a}"/>'
        for i, d, k, c, t, v, p, u, s, r, a in zip(
            rows["id"].tolist(), rows["posting_date"].tolist(), rows["kind"].tolist(), rows["charge_type"].tolist(),
            txns, versions, rows["period"].tolist(), dues, rows["section"].tolist(), sources, amounts, strict=True,
        )
    ]


def _postings(out: list[str], elements: Sequence[str], pad: str) -> None:
    if not elements:
        out.append(f'{pad}<Postings count="0"/>')
        return
    out.append(f'{pad}<Postings count="{len(elements)}">')
    inner = pad + "  "
    out.append(inner + ("\n" + inner).join(elements))
    out.append(f"{pad}</Postings>")


def _document(out: list[str]) -> bytes:
    return ("\n".join(out) + "\n").encode("utf-8")


def statement_xml(statement: Statement, elements: Sequence[str] | None = None) -> bytes:
    """``importers/<BN15>/statements/<period>.xml``: the statement's data, every posting on it included.
    ``elements`` are its postings' elements when already built (``posting_elements``), else they are made
    from ``statement.lines``.

    Written as text (a statement can hold hundreds of thousands of postings; building an element tree costs
    ten times more), with every value that does not come from this package escaped."""
    if elements is None:
        elements = [_line_element(line) for line in statement.lines]
    out = [_DECLARATION, f'<StatementOfAccount xmlns="{BILLING_NS}">']
    _party(out, "Importer", statement.importer, statement.name, "  ")
    _window(out, statement.window, "  ")
    _summary(out, statement, "  ")
    _postings(out, elements, "  ")
    out.append("</StatementOfAccount>")
    return _document(out)


def broker_statement_xml(
    broker: str,
    broker_name: str,
    window: StatementWindow,
    sections: Iterable[tuple[Statement, Sequence[str]]],
) -> bytes:
    """``brokers/<BN9>/statements/<period>.xml``: one section per importer the broker files for, with that
    importer's statement summary and the posting elements of the transactions this broker filed."""
    out = [_DECLARATION, f'<BrokerStatement xmlns="{BILLING_NS}">']
    _party(out, "Broker", broker, broker_name, "  ")
    _window(out, window, "  ")
    for statement, elements in sections:
        out.append("  <ImporterSection>")
        _party(out, "Importer", statement.importer, statement.name, "    ")
        _summary(out, statement, "    ")
        _postings(out, elements, "    ")
        out.append("  </ImporterSection>")
    out.append("</BrokerStatement>")
    return _document(out)
