"""The statement PDF looked at as a person sees it: rendered to PNG pages (PDFium), nothing is drawn outside the
margins, every reference is printed whole, and every page's footer is the same small regular text."""

from __future__ import annotations

from datetime import date

import pypdfium2 as pdfium
import pytest

from pipeline.billing.render_pdf import statement_pdf
from pipeline.billing.statement_model import CHARGE_TYPES, SECTIONS, Statement, StatementLine, StatementWindow

POINTS_PER_MM = 72 / 25.4
MARGIN_MM = 15.0
WIDE_AMOUNT = -1_234_567_890  # cents: the widest amount a statement shows in practice


def _statement(lines: int, payment_reference: str) -> Statement:
    window = StatementWindow("2025-06", date(2025, 5, 18), date(2025, 6, 17), date(2025, 6, 25), date(2025, 7, 2),
                             999, date(2025, 6, 17))
    rows = [
        StatementLine(index, "2025-05-20", "cancellation", "customs_duty", "11000927100033", "12345", "2025-06",
                      "2025-07-02", "033b867e4a52fac0a7f04e2bba8e0cbc84ad778c17016892008a2431bdb1b061", "charges",
                      WIDE_AMOUNT)
        for index in range(lines)
    ]
    rows.append(StatementLine(lines, "2025-06-03", "payment", "payment", "", "", "2025-06", "", payment_reference,
                              "payments", -374_945_09))
    sections = dict.fromkeys(SECTIONS, 0)
    return Statement("158185264RM0001", "Silver Birch Toys Ltd", window, 0, sections, dict.fromkeys(CHARGE_TYPES, 0),
                     tuple(rows))


def _pages(data: bytes) -> list[pdfium.PdfPage]:
    document = pdfium.PdfDocument(data)
    return [document[index] for index in range(len(document))]


@pytest.mark.parametrize("lines", [3, 140])  # one page; several pages (the last page's footer was the fault)
def test_nothing_is_drawn_outside_the_margins(lines: int) -> None:
    for page in _pages(statement_pdf(_statement(lines, "DEMO-20250603-0003"))):
        image = page.render(scale=2).to_pil().convert("L")
        pixels_per_mm = image.width / (page.get_width() / POINTS_PER_MM)
        inside = (round((MARGIN_MM - 0.5) * pixels_per_mm), round(image.width - (MARGIN_MM - 0.5) * pixels_per_mm))
        ink = image.point(lambda value: 255 if value < 200 else 0).getbbox()
        assert ink is not None
        assert inside[0] <= ink[0] and ink[2] <= inside[1], f"ink from {ink[0]} to {ink[2]} px, margins {inside}"


@pytest.mark.parametrize("reference", ["DEMO-20250603-0003", "WIRE-2025-06-03-CIBC-000123456789"])
def test_payment_references_are_printed_whole(reference: str) -> None:
    text = "".join(page.get_textpage().get_text_range() for page in _pages(statement_pdf(_statement(3, reference))))
    assert reference in text


def test_cad_lines_carry_the_start_of_their_file_hash() -> None:
    text = _pages(statement_pdf(_statement(3, "P-1")))[0].get_textpage().get_text_range()
    assert text.count("033b867e4a52") == 3


def test_every_footer_is_the_same_small_regular_text() -> None:
    pages = _pages(statement_pdf(_statement(140, "P-1")))
    assert len(pages) >= 3
    footers = []
    for number, page in enumerate(pages, start=1):
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        assert f"Page {number} of {len(pages)}" in text
        at = text.index(f"Page {number} of")
        footers.append(pdfium.raw.FPDFText_GetFontSize(textpage.raw, at))
        weight = pdfium.raw.FPDFText_GetFontWeight(textpage.raw, at)
        assert weight < 600, f"page {number}'s footer is bold"
    assert len(set(footers)) == 1, f"footer sizes differ between pages: {footers}"
