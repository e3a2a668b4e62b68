"""Reading the ledger for validation: the registry snapshot and the accepted-version history."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pipeline.ledger import DatabaseHistory, DeclarationStatus, load_registry, save_registry
from pipeline.registry import Broker, Importer, Provider, Registry
from tests import ledger_rows as rows


def test_registry_round_trips_through_the_database(ledger_engine: Engine) -> None:
    registry = Registry(
        providers={"SP00042": Provider("SP00042", "Harbour Customs Brokers")},
        importers={
            "123456782RM0001": Importer("123456782RM0001", "Maple Imports Ltd", Decimal("25000.00"), True),
            "987654321RM0002": Importer("987654321RM0002", "Birch Goods Inc", Decimal("0.00"), False),
        },
        brokers={"123456782": Broker("123456782", "Harbour Customs Brokers")},
        authorizations=frozenset({("SP00042", "123456782RM0001")}),
    )
    with Session(ledger_engine) as session, session.begin():
        save_registry(session, registry)
    with Session(ledger_engine) as session:
        assert load_registry(session) == registry
        assert load_registry(session).is_authorized("SP00042", "123456782RM0001")
        assert not load_registry(session).is_authorized("SP00042", "987654321RM0002")


def test_saving_again_updates_and_keeps_the_rest(ledger_engine: Engine) -> None:
    first = Registry(providers={"SP1": Provider("SP1", "Old name")}, importers={}, brokers={})
    with Session(ledger_engine) as session, session.begin():
        save_registry(session, first)
        save_registry(session, Registry(providers={"SP2": Provider("SP2", "Second")}))
        save_registry(session, Registry(providers={"SP1": Provider("SP1", "New name")}))
    with Session(ledger_engine) as session:
        assert load_registry(session).providers == {"SP1": Provider("SP1", "New name"), "SP2": Provider("SP2", "Second")}


def test_history_knows_the_latest_accepted_version_only(ledger_engine: Engine) -> None:
    with Session(ledger_engine) as session, session.begin():
        interchange_id = rows.interchange(session).id
        rows.declaration(session, interchange_id, version=1)
        rows.declaration(session, interchange_id, version=2, function="4")
        rows.declaration(session, interchange_id, version=3, function="4", status=DeclarationStatus.REJECTED)
    with Session(ledger_engine) as session:
        history = DatabaseHistory(session)
        assert history.latest_accepted_version("10207000002945") == 2
        assert history.latest_accepted_version("10207000009999") is None
