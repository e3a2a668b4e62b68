"""Daily notices (billing.md "Daily Notice"): for each importer with postings on a posting date, one XML file
listing every posting of that date — CADs with their amounts by charge type, corrections, adjustments,
cancellations, payments received, interest, penalties — each with its due date. No file when there was no
activity. Issuing the notices of a date again writes the same bytes (nothing in them depends on when they
were issued), plus whatever was posted on that date since.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from lxml import etree

from pipeline.billing.ledger_read import payments_frame, posting_frame
from pipeline.billing.payments import EASTERN
from pipeline.billing.render_xml import element, serialize, xml_text
from pipeline.billing.statements import CHARGE_TYPES
from pipeline.money import format_cents
from pipeline.storage import layout

__all__ = ["NoticeSummary", "NoticesSummary", "daily_notice_xml", "issue_daily_notices"]

_DECLARATION_KINDS = ("assessment", "correction", "adjustment", "cancellation")


@dataclass(frozen=True, slots=True)
class NoticeSummary:
    importer: str
    key: str
    postings: int
    total_cents: int


@dataclass(frozen=True, slots=True)
class NoticesSummary:
    on: date
    notices: tuple[NoticeSummary, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "date": self.on.isoformat(),
            "notices": len(self.notices),
            "postings": sum(notice.postings for notice in self.notices),
            "importers": [
                {"importer": n.importer, "key": n.key, "postings": n.postings, "total": format_cents(n.total_cents)}
                for n in self.notices
            ],
        }


def _text(value: Any) -> str:
    return "" if value is None or value is pd.NA or value != value else str(value)


def daily_notice_xml(
    importer: str, name: str, on: date, postings: pd.DataFrame, payments: pd.DataFrame
) -> bytes:
    """The notice of one importer for one posting date. ``postings`` are that importer's postings of the date
    (``ledger_read.posting_frame`` columns); ``payments`` the loaded payments (for time received and method)."""
    root = element(None, "DailyNotice")
    who = element(root, "Importer")
    element(who, "ID", importer)
    element(who, "Name", xml_text(name))
    element(root, "NoticeDate", on.isoformat())

    declared = postings[postings["kind"].isin(_DECLARATION_KINDS) & postings["transaction_number"].notna()]
    if not declared.empty:
        block = element(root, "Declarations")
        keys = ["transaction_number", "version", "kind", "period", "due_date"]
        grouped = declared.assign(version=declared["version"].astype("Int64").astype(str))
        for (txn, version, kind, period, due), group in grouped.groupby(keys, sort=True, dropna=False):
            attrib = {"transaction": txn, "version": _text(version) if version != "<NA>" else "", "kind": kind,
                      "period": period}
            if _text(due):
                attrib["dueDate"] = _text(due)
            if not attrib["version"]:
                del attrib["version"]
            entry = element(block, "Declaration", attrib=attrib)
            by_charge = group.groupby("charge_type")["cents"].sum()
            for charge in CHARGE_TYPES:
                if charge in by_charge.index:
                    element(entry, "Charge", format_cents(int(by_charge[charge])), {"type": charge})
            for charge in sorted(set(by_charge.index) - set(CHARGE_TYPES)):
                element(entry, "Charge", format_cents(int(by_charge[charge])), {"type": charge})
            element(entry, "Total", format_cents(int(group["cents"].sum())))

    paid = postings[postings["kind"] == "payment"]
    if not paid.empty:
        block = element(root, "Payments")
        details = payments.set_index("payment_id") if not payments.empty else None
        for row in paid.sort_values(["source", "id"]).itertuples(index=False):
            attrib = {"id": row.source, "period": row.period}
            if details is not None and row.source in details.index:
                found = details.loc[row.source]
                attrib["receivedAt"] = found["received_at"].astimezone(EASTERN).isoformat()
                attrib["method"] = found["method"]
            attrib["amount"] = format_cents(int(row.cents))
            element(block, "Payment", attrib=attrib)

    others = postings[postings["kind"].isin(("interest", "penalty"))]
    if not others.empty:
        block = element(root, "InterestAndPenalties")
        for row in others.sort_values(["kind", "id"]).itertuples(index=False):
            attrib = {"kind": row.kind, "period": row.period}
            if _text(row.transaction_number):
                attrib["transaction"] = _text(row.transaction_number)
            if _text(row.due_date):
                attrib["dueDate"] = _text(row.due_date)
            attrib["amount"] = format_cents(int(row.cents))
            element(block, "Interest" if row.kind == "interest" else "Penalty", attrib=attrib)

    element(root, "Total", format_cents(int(postings["cents"].sum())))
    return serialize(root)


def issue_daily_notices(runtime: Any, on: date) -> NoticesSummary:
    """Write ``importers/<BN15>/daily-notices/<yyyy-mm-dd>.xml`` for every importer with postings on ``on``."""
    from sqlalchemy import select

    from pipeline.ledger import Importer

    with runtime.engine.connect() as connection:
        postings = posting_frame(connection, posting_date=on.isoformat())
        if postings.empty:
            return NoticesSummary(on, ())
        paid = postings[postings["kind"] == "payment"]
        ids = set(paid["source"])
        payments = payments_frame(connection, importers=set(paid["importer"])) if ids else pd.DataFrame(columns=["payment_id"])
        if ids:
            payments = payments[payments["payment_id"].isin(ids)]
        importers = sorted(set(postings["importer"]))
        names = dict(connection.execute(select(Importer.bn15, Importer.name).where(Importer.bn15.in_(importers))).all())
    notices: list[NoticeSummary] = []
    for importer, group in postings.groupby("importer", sort=True):
        key = layout.daily_notice_key(importer, on)
        runtime.buckets.outbound.write(key, daily_notice_xml(importer, names.get(importer, ""), on, group, payments))
        notices.append(NoticeSummary(importer, key, len(group), int(group["cents"].sum())))
    return NoticesSummary(on, tuple(notices))


def notice_entries(document: bytes) -> Sequence[etree._Element]:
    """The entries of a notice (declarations, payments, interest, penalties), for readers and tests."""
    root = etree.fromstring(document)
    return root.xpath("//*[local-name()='Declaration' or local-name()='Payment' or local-name()='Interest' "
                      "or local-name()='Penalty']")
