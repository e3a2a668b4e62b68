"""A scripted pair of billing periods, closed end to end on SQLite and PostgreSQL, with every statement figure
computed by hand below.

Calendar (billing.md): period 2026-02 runs 2026-01-18 .. 2026-02-17, statement 2026-02-25, due 2026-03-03 (the
10th weekday after Tue 17 Feb: 18 19 20 23 24 25 26 27 Mar-2 Mar-3). Period 2026-03 runs 2026-02-18 .. 2026-03-17,
statement 2026-03-25, due 2026-03-31. Test rates: prescribed 3 % in 2026-Q1, so the specified rate is 9 %.

Importer A (Maple Imports, RPP, no security):
  period 2026-02   T1 v1 02-02 assessment  duty 1,000.00  GST 550.00
                   T2 v1 02-10 assessment  duty   200.00  GST  60.00
                   T2 v2 02-12 correction  duty   -50.00  GST  -2.50   (lines now 150.00 / 57.50)
                   T3 v1 02-16 assessment  duty   300.00  GST 100.00
                   T3 v2 02-20 cancellation duty -300.00  GST -100.00
                   P1    02-20 electronic payment 500.00
  statement 2026-02: charges duty 1,000 + 200 - 50 + 300 - 300 = 1,150.00; GST 550 + 60 - 2.50 + 100 - 100 =
                   607.50; payments -500.00; closing 0 + 1,757.50 - 500.00 = 1,257.50.
  then             T1 v2 02-27 correction  duty   100.00  GST   5.00   (before the due date: period 2026-02)
                   P2    03-03 16:30 EST cheque 1,000.00: after the 16:00 cut-off, counts on Wed 03-04 (late)
                   T4 v1 03-05 assessment  duty   400.00  GST 120.00   (period 2026-03)
                   T2 v3 03-10 adjustment  duty    40.00  GST   2.00   (after the due date: period 2026-03,
                                                                        interest from 03-04, the original due + 1)
                   P3    03-16 23:30 EDT electronic 300.00 (03-17 03:30 UTC: still the 16th in Eastern time)
  application, oldest first: P1 500 -> T1 duty (500 of 1,000); P2 1,000 -> T1 duty 500, T1 GST 500 of 550;
                   P3 300 -> T1 GST 50, T2 duty 150, T2 GST 57.50, T1-correction duty 42.50 of 100.
  overdue principal: due-03-03 debts 1,000 + 550 + 150 + 57.50 + 100 + 5 = 1,862.50, less P1 500 = 1,362.50 on
                   03-03; from 03-04 less P2: 362.50, plus the adjustment 42.00 (back-dated to 03-04) = 404.50
                   for 03-04 .. 03-15 (12 days); from 03-16 less P3: 62.50 + 42.00 = 104.50 for 03-16 .. 03-17.
  interest (daily, r = 9/36500): 404.50 x ((1 + r)^12 - 1) = 1.198501..; day 13: (104.50 + 1.198501) x r =
                   0.026063..; day 14: (104.50 + 1.224564) x r = 0.026069.. ; total 1.250633.. -> 1.25.
  penalty: statement 2026-02 closed at 1,257.50 and nothing was paid by 03-03 (P2 counts 03-04): 200.00.
  statement 2026-03: previous 1,257.50; payments -1,300.00; corrections 105.00; charges duty 400.00 GST 120.00;
                   adjustments 42.00; interest 1.25; penalties 200.00;
                   closing 1,257.50 - 1,300 + 105 + 520 + 42 + 1.25 + 200 = 825.75.

Importer B (Érable Trading, no RPP): T5 v1 02-05 duty 100.00 GST 20.00; P4 02-06 electronic 200.00 -> 120 applied,
  80.00 credit: statement 2026-02 closes at -80.00. T6 v1 03-02 duty 50.00 GST 10.00 takes 60.00 of the credit:
  statement 2026-03 previous -80.00, charges 60.00, closing -20.00; no interest, no penalty.

Importer C (Cedar Freight, RPP, security 10,000.00): T7 v1 03-03 duty 20,000.00 GST 1,000.00: closing
  21,000.00, due 03-31. Security: 50 % of 21,000.00 = 10,500.00 required, shortfall 500.00. A needs the
  $5,000.00 floor (50 % of its highest period, 2026-02's 1,757.50 + 105.00 = 1,862.50, is 931.25): shortfall
  5,000.00. B has no RPP: not reviewed.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.billing import close_period, issue_daily_notices, load_payments
from pipeline.errors import TerminalError
from pipeline.ledger import PaymentApplication, Posting
from pipeline.storage import layout
from tests.billing_usecase_helpers import LedgerScript, make_runtime, payments_csv

A, B, C = "123456782RM0001", "111111118RM0001", "222222226RM0001"
BROKER_1, BROKER_2 = "123456789", "987654321"
NS = {"b": "urn:carm-pipeline:billing:1"}


def by_hand_interest() -> Decimal:
    """The interest of A for period 2026-03, from the closed form above (independent of the day-by-day loop)."""
    with localcontext() as context:
        context.prec = 50
        r = Decimal(9) / Decimal(36500)
        accrued = Decimal("404.50") * ((1 + r) ** 12 - 1)
        for _ in range(2):
            accrued += (Decimal("104.50") + accrued) * r
        return accrued


def script_period(script: LedgerScript) -> None:
    script.importer(A, "Maple Imports Ltd", security="0.00", rpp=True)
    script.importer(B, "Érable Trading", security="0.00", rpp=False)
    script.importer(C, "Cedar Freight Inc", security="10000.00", rpp=True)
    script.broker(BROKER_1, "Harbour Customs Brokers")
    script.broker(BROKER_2, "Prairie Brokerage")
    feb = dict(period="2026-02", due=date(2026, 3, 3))
    duty_gst = lambda duty, gst: {"customs_duty": duty, "gst": gst}  # noqa: E731
    script.cad(A, "10207000000011", 1, accepted_on=date(2026, 2, 2), **feb, broker=BROKER_1,
               postings=duty_gst("1000.00", "550.00"), lines=duty_gst("1000.00", "550.00"))
    script.cad(A, "10207000000022", 1, accepted_on=date(2026, 2, 10), **feb, broker=BROKER_1,
               postings=duty_gst("200.00", "60.00"), lines=duty_gst("200.00", "60.00"))
    script.cad(A, "10207000000022", 2, accepted_on=date(2026, 2, 12), **feb, broker=BROKER_1, kind="correction",
               postings=duty_gst("-50.00", "-2.50"), lines=duty_gst("150.00", "57.50"))
    script.cad(A, "10207000000033", 1, accepted_on=date(2026, 2, 16), **feb, broker=BROKER_1,
               postings=duty_gst("300.00", "100.00"), lines=duty_gst("300.00", "100.00"))
    script.cad(A, "10207000000033", 2, accepted_on=date(2026, 2, 20), **feb, broker=BROKER_1, kind="cancellation",
               postings=duty_gst("-300.00", "-100.00"))
    script.cad(B, "10207000000055", 1, accepted_on=date(2026, 2, 5), **feb, broker=BROKER_2,
               postings=duty_gst("100.00", "20.00"), lines=duty_gst("100.00", "20.00"))


def script_after_first_close(script: LedgerScript) -> None:
    feb, mar = dict(period="2026-02", due=date(2026, 3, 3)), dict(period="2026-03", due=date(2026, 3, 31))
    duty_gst = lambda duty, gst: {"customs_duty": duty, "gst": gst}  # noqa: E731
    script.cad(A, "10207000000011", 2, accepted_on=date(2026, 2, 27), **feb, broker=BROKER_1, kind="correction",
               postings=duty_gst("100.00", "5.00"), lines=duty_gst("1100.00", "555.00"))
    script.cad(B, "10207000000066", 1, accepted_on=date(2026, 3, 2), **mar, broker=BROKER_2,
               postings=duty_gst("50.00", "10.00"), lines=duty_gst("50.00", "10.00"))
    script.cad(C, "10207000000077", 1, accepted_on=date(2026, 3, 3), **mar, broker=BROKER_1,
               postings=duty_gst("20000.00", "1000.00"), lines=duty_gst("20000.00", "1000.00"))
    script.cad(A, "10207000000044", 1, accepted_on=date(2026, 3, 5), **mar, broker=BROKER_1,
               postings=duty_gst("400.00", "120.00"), lines=duty_gst("400.00", "120.00"))
    # An adjustment is posted in the period it is accepted in and is payable with it.
    script.cad(A, "10207000000022", 3, accepted_on=date(2026, 3, 10), **mar, broker=BROKER_1, kind="adjustment",
               postings=duty_gst("40.00", "2.00"), lines=duty_gst("190.00", "59.50"), interest_from=date(2026, 3, 4))


FIRST_PAYMENTS = payments_csv(
    ("P1", A, "500.00", "2026-02-20T10:00:00-05:00", "electronic"),
    ("P4", B, "200.00", "2026-02-06T12:00:00-05:00", "eft"),
)
SECOND_PAYMENTS = payments_csv(
    ("P2", A, "1000.00", "2026-03-03T16:30:00-05:00", "cheque"),
    ("P3", A, "300.00", "2026-03-16T23:30:00-04:00", "electronic"),
)


@pytest.fixture
def scripted(ledger_url: str, tmp_path: Path):  # noqa: ANN201
    runtime = make_runtime(ledger_url, tmp_path)
    script = LedgerScript(runtime.engine)
    script_period(script)
    yield runtime, script
    runtime.engine.dispose()


def statement_of(summary, importer):  # noqa: ANN001, ANN201
    return next(s for s in summary.as_json()["statements"] if s["importer"] == importer)


def pdf_figures(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_two_scripted_periods_close_to_the_figures_computed_by_hand(scripted) -> None:  # noqa: ANN001
    runtime, script = scripted
    first = load_payments(runtime, FIRST_PAYMENTS, "first.csv", as_of="2026-02-24")
    assert [p.payment_id for p in first.loaded] == ["P1", "P4"] and not first.problems
    february = close_period(runtime, "2026-02", as_of="2026-02-25", pdf_workers=1)
    assert february.as_json()["due_date"] == "2026-03-03"
    assert statement_of(february, A) == {
        "importer": A, "previous_balance": "0.00", "payments": "-500.00", "corrections": "0.00",
        "charges": {"customs_duty": "1150.00", "surtax": "0.00", "sima": "0.00", "excise_duty": "0.00",
                    "excise_tax": "0.00", "gst": "607.50"},
        "adjustments": "0.00", "interest": "0.00", "penalties": "0.00", "closing_balance": "1257.50",
    }
    assert statement_of(february, B)["closing_balance"] == "-80.00"
    assert february.reconciliation.differences == ()

    script_after_first_close(script)
    second = load_payments(runtime, SECOND_PAYMENTS, "second.csv", as_of="2026-03-20")
    assert second.effective == {"P2": date(2026, 3, 4), "P3": date(2026, 3, 16)}
    march = close_period(runtime, "2026-03", as_of="2026-03-25", pdf_workers=1)
    document = march.as_json()
    assert (document["period"], document["start"], document["end"], document["statement_date"],
            document["due_date"]) == ("2026-03", "2026-02-18", "2026-03-17", "2026-03-25", "2026-03-31")

    interest = by_hand_interest()
    assert abs(interest - Decimal("1.250633")) < Decimal("0.000001")
    assert statement_of(march, A) == {
        "importer": A, "previous_balance": "1257.50", "payments": "-1300.00", "corrections": "105.00",
        "charges": {"customs_duty": "400.00", "surtax": "0.00", "sima": "0.00", "excise_duty": "0.00",
                    "excise_tax": "0.00", "gst": "120.00"},
        "adjustments": "42.00", "interest": f"{interest.quantize(Decimal('0.01'))}", "penalties": "200.00",
        "closing_balance": "825.75",
    }
    assert statement_of(march, B) == {
        "importer": B, "previous_balance": "-80.00", "payments": "0.00", "corrections": "0.00",
        "charges": {"customs_duty": "50.00", "surtax": "0.00", "sima": "0.00", "excise_duty": "0.00",
                    "excise_tax": "0.00", "gst": "10.00"},
        "adjustments": "0.00", "interest": "0.00", "penalties": "0.00", "closing_balance": "-20.00",
    }
    assert statement_of(march, C)["closing_balance"] == "21000.00"
    assert document["security_review"] == [
        {"importer": A, "required": "5000.00", "posted": "0.00", "shortfall": "5000.00"},
        {"importer": C, "required": "10500.00", "posted": "10000.00", "shortfall": "500.00"},
    ]
    assert document["reconciliation"] == {"differences": []}

    with Session(runtime.engine) as session:
        # B's credit from P4 was carried forward and offset against T6 at the close: 120.00 + 60.00 applied.
        applied_p4 = session.scalar(select(func.sum(PaymentApplication.amount)).where(PaymentApplication.payment_id == "P4"))
        assert applied_p4 == Decimal("180.00")
        applied_p3 = session.execute(
            select(PaymentApplication.posting_id, PaymentApplication.amount).where(PaymentApplication.payment_id == "P3")
        ).all()
        assert sorted(amount for _, amount in applied_p3) == [Decimal("42.50"), Decimal("50.00"), Decimal("57.50"), Decimal("150.00")]


def test_statement_xml_csv_and_pdf_agree_to_the_cent(scripted, db_backend: str) -> None:  # noqa: ANN001
    runtime, script = scripted
    workers = 2 if db_backend == "sqlite" else 1  # worker processes once: spawning them is the slow part
    load_payments(runtime, FIRST_PAYMENTS, "first.csv", as_of="2026-02-24")
    close_period(runtime, "2026-02", as_of="2026-02-25", pdf_workers=1)
    script_after_first_close(script)
    load_payments(runtime, SECOND_PAYMENTS, "second.csv", as_of="2026-03-20")
    march = close_period(runtime, "2026-03", as_of="2026-03-25", pdf_workers=workers)
    assert march.pdf_workers == workers and march.pdf_count == 3

    outbound = runtime.buckets.outbound
    for statement in march.as_json()["statements"]:
        importer = statement["importer"]
        xml = etree.fromstring(outbound.read(layout.statement_key(importer, "2026-03", "xml")))
        rows = list(csv.DictReader(io.StringIO(outbound.read(layout.statement_key(importer, "2026-03", "csv")).decode())))
        text = pdf_figures(outbound.read(layout.statement_key(importer, "2026-03", "pdf")))

        closing = statement["closing_balance"]
        assert xml.findtext("b:Summary/b:ClosingBalance", namespaces=NS) == closing
        assert xml.findtext("b:Summary/b:PreviousBalance", namespaces=NS) == statement["previous_balance"]
        assert [r["amount"] for r in rows if r["record"] == "closing_balance"] == [closing]
        assert [r["amount"] for r in rows if r["record"] == "opening_balance"] == [statement["previous_balance"]]
        # Opening + every posting row = closing, in the CSV and in the XML.
        csv_total = sum(Decimal(r["amount"]) for r in rows if r["record"] != "closing_balance")
        xml_total = Decimal(statement["previous_balance"]) + sum(
            Decimal(a) for a in xml.xpath("b:Postings/b:Posting/@amount", namespaces=NS)
        )
        assert csv_total == xml_total == Decimal(closing)
        # Sections: the CSV's posting rows summed by section give the statement's figures.
        for section in ("payments", "corrections", "adjustments", "interest", "penalties"):
            shown = sum(Decimal(r["amount"]) for r in rows if r["section"] == section)
            assert shown == Decimal(statement[section])
        # The PDF shows every summary figure and the closing balance, with thousands separators.
        figures = {line.split()[-1].replace(",", "") for line in text.splitlines() if line.split()}
        for amount in [statement["previous_balance"], statement["payments"], closing,
                       *statement["charges"].values()]:
            assert amount in figures, (importer, amount)
        if Decimal(closing) > 0:
            assert f"Amount due on 2026-03-31: ${Decimal(closing):,.2f}" in text
        posting_amounts = re.findall(r"-?[\d,]+\.\d\d", text)
        assert len(posting_amounts) >= len([r for r in rows if r["record"] == "posting"])

    pdf_a = pdf_figures(outbound.read(layout.statement_key(B, "2026-03", "pdf")))
    assert "Erable Trading" in pdf_a or "Érable Trading" in pdf_a
    assert "Credit carried forward: $20.00" in pdf_a

    broker = etree.fromstring(outbound.read(layout.broker_statement_key(BROKER_1, "2026-03")))
    sections = broker.xpath("b:ImporterSection/b:Importer/b:ID/text()", namespaces=NS)
    assert sections == [A, C]
    assert broker.xpath("b:ImporterSection[1]/b:Summary/b:ClosingBalance/text()", namespaces=NS) == ["825.75"]
    # Only this broker's transactions are listed in its section (no payments, interest or penalties).
    kinds = set(broker.xpath("b:ImporterSection[1]/b:Postings/b:Posting/@kind", namespaces=NS))
    assert kinds == {"assessment", "correction", "adjustment"}
    assert set(outbound.list("brokers/")) and layout.broker_statement_key(BROKER_2, "2026-03") in {
        info.key for info in outbound.list("brokers/")
    }

    reconciliation = outbound.read(layout.finance_key("2026-03", "reconciliation.csv")).decode()
    assert "No differences" in reconciliation
    page = outbound.read(layout.finance_key("2026-03", "reconciliation.html")).decode()
    assert page.count("<svg") == 2 and "<script" not in page and "No differences" in page


def test_closing_a_period_twice_changes_nothing(scripted) -> None:  # noqa: ANN001
    runtime, script = scripted
    load_payments(runtime, FIRST_PAYMENTS, "first.csv", as_of="2026-02-24")
    close_period(runtime, "2026-02", as_of="2026-02-25", pdf_workers=1)
    script_after_first_close(script)
    load_payments(runtime, SECOND_PAYMENTS, "second.csv", as_of="2026-03-20")
    first = close_period(runtime, "2026-03", as_of="2026-03-25", pdf_workers=1)
    outbound = runtime.buckets.outbound
    snapshot = {info.key: outbound.read(info.key) for info in outbound.list("")}
    with Session(runtime.engine) as session:
        postings_before = session.scalar(select(func.count()).select_from(Posting))
    # A payment that arrives after the close is not on the closed statement, even when it is back-dated.
    load_payments(runtime, payments_csv(("P9", A, "25.00", "2026-03-24T09:00:00-04:00", "electronic")), "late.csv",
                  as_of="2026-03-26")
    again = close_period(runtime, "2026-03", as_of="2026-04-02", pdf_workers=1)
    assert again.already_closed and not first.already_closed
    assert again.as_json() == first.as_json()
    with Session(runtime.engine) as session:
        assert session.scalar(select(func.count()).select_from(Posting)) == postings_before + 1  # P9 only
    for key, data in snapshot.items():
        assert outbound.read(key) == data, key
    # 2026-02, closed before, is re-issued unchanged; 2026-01, never closed, can no longer be.
    assert close_period(runtime, "2026-02", as_of="2026-04-02", pdf_workers=1).already_closed
    with pytest.raises(TerminalError, match="periods close in order"):
        close_period(runtime, "2026-01", as_of="2026-04-02", pdf_workers=1)


def test_daily_notices_list_every_posting_of_the_day_with_its_due_date(scripted) -> None:  # noqa: ANN001
    runtime, script = scripted
    load_payments(runtime, FIRST_PAYMENTS, "first.csv", as_of="2026-02-24")
    notices = issue_daily_notices(runtime, date(2026, 2, 12))
    assert [(n.importer, n.postings, n.total_cents) for n in notices.notices] == [(A, 2, -5250)]
    key = layout.daily_notice_key(A, date(2026, 2, 12))
    document = runtime.buckets.outbound.read(key)
    root = etree.fromstring(document)
    (declaration,) = root.xpath("b:Declarations/b:Declaration", namespaces=NS)
    assert dict(declaration.attrib) == {
        "transaction": "10207000000022", "version": "2", "kind": "correction", "period": "2026-02",
        "dueDate": "2026-03-03",
    }
    assert {c.get("type"): c.text for c in declaration.xpath("b:Charge", namespaces=NS)} == {
        "customs_duty": "-50.00", "gst": "-2.50",
    }
    assert root.findtext("b:Total", namespaces=NS) == "-52.50"

    # The 20th: T3's cancellation and the payment P1 (on its effective date, received time in Eastern time).
    on_20th = issue_daily_notices(runtime, date(2026, 2, 20))
    assert [(n.importer, n.postings) for n in on_20th.notices] == [(A, 3)]
    payments_day = etree.fromstring(runtime.buckets.outbound.read(layout.daily_notice_key(A, date(2026, 2, 20))))
    (payment,) = payments_day.xpath("b:Payments/b:Payment", namespaces=NS)
    assert (payment.get("id"), payment.get("amount"), payment.get("receivedAt"), payment.get("method")) == (
        "P1", "-500.00", "2026-02-20T10:00:00-05:00", "electronic"
    )
    (cancellation,) = payments_day.xpath("b:Declarations/b:Declaration", namespaces=NS)
    assert (cancellation.get("kind"), cancellation.findtext("b:Total", namespaces=NS)) == ("cancellation", "-400.00")
    # No activity, no notice; the same date again gives the same bytes.
    assert issue_daily_notices(runtime, date(2026, 2, 14)).notices == ()
    assert not runtime.buckets.outbound.exists(layout.daily_notice_key(A, date(2026, 2, 14)))
    issue_daily_notices(runtime, date(2026, 2, 12))
    assert runtime.buckets.outbound.read(key) == document
