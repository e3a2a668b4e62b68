"""The registry tables as the plain ``pipeline.registry.Registry`` that validation reads, and back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.ledger.models import Authorization, Broker, Importer, Provider
from pipeline.registry import Broker as BrokerEntry
from pipeline.registry import Importer as ImporterEntry
from pipeline.registry import Provider as ProviderEntry
from pipeline.registry import Registry, resolve_importer


def load_registry(session: Session) -> Registry:
    """A snapshot of the registry tables (read as plain rows: every batch of an intake reads it whole)."""
    providers = {id_: ProviderEntry(id_, name) for id_, name in session.execute(select(Provider.id, Provider.name))}
    importers = {
        bn15: ImporterEntry(bn15, name, security, rpp)
        for bn15, name, security, rpp in session.execute(
            select(Importer.bn15, Importer.name, Importer.security, Importer.rpp))
    }
    brokers = {bn9: BrokerEntry(bn9, name) for bn9, name in session.execute(select(Broker.bn9, Broker.name))}
    authorizations = frozenset(
        (provider_id, bn15) for provider_id, bn15 in session.execute(
            select(Authorization.provider_id, Authorization.importer_bn15))
    )
    return Registry(providers, importers, brokers, authorizations)


def save_registry(session: Session, registry: Registry) -> Registry:
    """Add or update every record of ``registry`` (records absent from it are left alone) and return them as
    now stored: an importer whose security or RPP status is not stated keeps the stored one
    (``pipeline.registry.resolve_importer``)."""
    for provider in registry.providers.values():
        session.merge(Provider(id=provider.id, name=provider.name))
    importers = {}
    for stated in registry.importers.values():
        # FOR UPDATE (PostgreSQL; SQLite's write transaction already excludes other writers): a concurrent
        # change of the security between this read and the write below must not be overwritten by the old value.
        row = session.get(Importer, stated.bn15, with_for_update=True)
        stored = None if row is None else ImporterEntry(row.bn15, row.name, row.security, row.rpp)
        importer = importers[stated.bn15] = resolve_importer(stated, stored)
        session.merge(Importer(bn15=importer.bn15, name=importer.name, security=importer.security, rpp=importer.rpp))
    for broker in registry.brokers.values():
        session.merge(Broker(bn9=broker.bn9, name=broker.name))
    session.flush()  # parents first: authorizations refer to them
    for provider_id, bn15 in sorted(registry.authorizations):
        session.merge(Authorization(provider_id=provider_id, importer_bn15=bn15))
    session.flush()
    return Registry(registry.providers, importers, registry.brokers, registry.authorizations)
