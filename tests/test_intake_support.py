"""Shared helpers of the intake tests (no tests here): a runtime on a fresh ledger and local buckets, hand-built
submissions, and snapshots of the ledger, the inbox and the outbound bucket for exact comparisons.

A test module declares its ``runtime`` fixture with ``yield from runtime_on(ledger_url, tmp_path)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.ledger import (
    ControlNumber,
    DeclarationRecord,
    InboxEntry,
    InterchangeRecord,
    LineAssessment,
    Posting,
    save_registry,
)
from pipeline.model import Declaration, Interchange, Line
from pipeline.registry import Importer, Provider, Registry
from pipeline.runtime import Runtime, open_runtime
from pipeline.writers import edifact as edifact_writer
from pipeline.writers import xml as xml_writer
from tests.model_samples import IMPORTER, SENDER, TRANSACTION, valid_declaration, valid_line

OTHER_SENDER = "SP00099"
SECOND_IMPORTER = "100000009RM0001"
REASON = "C01"


def test_registry() -> Registry:
    """Two registered providers, both authorized for the worked example's importer."""
    return Registry(
        providers={SENDER: Provider(SENDER, "Acme Broker Software"), OTHER_SENDER: Provider(OTHER_SENDER, "Other SP")},
        importers={IMPORTER: Importer(IMPORTER, "Acme Imports Ltd", Decimal("5000.00"), True),
                   SECOND_IMPORTER: Importer(SECOND_IMPORTER, "Second Importer Inc", Decimal("0.00"), True)},
        authorizations=frozenset({(SENDER, IMPORTER), (OTHER_SENDER, IMPORTER), (SENDER, SECOND_IMPORTER)}),
    )


test_registry.__test__ = False  # type: ignore[attr-defined]  # a builder, not a test


def settings_for(home: Path, db_url: str, **environ: str) -> Settings:
    return Settings.from_env({"CARM_HOME": str(home), "CARM_DB_URL": db_url, **environ})


def make_runtime(home: Path, db_url: str, registry: Registry | None = None, **environ: str) -> Runtime:
    """A runtime on an already migrated ledger, with ``registry`` (default ``test_registry()``) saved."""
    runtime = open_runtime(settings_for(home, db_url, **environ), upgrade_schema=False)
    with Session(runtime.engine) as session, session.begin():
        save_registry(session, registry if registry is not None else test_registry())
    return runtime


def runtime_on(ledger_url: str, tmp_path: Path) -> Iterator[Runtime]:
    """For a module's ``runtime`` fixture: a runtime on a fresh ledger (SQLite or PostgreSQL), local buckets under
    ``tmp_path``, the test registry; disposed afterwards."""
    runtime = make_runtime(tmp_path / "home", ledger_url)
    yield runtime
    runtime.engine.dispose()


def another_ledger(db_backend: str, request: Any, tmp_path: Path) -> Iterator[str]:
    """For a module's second-ledger fixture: another fresh ledger on the backend of ``ledger_url`` (to compare a
    run with a clean one, or to stand for a ledger restored from an old backup)."""
    import shutil

    from tests import pgserver

    if db_backend == "sqlite":
        path = tmp_path / "another.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    with pgserver.schema(request.getfixturevalue("pg_database"),
                         script=request.getfixturevalue("pg_ledger_script")) as url:
        yield url


# --- submissions -----------------------------------------------------------------------------------------------

def transaction(sequence: int) -> str:
    """A valid transaction number of account security number 10207 (spec/identifiers.md)."""
    from pipeline.identifiers import transaction_number

    digits = f"10207{sequence:08d}"
    return digits + transaction_number.calc_check_digit(digits)


def cad(*, version: int = 1, function: str = "9", number: str = TRANSACTION, value: str = "1000.00",
        release: str = "2025-05-05", index: int = 1, lines: tuple[Line, ...] | None = None, **fields: Any) -> Declaration:
    """The worked example (tricycles from CN, US$1,000.00, released 2025-05-05), as version ``version``."""
    if function != "9":
        fields.setdefault("change_reason", REASON)
    return valid_declaration(
        style="edifact", index=index, transaction_number=number, version=f"{version:05d}", function=function,
        release_date=release, document_date=fields.pop("document_date", release),
        lines=lines if lines is not None else (valid_line(1, value=value),), **fields,
    )


