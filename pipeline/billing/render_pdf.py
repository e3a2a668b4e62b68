"""The statement of account as a PDF a person reads: title, importer, period and dates, a summary table, the
postings, and the closing balance stated as the amount due on the due date.

fpdf2 with a core font (Helvetica), so nothing is embedded and the files stay small. Core fonts carry
Latin-1 only: typographic punctuation is mapped to its ASCII twin, accented letters outside Latin-1 lose their
accent, and a name that still cannot be shown (another script) is printed as a notice pointing to the XML
statement, which carries it exactly. Text is placed with ``FPDF.text`` (about six times faster than ``cell``),
right-aligned amounts measured with the font's own widths. The creation date is the statement date, so the same
statement gives the same bytes.

fpdf2 is pure Python and holds the GIL, so statements are rendered in worker *processes*
(:func:`render_pdfs`), not threads.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context

from fpdf import FPDF

from pipeline.billing.statement_model import CHARGE_TITLES, CHARGE_TYPES, Statement, StatementLine
from pipeline.money import format_cents_grouped

__all__ = ["PdfBatch", "money_text", "pdf_text", "render_pdfs", "statement_pdf"]

_PUNCTUATION = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": ",", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2013": "-",
    "\u2014": "-", "\u2026": "...", "\u00a0": " ", "\u2022": "*", "\u2212": "-",
})
_KIND_TITLES = {
    "assessment": "Assessment", "correction": "Correction", "adjustment": "Adjustment",
    "cancellation": "Cancellation", "payment": "Payment", "interest": "Interest", "penalty": "Penalty",
}
_PAGE_BOTTOM = 262.0  # mm: below this a new page starts (Letter is 279.4 mm high)
_LEFT, _RIGHT = 15.0, 200.9  # mm: margins of a Letter page (215.9 mm wide)
_REFERENCE_X, _REFERENCE_END = 136.0, 178.0  # mm: the reference column ends where the widest amount begins


def pdf_text(value: str) -> str:
    """``value`` in Latin-1, the character set of the core fonts (see the module's docstring)."""
    out = []
    for char in value.translate(_PUNCTUATION):
        if ord(char) < 256:
            out.append(char if char.isprintable() else " ")
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) < 256 and not unicodedata.combining(c))
        out.append(base or "?")
    return "".join(out)


def printable_name(name: str) -> str:
    shown = pdf_text(name)
    if name and shown.count("?") * 2 > len(shown.replace(" ", "")):
        return "(name in a script this PDF cannot show: see the XML statement)"
    return shown


money_text = format_cents_grouped


