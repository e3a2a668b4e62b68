"""The reconciliation page for finance (``finance/<period>/reconciliation.html``) and the reconciliation and
security-review CSVs.

The page is one self-contained file: inline CSS and two inline SVG bar charts generated here (the period's
assessed amounts by charge type and by day) — no script, no CDN, readable offline and archivable. Bar lengths
are computed in integer arithmetic from cents; every figure printed is the exact decimal amount.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from pipeline.billing.reconcile import CheckRow, Reconciliation
from pipeline.billing.render_csv import csv_bytes
from pipeline.billing.security import ReviewRow
from pipeline.billing.statements import CHARGE_TITLES
from pipeline.money import format_cents, format_cents_grouped

shown = format_cents_grouped  # amounts on the page; the CSVs keep the plain decimal text

__all__ = ["reconciliation_csv", "reconciliation_html", "security_review_csv"]

RECONCILIATION_COLUMNS = (
    "record", "check", "importer", "expected", "actual", "difference", "status", "message", "transactions",
)
CHECK_TITLES = {
    "assessed_vs_posted": "Line assessments = postings (per transaction and charge type)",
    "posted_vs_statement": "Postings = statement totals",
    "previous_balance": "Previous statement balance = its postings today",
    "statement_xml": "Statement XML = statement data",
    "statement_csv": "Statement CSV = statement data",
    "payments_posted": "Payments loaded = payment postings",
    "payments_applied": "Payments loaded = applied + credits left",
}


def _status(row: CheckRow) -> str:
    return "agrees" if row.difference_cents == 0 else "DIFFERENCE"


def reconciliation_csv(reconciliation: Reconciliation) -> bytes:
    """One ``check`` row per check and importer (``ALL``: the period), one ``difference`` row per difference
    with the transactions that cause it, and a final ``status`` row saying whether there is any."""
    rows: list[Sequence[object]] = [
        ("check", row.check, row.importer, format_cents(row.expected_cents), format_cents(row.actual_cents),
         format_cents(row.difference_cents), _status(row), "", "")
        for row in reconciliation.rows
    ]
    rows.extend(
        ("difference", d.check, d.importer, format_cents(d.expected_cents), format_cents(d.actual_cents),
         format_cents(d.actual_cents - d.expected_cents), "DIFFERENCE", d.message, " ".join(d.transactions))
        for d in reconciliation.differences
    )
    rows.append(("status", "", "ALL", "", "", "", "agrees" if not reconciliation.differences else "DIFFERENCE",
                 reconciliation.status, ""))
    return csv_bytes(RECONCILIATION_COLUMNS, rows)


def security_review_csv(review: Sequence[ReviewRow], names: Mapping[str, str]) -> bytes:
    return csv_bytes(
        ("importer", "name", "required", "posted", "shortfall"),
        (
            (row.importer, names.get(row.importer, ""), format_cents(row.required_cents),
             format_cents(row.posted_cents), format_cents(row.shortfall_cents))
            for row in review
        ),
    )


def _bar_chart_horizontal(title: str, items: Sequence[tuple[str, int]]) -> str:
    width, label_width, bar_height, gap, value_width = 720, 150, 22, 8, 130
    span = width - label_width - value_width
    top = max([abs(cents) for _, cents in items] + [1])
    height = len(items) * (bar_height + gap) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for index, (label, cents) in enumerate(items):
        y = 5 + index * (bar_height + gap)
        length = max(cents, 0) * span // top
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" class="label">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar_height}" class="bar"/>'
            f'<text x="{label_width + length + 6}" y="{y + 16}" class="value">{shown(cents)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def axis_ticks(top_cents: int, most: int = 5) -> list[int]:
    """Round tick values (cents) from 0 to at least ``top_cents``: steps of 1, 2 or 5 × 10^k dollars, at most
    ``most`` steps, so the axis reads 0, 100,000, 200,000 … rather than arbitrary figures."""
    dollars = max(-(-top_cents // 100), 1)
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if -(-dollars // step) <= most:
                return [n * step * 100 for n in range(-(-dollars // step) + 1)]
        magnitude *= 10


def _bar_chart_vertical(title: str, items: Sequence[tuple[str, int]]) -> str:
    """Bars by day over a labelled axis of round values (dollars), every day named under its bar."""
    plot_height, top_margin, bottom, left, right = 220, 12, 78, 96, 48
    slot = 26 if len(items) <= 31 else max(6, 900 // max(len(items), 1))
    plot_width = slot * max(len(items), 1)
    width = left + plot_width + right  # room on the right for the last day's slanted label
    ticks = axis_ticks(max([cents for _, cents in items] + [1]))
    scale_top = ticks[-1]
    baseline = top_margin + plot_height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{baseline + bottom}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for tick in ticks:
        y = baseline - tick * plot_height // scale_top
        parts.append(
            f'<line x1="{left}" y1="{y}" x2="{left + plot_width}" y2="{y}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" class="tick">{escape(_whole_dollars(tick))}</text>'
        )
    parts.append(f'<line x1="{left}" y1="{top_margin}" x2="{left}" y2="{baseline}" class="axis"/>'
                 f'<line x1="{left}" y1="{baseline}" x2="{left + plot_width}" y2="{baseline}" class="axis"/>')
    for index, (day, cents) in enumerate(items):
        x = left + index * slot
        length = max(cents, 0) * plot_height // scale_top
        parts.append(
            f'<rect x="{x + 3}" y="{baseline - length}" width="{slot - 6}" height="{length}" class="bar">'
            f'<title>{escape(day)}: {shown(cents)}</title></rect>'
            f'<text x="{x + slot // 2}" y="{baseline + 10}" class="tick" '
            f'transform="rotate(60 {x + slot // 2} {baseline + 10})">{escape(day)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _whole_dollars(cents: int) -> str:
    return f"{cents // 100:,}"


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem;color:#1b1b1b;max-width:1100px}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5rem 0} td,th{padding:.25rem .6rem;border-bottom:1px solid #e3e3e3;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums} .ok{color:#176b2c;font-weight:600}
.bad{color:#a4161a;font-weight:600} .banner{padding:.8rem 1rem;border-radius:6px;margin:1rem 0}
.banner.ok{background:#e6f4ea} .banner.bad{background:#fde8e8} .muted{color:#666}
svg .bar{fill:#2f6db5} svg .label,svg .value{font-size:12px} svg .tick{font-size:10px} svg .axis{stroke:#888} svg .grid{stroke:#e3e3e3}
"""


