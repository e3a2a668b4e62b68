"""Billing documents as CSV, for spreadsheets: the statement of account, one row per posting.

A statement's CSV starts with an ``opening_balance`` row (the previous statement's closing balance) and ends
with a ``closing_balance`` row; between them one ``posting`` row per posting. Opening + the posting rows =
closing, to the cent, and each posting carries the section of the statement it is summed in, so every figure of
the XML and the PDF can be re-derived from the CSV. UTF-8, RFC 4180 (``\\r\\n`` line ends, fields quoted only
when they hold a comma, quote or line break).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import pandas as pd

from pipeline.billing.statements import Statement, StatementLine
from pipeline.money import format_cents

__all__ = ["STATEMENT_COLUMNS", "csv_bytes", "csv_field", "posting_csv_rows", "statement_csv"]

STATEMENT_COLUMNS = (
    "record", "importer", "statement_period", "posting_id", "posting_date", "kind", "charge_type",
    "transaction_number", "version", "period", "due_date", "section", "reference", "amount",
)
_SPECIAL = (",", '"', "\r", "\n")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 CSV with a header row and ``\\r\\n`` line ends (RFC 4180, what spreadsheets expect)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def csv_field(value: object) -> str:
    """One field as the csv module writes it (quoted only when it must be)."""
    text = "" if value is None or value != value else str(value)
    if any(special in text for special in _SPECIAL):
        return '"' + text.replace('"', '""') + '"'
    return text


def _line_row(importer: str, period: str, line: StatementLine) -> str:
    return ",".join((
        "posting", importer, period, str(line.posting_id), line.posting_date, line.kind, line.charge_type,
        csv_field(line.transaction_number), line.version, line.period, line.due_date, line.section,
        csv_field(line.reference), format_cents(line.cents),
    ))


def posting_csv_rows(rows: pd.DataFrame, statement_period: str, amounts: Sequence[str] | None = None) -> list[str]:
    """The ``posting`` row of every row of a statement table (``StatementBook.rows``), in one pass. ``amounts``
    are the rows' amounts as text when already made (``render_xml.amounts_of``)."""
    if rows.empty:
        return []
    if amounts is None:
        amounts = [format_cents(cents) for cents in rows["cents"].tolist()]
    txns, versions, dues, sources = (
        rows[column].tolist() for column in ("transaction_number", "version", "due_date", "source")
    )
    field = {value: csv_field(value) for value in {*txns, *versions, *dues, *sources}}
    return [
        f"posting,{m},{statement_period},{i},{d},{k},{c},{field[t]},{field[v]},{p},{field[u]},{s},{field[r]},{a}"
        for m, i, d, k, c, t, v, p, u, s, r, a in zip(
            rows["importer"].tolist(), rows["id"].tolist(), rows["posting_date"].tolist(), rows["kind"].tolist(),
            rows["charge_type"].tolist(), txns, versions, rows["period"].tolist(), dues, rows["section"].tolist(),
            sources, amounts, strict=True,
        )
    ]


def statement_csv(statement: Statement, posting_rows: Sequence[str] | None = None) -> bytes:
    """``importers/<BN15>/statements/<period>.csv``. ``posting_rows`` are its posting rows when already built
    (``posting_csv_rows``), else they are made from ``statement.lines``."""
    window = statement.window
    if posting_rows is None:
        posting_rows = [_line_row(statement.importer, window.period, line) for line in statement.lines]
    header = ",".join(STATEMENT_COLUMNS)
    opening = f"opening_balance,{statement.importer},{window.period},,,,,,,,,,,{format_cents(statement.previous_cents)}"
    closing = (
        f"closing_balance,{statement.importer},{window.period},,{window.statement_date.isoformat()},,,,,,"
        f"{window.due_date.isoformat()},,,{format_cents(statement.closing_cents)}"
    )
    return ("\r\n".join([header, opening, *posting_rows, closing]) + "\r\n").encode("utf-8")