class _StatementDocument(FPDF):
    """fpdf2's ``footer`` hook runs as each page closes, in that page's own font state; writing the footers
    afterwards by revisiting pages printed the last page's footer in the font that page ended with."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(format="letter", unit="mm")
        self.footer_text = footer_text

    def footer(self) -> None:
        self.set_font("Helvetica", "", 7.5)
        self.text(_LEFT, 272.0, self.footer_text)
        self.set_xy(_LEFT, 269.5)
        self.cell(_RIGHT - _LEFT, 3.5, f"Page {self.page_no()} of {{nb}}", align="R")


class _Page:
    """A cursor over an fpdf2 document: rows of text at fixed columns, new pages as needed."""

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        pdf = _StatementDocument(f"Statement of Account - {statement.importer} - period {statement.window.period}")
        pdf.set_auto_page_break(False)
        pdf.set_creation_date(datetime.combine(statement.window.statement_date, datetime.min.time(), UTC))
        pdf.set_title(f"Statement of Account {statement.importer} {statement.window.period}")
        pdf.set_author("carm-pipeline")
        self.pdf = pdf
        self.y = 0.0
        self.widths: dict[str, float] = {}

    def font(self, size: float, style: str = "") -> None:
        self.pdf.set_font("Helvetica", style, size)

    def width(self, text: str) -> float:
        widths = self.pdf.current_font.cw
        return sum(widths.get(char, 500) for char in text) * self.pdf.font_size / 1000

    def text(self, x: float, text: str, *, right: bool = False) -> None:
        if right:
            x -= self.width(text)
        self.pdf.text(x, self.y, text)

    def rule(self, weight: float = 0.2) -> None:
        self.pdf.set_line_width(weight)
        self.pdf.line(_LEFT, self.y + 1.2, _RIGHT, self.y + 1.2)

    def new_page(self) -> None:
        self.pdf.add_page()
        self.y = 18.0

    def fitted_text(self, x: float, text: str, width: float, *, size: float) -> None:
        """``text`` whole, in a smaller font when it is wider than ``width``: a reference is never cut."""
        self.font(size)
        wide = self.width(text)
        if wide > width:
            self.font(size * width / wide)
        self.text(x, text)
        self.font(size)

    def need(self, height: float) -> None:
        if self.y + height > _PAGE_BOTTOM:
            self.new_page()


_COLUMNS = (  # (x in mm, header, right-aligned)
    (_LEFT, "Date", False), (33.0, "Kind", False), (52.0, "Charge type", False), (72.0, "Transaction", False),
    (96.0, "Ver.", False), (106.0, "Period", False), (119.0, "Due date", False), (_REFERENCE_X, "Reference", False),
    (_RIGHT, "Amount (CAD)", True),
)
_HASH_SHOWN = 12  # hex characters of an archive hash, as a short git hash: enough to find the file


def reference_text(line: StatementLine) -> str:
    """A payment's ID in full; for a CAD, the start of the archived file's hash (see the note under the table)."""
    if line.kind == "payment":
        return pdf_text(line.reference)
    return line.reference[:_HASH_SHOWN]


def statement_pdf(statement: Statement) -> bytes:
    """``importers/<BN15>/statements/<period>.pdf``."""
    window = statement.window
    page = _Page(statement)
    page.new_page()

    page.font(17, "B")
    page.y = 24.0
    page.text(_LEFT, "Statement of Account")
    page.font(9)
    page.y += 6
    page.text(_LEFT, "Commercial import account - harmonized billing period statement")

    page.y += 10
    details = (
        ("Importer", printable_name(statement.name)),
        ("Business number (BN15)", statement.importer),
        ("Billing period", f"{window.period} ({window.start.isoformat()} to {window.end.isoformat()})"),
        ("Statement date", window.statement_date.isoformat()),
        ("Payment due date", window.due_date.isoformat()),
    )
    for label, value in details:
        page.font(9, "B")
        page.text(_LEFT, label)
        page.font(9)
        page.text(62.0, value)
        page.y += 5

    page.y += 5
    page.font(11, "B")
    page.text(_LEFT, "Summary")
    page.rule(0.3)
    page.y += 6
    sections = statement.sections
    summary: list[tuple[str, int | None, str]] = [
        ("Previous statement balance", statement.previous_cents, ""),
        ("Payments received", sections["payments"], ""),
        ("Corrections to the previous balance", sections["corrections"], ""),
        ("New charges of this period, by charge type:", None, ""),
    ]
    summary += [(f"    {CHARGE_TITLES[charge]}", statement.charges[charge], "") for charge in CHARGE_TYPES]
    summary += [
        ("    Total new charges", sections["charges"], "B"),
        ("Adjustments", sections["adjustments"], ""),
        ("Interest", sections["interest"], ""),
        ("Penalties", sections["penalties"], ""),
    ]
    for label, cents, style in summary:
        page.font(9, style)
        page.text(_LEFT, label)
        if cents is not None:
            page.text(140.0, money_text(cents), right=True)
        page.y += 4.6
    _total_under_rule(page, "Closing balance", statement.closing_cents, size=10, right_edge=140.0)
    page.y += 8
    page.font(12, "B")
    if statement.closing_cents > 0:
        page.text(_LEFT, f"Amount due on {window.due_date.isoformat()}: ${money_text(statement.closing_cents)}")
    elif statement.closing_cents < 0:
        page.text(_LEFT, f"Credit carried forward: ${money_text(-statement.closing_cents)} (nothing to pay)")
    else:
        page.text(_LEFT, "Nothing to pay: the account is settled")

    page.y += 12
    page.need(20)
    page.font(11, "B")
    page.text(_LEFT, f"Postings on this statement ({len(statement.lines)})")
    page.y += 6
    _posting_header(page)
    page.font(8)
    for line in statement.lines:
        if page.y + 4.2 > _PAGE_BOTTOM:
            page.new_page()
            _posting_header(page)
            page.font(8)
        values = (
            line.posting_date, _KIND_TITLES.get(line.kind, line.kind), CHARGE_TITLES.get(line.charge_type, line.charge_type.title()),
            line.transaction_number, line.version, line.period, line.due_date,
            reference_text(line), money_text(line.cents),
        )
        for (x, _, right), value in zip(_COLUMNS, values, strict=True):
            if value and x == _REFERENCE_X:
                page.fitted_text(x, value, _REFERENCE_END - _REFERENCE_X, size=8)
            elif value:
                page.text(x, value, right=right)
        page.y += 4.2
    if not statement.lines:
        page.text(_LEFT, "No postings: the balance is carried from the previous statement.")
        page.y += 4.2
    _total_under_rule(page, "Closing balance (amount due on the due date; negative: credit)", statement.closing_cents,
                      size=9, right_edge=_RIGHT)
    page.y += 6
    page.need(5)
    page.font(7.5)
    page.text(_LEFT, f"Reference: the payment ID of a payment; for a CAD, the first {_HASH_SHOWN} characters of the "
                     "SHA-256 of the file it came from (in full in the CSV and XML statements).")
    return bytes(page.pdf.output())


def _total_under_rule(page: _Page, label: str, cents: int, *, size: int, right_edge: float) -> None:
    """A rule under the rows above it, then a bold total: its label at the left margin, its amount at ``right_edge``."""
    page.y -= 2.6
    page.rule(0.3)
    page.y += 6
    page.font(size, "B")
    page.text(_LEFT, label)
    page.text(right_edge, money_text(cents), right=True)


def _posting_header(page: _Page) -> None:
    page.font(8, "B")
    for x, header, right in _COLUMNS:
        page.text(x, header, right=right)
    page.rule()
    page.y += 5


@dataclass(frozen=True, slots=True)
class PdfBatch:
    documents: tuple[bytes, ...]
    seconds: float
    workers: int

    @property
    def rate(self) -> float:
        """PDFs per second (a measurement, not money)."""
        return len(self.documents) / self.seconds if self.seconds > 0 else 0.0


def render_pdfs(statements: Sequence[Statement], workers: int = 2) -> PdfBatch:
    """Render every statement's PDF, in ``workers`` processes (1: in this process), keeping their order."""
    started = time.perf_counter()
    if workers <= 1 or len(statements) < 2:
        documents = tuple(statement_pdf(statement) for statement in statements)
        return PdfBatch(documents, time.perf_counter() - started, 1)
    chunk = max(1, min(64, len(statements) // (workers * 4)))
    # "spawn": a fresh interpreter per worker, never a fork of a process holding database connections.
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        documents = tuple(pool.map(statement_pdf, statements, chunksize=chunk))
    return PdfBatch(documents, time.perf_counter() - started, workers)