def edifact(*declarations: Declaration, reference: str = "ICR000017", sender: str = SENDER) -> bytes:
    numbered = tuple(dataclasses.replace(d, message_reference=str(i)) for i, d in enumerate(declarations, 1))
    return edifact_writer.write_interchange(Interchange(
        syntax="edifact", sender=sender, recipient="CBSACARM", control_reference=reference,
        prepared_at="250505:0930", charset="UNOC", declarations=numbered,
    ))


def xml(*declarations: Declaration, reference: str = "XML000001", sender: str = SENDER) -> bytes:
    as_xml = tuple(dataclasses.replace(d, version=str(d.version_number)) for d in declarations)
    return xml_writer.write_interchange(Interchange(
        syntax="xml", sender=sender, recipient=None, control_reference=reference, declarations=as_xml,
    ))


def drop(runtime: Runtime, key: str, data: bytes) -> None:
    runtime.buckets.inbound.write(key, data)


# --- what the system holds -------------------------------------------------------------------------------------

def outbound(runtime: Runtime) -> dict[str, bytes]:
    store = runtime.buckets.outbound
    return {info.key: store.read(info.key) for info in store.list()}


def inbound_keys(runtime: Runtime) -> list[str]:
    return [info.key for info in runtime.buckets.inbound.list()]


def postings(runtime: Runtime, number: str | None = None) -> list[Posting]:
    with Session(runtime.engine) as session:
        query = select(Posting).order_by(Posting.id)
        if number is not None:
            query = query.where(Posting.transaction_number == number)
        return list(session.scalars(query))


def declarations(runtime: Runtime) -> list[DeclarationRecord]:
    with Session(runtime.engine) as session:
        return list(session.scalars(select(DeclarationRecord).order_by(DeclarationRecord.id)))


def inbox_rows(runtime: Runtime) -> list[InboxEntry]:
    with Session(runtime.engine) as session:
        return list(session.scalars(select(InboxEntry).order_by(InboxEntry.id)))


def balance(runtime: Runtime, number: str, *, kinds: tuple[str, ...] | None = None) -> Decimal:
    return sum((p.amount for p in postings(runtime, number) if kinds is None or p.kind in kinds), Decimal("0.00"))


# Columns that differ between two equivalent runs by nature: surrogate keys (PostgreSQL spends sequence numbers
# on rolled-back work), wall-clock stamps, and the attempt counter of a run that was interrupted.
VOLATILE = {"id", "posted_at", "created_at", "received_at", "updated_at", "issued_at", "attempts", "inbox_id",
            "interchange_id", "declaration_id", "last_error", "bucket"}  # bucket: the home folder differs


def _rows(session: Session, model: type, order: tuple) -> list[dict[str, Any]]:
    columns = [c for c in model.__table__.columns if c.name not in VOLATILE]
    return [dict(row._mapping) for row in session.execute(select(*columns).order_by(*order))]


def ledger_snapshot(runtime: Runtime) -> dict[str, list[dict[str, Any]]]:
    """Everything intake writes, comparable across two runs (see ``VOLATILE``)."""
    with Session(runtime.engine) as session:
        return {
            "inbox": _rows(session, InboxEntry, (InboxEntry.key, InboxEntry.etag)),
            "interchanges": _rows(session, InterchangeRecord, (InterchangeRecord.sender_id,
                                                               InterchangeRecord.control_reference)),
            "declarations": _rows(session, DeclarationRecord, (DeclarationRecord.source_sha256,
                                                               DeclarationRecord.message_reference)),
            "line_assessments": [
                dict(r._mapping) for r in session.execute(
                    select(DeclarationRecord.source_sha256, DeclarationRecord.message_reference,
                           *[c for c in LineAssessment.__table__.columns if c.name not in VOLATILE])
                    .join(DeclarationRecord, DeclarationRecord.id == LineAssessment.declaration_id)
                    .order_by(DeclarationRecord.source_sha256, DeclarationRecord.message_reference, LineAssessment.line)
                )
            ],
            "postings": _rows(session, Posting, (Posting.source, Posting.transaction_number, Posting.version,
                                                 Posting.kind, Posting.charge_type)),
            "control_numbers": [r.sender_id for r in session.scalars(select(ControlNumber).order_by(ControlNumber.id))],
        }


def day(text: str) -> date:
    return date.fromisoformat(text)
