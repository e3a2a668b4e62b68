"""What intake posts and answers when the ledger already knows the transaction (SQLite and PostgreSQL): S13, DU,
B04/B05 from the ledger, corrections before and adjustments after the due date, cancellations, W02."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.intake import account, run_intake
from pipeline.ledger import InboxState
from pipeline.model import FilerAmount
from pipeline.runtime import Runtime
from tests.model_samples import IMPORTER, SENDER, TRANSACTION, valid_line
from tests.test_intake_answers import answers_of, edifact_answer
from tests.test_intake_support import (
    OTHER_SENDER,
    balance,
    cad,
    declarations,
    drop,
    edifact,
    inbox_rows,
    outbound,
    postings,
    runtime_on,
    transaction,
    xml,
)

ORIGINAL_DAY = "2025-05-06T10:00"  # released 2025-05-05: period 2025-05, due 2025-05-30, on time
DUTIES = ("assessment", "correction", "adjustment", "cancellation")


@pytest.fixture
def runtime(ledger_url: str, tmp_path: Path) -> Iterator[Runtime]:
    yield from runtime_on(ledger_url, tmp_path)

def intake(runtime, key: str, data: bytes, as_of: str):  # noqa: ANN001, ANN201
    drop(runtime, key, data)
    return run_intake(runtime, as_of=as_of)


def said(runtime, name: str, sender: str = SENDER) -> list[dict]:  # noqa: ANN001
    return answers_of(outbound(runtime), sender, name)["messages"]


def by_charge(runtime, kind: str, version: int) -> dict[str, Decimal]:  # noqa: ANN001
    return {str(p.charge_type): p.amount for p in postings(runtime, TRANSACTION) if p.kind == kind and p.version == version}


def test_same_interchange_reference_with_other_content_is_s13(runtime: Runtime) -> None:
    intake(runtime, f"{SENDER}/one.edi", edifact(cad(), reference="ICR1"), ORIGINAL_DAY)
    posted = len(postings(runtime))
    other = cad(number=transaction(5), value="2000.00")
    summary = intake(runtime, f"{SENDER}/two.edi", edifact(other, reference="ICR1"), ORIGINAL_DAY)
    assert summary.rejected_by_code == {"S13": 1}
    assert answers_of(outbound(runtime), SENDER, "two.edi") == {"contrl": "4", "messages": []}
    assert len(postings(runtime)) == posted
    # The same reference from another sender is another interchange; a new reference is a new one too.
    intake(runtime, f"{OTHER_SENDER}/x.xml", xml(cad(version=2, function="4", value="1500.00"), reference="ICR1",
                                                  sender=OTHER_SENDER), ORIGINAL_DAY)
    assert [m["status"] for m in said(runtime, "x.xml", OTHER_SENDER)] == ["AC"]


def test_a_resent_version_is_answered_du_and_posts_nothing(runtime: Runtime) -> None:
    intake(runtime, f"{SENDER}/one.edi", edifact(cad(), reference="ICR1"), ORIGINAL_DAY)
    before = postings(runtime)
    summary = intake(runtime, f"{SENDER}/resent.xml", xml(cad(), reference="ICR2"), "2025-05-07T10:00")
    assert (summary.accepted, summary.rejected, summary.duplicate) == (0, 0, 1)
    message = said(runtime, "resent.xml")
    assert [(m["status"], m["codes"], m["totals"]) for m in message] == [("DU", [], {})]
    assert [p.id for p in postings(runtime)] == [p.id for p in before]
    # Twice in one file: the first is accepted, the second is its duplicate.
    summary = intake(runtime, f"{SENDER}/twice.edi",
                     edifact(cad(version=2, function="4", value="1100.00"),
                             cad(version=2, function="4", value="1100.00", index=2), reference="ICR3"),
                     "2025-05-08T10:00")
    assert [m["status"] for m in said(runtime, "twice.edi")] == ["AC", "DU"]
    assert [d.status for d in declarations(runtime)][-2:] == ["accepted", "duplicate"]


def test_version_sequence_is_checked_against_the_ledger(runtime: Runtime) -> None:
    unknown = cad(number=transaction(3273), version=2, function="4")
    intake(runtime, f"{SENDER}/a.edi", edifact(cad(), unknown, reference="ICR1"), ORIGINAL_DAY)
    assert [(m["status"], m["codes"]) for m in said(runtime, "a.edi")] == [("AC", []), ("RE", ["B05"])]
    skipped = cad(version=3, function="4", value="1200.00")
    intake(runtime, f"{SENDER}/b.edi", edifact(skipped, reference="ICR2"), "2025-05-07T10:00")
    assert [(m["status"], m["codes"]) for m in said(runtime, "b.edi")] == [("RE", ["B04"])]
    assert {p.version for p in postings(runtime, TRANSACTION)} == {1}


def test_a_change_on_or_before_the_due_date_is_a_correction_of_the_original_period(runtime: Runtime) -> None:
    intake(runtime, f"{SENDER}/one.edi", edifact(cad(), reference="ICR1"), ORIGINAL_DAY)
    original = by_charge(runtime, "assessment", 1)
    intake(runtime, f"{SENDER}/two.edi", edifact(cad(version=2, function="4", value="2000.00"), reference="ICR2"),
           "2025-05-30T16:00")  # the due date itself
    corrections = [p for p in postings(runtime, TRANSACTION) if p.version == 2]
    assert corrections and {str(p.kind) for p in corrections} == {"correction"}
    assert {(p.period, p.due_date, p.interest_from) for p in corrections} == {("2025-05", date(2025, 5, 30), None)}
    # The difference only: original + correction = what version 2 assessed, as its answer says.
    totals = said(runtime, "two.edi")[0]["totals"]
    assert balance(runtime, TRANSACTION) == totals["TOT"]
    assert by_charge(runtime, "correction", 2)["customs_duty"] == totals["CUD"] - original["customs_duty"]
    assert totals["CUD"] > original["customs_duty"]


def test_a_change_after_the_due_date_is_an_adjustment_of_the_period_of_acceptance(runtime: Runtime) -> None:
    intake(runtime, f"{SENDER}/one.edi", edifact(cad(), reference="ICR1"), ORIGINAL_DAY)
    intake(runtime, f"{SENDER}/two.xml", xml(cad(version=2, function="4", value="2000.00"), reference="ICR2"),
           "2025-06-03T10:00")
    adjustments = [p for p in postings(runtime, TRANSACTION) if p.version == 2]
    assert adjustments and {str(p.kind) for p in adjustments} == {"adjustment"}
    assert {(p.period, p.due_date, p.posting_date) for p in adjustments} == {("2025-06", date(2025, 7, 2), date(2025, 6, 3))}
    # An increase bears interest from the day after the original due date (2025-05-30).
    assert {p.interest_from for p in adjustments if p.amount > 0} == {date(2025, 5, 31)}
    assert balance(runtime, TRANSACTION) == said(runtime, "two.xml")[0]["totals"]["TOT"]
    # A decrease (back to the original value) is a credit, bearing no interest.
    intake(runtime, f"{SENDER}/three.edi", edifact(cad(version=3, function="4", value="1000.00"), reference="ICR3"),
           "2025-06-04T10:00")
    credits = [p for p in postings(runtime, TRANSACTION) if p.version == 3]
    assert credits and all(p.amount < 0 and p.interest_from is None for p in credits)
    assert balance(runtime, TRANSACTION) == sum(by_charge(runtime, "assessment", 1).values())


def test_a_cancellation_reverses_everything_still_posted(runtime: Runtime) -> None:
    intake(runtime, f"{SENDER}/one.edi", edifact(cad(), reference="ICR1"), ORIGINAL_DAY)
    intake(runtime, f"{SENDER}/two.edi", edifact(cad(version=2, function="4", value="3000.00"), reference="ICR2"),
           "2025-05-20T10:00")
    assert balance(runtime, TRANSACTION) > 0
    intake(runtime, f"{SENDER}/three.xml", xml(cad(version=3, function="1"), reference="ICR3"), "2025-05-21T10:00")
    message = said(runtime, "three.xml")[0]
    assert message["status"] == "AC" and set(message["totals"].values()) == {Decimal("0.00")}
    assert list(message["lines"]) == [1] and set(message["lines"][1].values()) == {Decimal("0.00")}
    reversal = [p for p in postings(runtime, TRANSACTION) if p.version == 3]
    assert reversal and {str(p.kind) for p in reversal} == {"cancellation"}
    assert all(p.period == "2025-05" for p in reversal)  # before the due date: the original period
    assert balance(runtime, TRANSACTION) == Decimal("0.00")
    document = account(runtime, IMPORTER)
    assert document["balance"] == "0.00" and {p["kind"] for p in document["postings"]} == {"assessment", "correction", "cancellation"}


def test_late_accounting_is_warned_w02_and_posts_a_100_dollar_penalty(runtime: Runtime) -> None:
    # Released Monday 2025-05-05: the 6th business day after it is Tuesday 2025-05-13.
    intake(runtime, f"{SENDER}/on-time.edi", edifact(cad(number=transaction(3273)), reference="ICR1"), "2025-05-12T16:00")
    intake(runtime, f"{SENDER}/late.edi", edifact(cad(), reference="ICR2"), "2025-05-13T09:00")
    assert said(runtime, "on-time.edi")[0]["codes"] == []
    late = said(runtime, "late.edi")[0]
    assert late["status"] == "AC" and late["codes"] == ["W02"]
    penalties = [p for p in postings(runtime) if p.kind == "penalty"]
    assert [(p.transaction_number, p.amount, str(p.charge_type), p.period) for p in penalties] == [
        (TRANSACTION, Decimal("100.00"), "penalty", "2025-05")
    ]
    # The penalty is not part of what a cancellation reverses.
    two_lines = (valid_line(1), valid_line(2))
    intake(runtime, f"{SENDER}/cancel.edi", edifact(cad(version=2, function="1", lines=two_lines), reference="ICR3"),
           "2025-05-14T09:00")
    cancelled = said(runtime, "cancel.edi")[0]
    assert cancelled["status"] == "AC" and list(cancelled["lines"]) == [1, 2]
    assert {amount for line in cancelled["lines"].values() for amount in line.values()} == {Decimal("0.00")}
    assert balance(runtime, TRANSACTION, kinds=DUTIES) == Decimal("0.00")
    assert balance(runtime, TRANSACTION) == Decimal("100.00")
    assert all(row.state is InboxState.ANSWERED for row in inbox_rows(runtime))


def test_assessment_warnings_w01_and_w03_reach_the_answers_and_the_assessed_amounts_are_posted(
    runtime: Runtime,
) -> None:
    # W01: the filer declared 1.00 of customs duty on the worked example (assessed 110.40). W03: glazed ceramic
    # tiles from CN fall under the example SIMA measure S01, and the line names none.
    misdeclared = valid_line(1, filer_amounts=(FilerAmount("CUD", "1.00", ""),))
    undeclared = valid_line(2, classification="6907402100", unit="MTK", quantity="100", origin="CN", treatment="2")
    for name, write, number in (("warned.edi", edifact, transaction(41)), ("warned.xml", xml, transaction(42))):
        intake(runtime, f"{SENDER}/{name}", write(cad(number=number, lines=(misdeclared, undeclared))), ORIGINAL_DAY)
        [answer] = said(runtime, name)
        assert answer["status"] == "AC" and answer["codes"] == ["W01", "W03"], name
        assert answer["lines"][1]["CUD"] == Decimal("110.40") and answer["lines"][2]["ADD"] > 0
        posted = sum((p.amount for p in postings(runtime, number)), Decimal("0.00"))
        assert posted == answer["totals"]["TOT"]
    [stored] = [d for d in declarations(runtime) if d.transaction_number == transaction(41)]
    assert [f["code"] for f in stored.findings] == ["W01", "W03"]


def test_a_file_naming_another_sender_is_answered_to_the_provider_whose_folder_it_came_from(runtime: Runtime) -> None:
    intake(runtime, f"{SENDER}/claims-other.edi", edifact(cad(), sender=OTHER_SENDER), ORIGINAL_DAY)
    contrl = outbound(runtime)[f"{SENDER}/responses/claims-other.edi.contrl.edi"]
    segments = dict(edifact_answer(contrl))
    assert segments["UNB"][2][0] == SENDER  # addressed to who receives it
    assert segments["UCI"][:4] == [["ICR000017"], [OTHER_SENDER], ["CBSACARM"], ["4"]]  # echoes what the file said
    assert postings(runtime) == []
