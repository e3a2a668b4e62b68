"""The finance reconciliation page looked at in a real browser (headless Chromium): every chart label and value
lies inside its chart, no table cell cuts its text, amounts have thousands separated, the security review names
each importer, and the screenshot has nothing drawn against the window's edge."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

from PIL import Image

from pipeline.billing.reconcile import CheckRow, Reconciliation
from pipeline.billing.render_html import axis_ticks, reconciliation_html
from pipeline.billing.security import ReviewRow
from pipeline.billing.statement_model import CHARGE_TYPES, StatementWindow

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
)
# Appended to a copy of the page: measures, in the browser's own layout, every SVG text against its SVG and every
# table cell's text against the cell, and writes what overflows into the DOM that --dump-dom prints.
MEASURE = """<script>
const overflow = [];
for (const svg of document.querySelectorAll('svg')) {
  const box = svg.getBoundingClientRect();
  for (const t of svg.querySelectorAll('text')) {
    const r = t.getBoundingClientRect();
    if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
      overflow.push('svg text ' + t.textContent);
  }
}
for (const cell of document.querySelectorAll('td, th'))
  if (cell.scrollWidth > cell.clientWidth + 1) overflow.push('cell ' + cell.textContent);
const pre = document.createElement('pre'); pre.id = 'measured'; pre.textContent = JSON.stringify(overflow);
document.body.appendChild(pre);
</script>"""


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "headless Chromium is needed (make test installs Debian's chromium package)"
    return path


def _reconciliation(days: int) -> Reconciliation:
    window = StatementWindow("2025-06", date(2025, 5, 18), date(2025, 6, 17), date(2025, 6, 25), date(2025, 7, 2),
                             692, date(2025, 6, 17))
    by_day = {f"2025-{5 + (n + 18) // 31:02d}-{(n + 18) % 31 + 1:02d}": 30_000_000 + n * 7_654_321 for n in range(days)}
    rows = (CheckRow("assessed_vs_posted", "ALL", 515_325_279, 515_325_279),)
    charges = dict(zip(CHARGE_TYPES, (165_690_047, 0, 10_289_254, 4_935_779, 15_920_000, 318_490_199), strict=True))
    return Reconciliation(window, rows, (), charges, by_day)


def _page(tmp: Path, days: int = 21) -> Path:
    review = (ReviewRow("158185264RM0001", 37_896_298, 25_000_000, 12_896_298),)
    html = reconciliation_html(_reconciliation(days), review, 15, 2, {"158185264RM0001": "Silver Birch Toys Ltd"})
    page = tmp / "reconciliation.html"
    page.write_bytes(html)
    return page


def _measured_overflow(page: Path) -> list[str]:
    instrumented = page.with_name("measured.html")
    instrumented.write_text(page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,2400", "--dump-dom",
             instrumented.as_uri()],
            capture_output=True, text=True, timeout=120, check=True,
        ).stdout
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.DOTALL)
    assert found, "the measuring script did not run"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def test_no_text_is_clipped_in_the_browser(tmp_path: Path) -> None:
    for days in (1, 21, 31):
        assert _measured_overflow(_page(tmp_path, days)) == [], f"{days} day(s)"


def test_the_screenshot_has_nothing_against_the_window_edge(tmp_path: Path) -> None:
    shot = tmp_path / "page.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,1800",
             f"--screenshot={shot}", _page(tmp_path).as_uri()],
            capture_output=True, timeout=120, check=True,
        )
    image = Image.open(shot).convert("L")
    ink = image.point(lambda value: 255 if value < 200 else 0).getbbox()
    assert ink is not None and ink[2] < image.width - 16, f"something is drawn up to x={ink and ink[2]}"


def test_amounts_are_grouped_and_importers_named(tmp_path: Path) -> None:
    html = _page(tmp_path).read_text(encoding="utf-8")
    assert "5,153,252.79" in html and "3,184,901.99" in html and "5153252.79" not in html
    assert "Silver Birch Toys Ltd" in html
    assert re.search(r'class="tick">\d{1,3}(,000)+<', html), "the by-day axis is labelled with round values"


def test_axis_ticks_are_round_and_cover_the_top() -> None:
    assert axis_ticks(53_617_153) == [0, 20_000_000, 40_000_000, 60_000_000]  # $536,171.53: 0 to $600,000
    for top in (1, 99, 12_345, 53_617_153, 10**12):
        ticks = axis_ticks(top)
        assert ticks[0] == 0 and ticks[-1] >= top and len(ticks) <= 6
        step = ticks[1] - ticks[0]
        assert str(step // 100).strip("0") in {"1", "2", "5"}
