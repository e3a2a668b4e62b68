"""Many rows in one statement (``pipeline.ledger.bulk``: COPY on PostgreSQL): stored exactly as an INSERT would
store them, and a value the database refuses raises the SQLAlchemy exception an INSERT would."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from pipeline.ledger import (
    ChargeType,
    DeclarationRecord,
    DeclarationStatus,
    LineAssessment,
    Posting,
    PostingKind,
)
from pipeline.ledger.bulk import insert_many, insert_returning_ids
from pipeline.orchestration.faults import FaultKind, classify
from tests import ledger_rows as rows

AMOUNTS = ("vfd", "customs_duty", "surtax", "sima", "excise_duty", "excise_tax", "vft", "gst", "total")


def posting_row(declaration_id: int, charge: ChargeType, amount: Decimal, **fields: object) -> dict[str, object]:
    return {
        "importer_bn15": rows.BN15, "posting_date": rows.TODAY, "posted_at": rows.NOW, "kind": PostingKind.ASSESSMENT,
        "charge_type": charge, "amount": amount, "transaction_number": "10207000002945", "version": 1,
        "declaration_id": declaration_id, "period": "2025-06", "due_date": date(2025, 7, 2), "interest_from": None,
        "source": rows.SHA, "engine_version": "carm-pipeline 0.1.0", **fields,
    }


def declaration_id(session: Session) -> int:
    rows.importer(session)
    return rows.declaration(session, rows.interchange(session).id).id


def test_rows_are_stored_as_an_insert_stores_them(ledger_engine: Engine) -> None:
    amounts = [Decimal("9999999999999999.99"), Decimal("-0.01"), Decimal("12.30")]
    with Session(ledger_engine) as session, session.begin():
        owner = declaration_id(session)
        insert_many(session.connection(), Posting.__table__, [
            posting_row(owner, charge, amount)
            for charge, amount in zip((ChargeType.CUSTOMS_DUTY, ChargeType.GST, ChargeType.SIMA), amounts, strict=True)
        ])
        insert_many(session.connection(), LineAssessment.__table__, [{
            "declaration_id": owner, "line": 1, "classification": "0101210010", "treatment": "2", "origin": "US",
            **{name: Decimal("1.05") for name in AMOUNTS}, "explanation": {"gst": {"rate": "5%", "note": "a\tb\\c\n"}},
        }])
    with Session(ledger_engine) as session:
        stored = session.scalars(select(Posting).order_by(Posting.id)).all()
        line = session.scalars(select(LineAssessment)).one()
    assert [(p.charge_type, p.kind, p.amount, p.posted_at, p.interest_from) for p in stored] == [
        (ChargeType.CUSTOMS_DUTY, PostingKind.ASSESSMENT, amounts[0], rows.NOW, None),
        (ChargeType.GST, PostingKind.ASSESSMENT, amounts[1], rows.NOW, None),
        (ChargeType.SIMA, PostingKind.ASSESSMENT, amounts[2], rows.NOW, None),
    ]
    assert line.explanation == {"gst": {"rate": "5%", "note": "a\tb\\c\n"}}
    assert line.total == Decimal("1.05") and line.classification == "0101210010"


def test_a_refused_row_raises_what_an_insert_raises_and_is_not_an_outage(ledger_engine: Engine) -> None:
    with Session(ledger_engine) as session, session.begin():
        owner = declaration_id(session)
    with Session(ledger_engine) as session:  # each attempt rolled back
        again = [posting_row(owner, ChargeType.GST, Decimal("1.00"))] * 2  # one posting per charge and kind
        with pytest.raises(IntegrityError) as collided:
            insert_many(session.connection(), Posting.__table__, again)
        assert classify(collided.value) is FaultKind.UNEXPECTED
    with Session(ledger_engine) as session:
        unknown = [posting_row(owner, ChargeType.GST, Decimal("1.00"), importer_bn15="999999999RM9999")]
        with pytest.raises(IntegrityError):  # a foreign key
            insert_many(session.connection(), Posting.__table__, unknown)
    with Session(ledger_engine) as session:
        with pytest.raises((DataError, StatementError)) as refused:  # more than NUMERIC(18, 2) holds
            insert_many(session.connection(), Posting.__table__,
                        [posting_row(owner, ChargeType.GST, Decimal("10000000000000000.00"))])
        assert "10000000000000000" in str(refused.value)
    with Session(ledger_engine) as session:
        assert session.scalars(select(Posting)).all() == []


def test_generated_ids_come_back_in_row_order_and_are_the_stored_ones(ledger_engine: Engine) -> None:
    """``insert_returning_ids`` (declarations: COPY with ids drawn from the sequence on PostgreSQL): each row's
    id is the one stored with it, in the order of the rows, and a later ordinary insert gets a fresh id."""
    with Session(ledger_engine) as session, session.begin():
        rows.importer(session)
        interchange = rows.interchange(session).id
        first = rows.declaration(session, interchange, transaction_number="10207000000001").id
        sent = [{
            "interchange_id": interchange, "transaction_number": f"1020700000{n:04d}", "version": 1, "function": "9",
            "cad_type": "AB", "importer_bn15": rows.BN15, "status": DeclarationStatus.REJECTED, "received_on": rows.TODAY,
            "source_sha256": rows.SHA, "created_at": rows.NOW, "findings": [{"code": "B03", "n": n}],
        } for n in range(7, 0, -1)]
        ids = insert_returning_ids(session.connection(), DeclarationRecord.__table__, sent)
        after = rows.declaration(session, interchange, transaction_number="10207000000002").id
    assert len(set(ids)) == len(sent) and first not in ids and after not in ids
    with Session(ledger_engine) as session:
        stored = {d.id: (d.transaction_number, d.findings) for d in session.scalars(select(DeclarationRecord))}
    assert [stored[i] for i in ids] == [(row["transaction_number"], row["findings"]) for row in sent]


def test_money_refuses_an_int_even_after_the_same_amount_as_a_decimal(ledger_engine: Engine) -> None:
    """Bulk conversion remembers each amount converted; an int equal to a remembered Decimal is still refused."""
    with Session(ledger_engine) as session, session.begin():
        owner = declaration_id(session)
        with pytest.raises(StatementError) as refused:
            insert_many(session.connection(), Posting.__table__, [
                posting_row(owner, ChargeType.GST, Decimal("5")), posting_row(owner, ChargeType.GST, 5),
            ])
    assert isinstance(refused.value.orig, TypeError)


def test_json_documents_are_stored_as_the_standard_library_reads_them(ledger_engine: Engine) -> None:
    """Findings and explanations are written with orjson; what is read back is the document, including keys
    that are not text and integers beyond 64 bits (which orjson refuses and the standard library writes)."""
    from pipeline.ledger.database import json_text

    document = {"gst": {"rate": "5%", "note": "é\tb\\c\n"}, 7: [1, 2], "huge": 2**70}
    assert json.loads(json_text(document)) == {"gst": {"rate": "5%", "note": "é\tb\\c\n"}, "7": [1, 2], "huge": 2**70}
    with Session(ledger_engine) as session, session.begin():
        owner = declaration_id(session)
        insert_many(session.connection(), LineAssessment.__table__, [{
            "declaration_id": owner, "line": 1, "classification": "0101210010", "treatment": "2", "origin": "US",
            **{name: Decimal("1.05") for name in AMOUNTS}, "explanation": document,
        }])
    with Session(ledger_engine) as session:
        assert session.scalars(select(LineAssessment)).one().explanation == json.loads(json.dumps(document))