def reconciliation_html(
    reconciliation: Reconciliation,
    review: Sequence[ReviewRow],
    statements_count: int,
    broker_count: int,
    names: Mapping[str, str],
) -> bytes:
    """The page finance reads: amounts as people write them (thousands separated), charts with labelled axes."""
    window = reconciliation.window
    ok = not reconciliation.differences
    totals = [row for row in reconciliation.rows if row.importer == "ALL"]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Reconciliation {escape(window.period)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Period close reconciliation — {escape(window.period)}</h1>",
        f'<p class="muted">Billing period {window.start.isoformat()} to {window.end.isoformat()}; statement date '
        f"{window.statement_date.isoformat()}; payment due {window.due_date.isoformat()}; "
        f"{statements_count} importer statement(s), {broker_count} broker statement(s); postings up to id "
        f"{window.high_water_mark}.</p>",
        f'<div class="banner {"ok" if ok else "bad"}">{escape(reconciliation.status)}</div>',
        "<h2>Checks (period totals)</h2>",
        '<table><tr><th>Check</th><th class="n">Expected</th><th class="n">Actual</th><th class="n">Difference</th>'
        "<th>Status</th></tr>",
    ]
    for row in totals:
        status = _status(row)
        out.append(
            f"<tr><td>{escape(CHECK_TITLES.get(row.check, row.check))}</td><td class=n>{shown(row.expected_cents)}"
            f"</td><td class=n>{shown(row.actual_cents)}</td><td class=n>{shown(row.difference_cents)}</td>"
            f'<td class="{"ok" if status == "agrees" else "bad"}">{status}</td></tr>'
        )
    out.append("</table>")
    out.append("<h2>Differences</h2>")
    if ok:
        out.append(f'<p class="ok">{escape(reconciliation.status)} The difference list is empty.</p>')
    else:
        out.append(
            '<table><tr><th>Importer</th><th>Check</th><th class="n">Expected</th><th class="n">Actual</th>'
            "<th>What differs</th><th>Transactions</th></tr>"
        )
        for d in reconciliation.differences:
            out.append(
                f"<tr><td>{escape(d.importer)}</td><td>{escape(d.check)}</td><td class=n>{shown(d.expected_cents)}"
                f"</td><td class=n>{shown(d.actual_cents)}</td><td>{escape(d.message)}</td>"
                f"<td>{escape(', '.join(d.transactions))}</td></tr>"
            )
        out.append("</table>")
    charges = [(CHARGE_TITLES[charge], cents) for charge, cents in reconciliation.by_charge_type.items()]
    out.append("<h2>Assessed amounts of the period by charge type (CAD)</h2>")
    out.append(_bar_chart_horizontal("Assessed amounts by charge type", charges))
    out.append(
        f'<p class="muted">Total {shown(sum(c for _, c in charges))}: assessments, corrections, '
        "cancellations and adjustments on this period's statements.</p>"
    )
    out.append("<h2>Assessed amounts of the period by posting day (CAD)</h2>")
    days = list(reconciliation.by_day.items())
    if days:
        out.append(_bar_chart_vertical("Assessed amounts by day", days))
        out.append('<table><tr><th>Day</th><th class="n">Assessed</th></tr>')
        out.extend(f"<tr><td>{escape(day)}</td><td class=n>{shown(cents)}</td></tr>" for day, cents in days)
        out.append("</table>")
    else:
        out.append("<p>No amounts were assessed on this period's statements.</p>")
    out.append("<h2>RPP security review</h2>")
    if review:
        out.append(
            f"<p>{len(review)} importer(s) with Release Prior to Payment have posted less security than required "
            "(50% of the highest period of duties and taxes in the last 12 periods, $5,000 to $10,000,000).</p>"
            '<table><tr><th>Importer</th><th>Name</th><th class="n">Required</th><th class="n">Posted</th>'
            '<th class="n">Shortfall</th></tr>'
        )
        out.extend(
            f"<tr><td>{escape(row.importer)}</td><td>{escape(names.get(row.importer, ''))}</td>"
            f"<td class=n>{shown(row.required_cents)}</td>"
            f"<td class=n>{shown(row.posted_cents)}</td><td class=n>{shown(row.shortfall_cents)}</td></tr>"
            for row in review
        )
        out.append("</table>")
    else:
        out.append("<p>Every RPP importer has posted the security required.</p>")
    out.append("</body></html>\n")
    return "\n".join(out).encode("utf-8")
