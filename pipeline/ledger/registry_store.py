"""The registry tables as the plain ``pipeline.registry.Registry`` that validation reads, and back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.ledger.models import Authorization, Broker, Importer, Provider
from pipeline.registry import Broker as BrokerEntry
from pipeline.registry import Importer as ImporterEntry
from pipeline.registry import Provider as ProviderEntry
from pipeline.registry import Registry


def load_registry(session: Session) -> Registry:
    """A snapshot of the registry tables."""
    providers = {row.id: ProviderEntry(row.id, row.name) for row in session.scalars(select(Provider))}
    importers = {
        row.bn15: ImporterEntry(row.bn15, row.name, row.security, row.rpp) for row in session.scalars(select(Importer))
    }
    brokers = {row.bn9: BrokerEntry(row.bn9, row.name) for row in session.scalars(select(Broker))}
    authorizations = frozenset(
        (row.provider_id, row.importer_bn15) for row in session.scalars(select(Authorization))
    )
    return Registry(providers, importers, brokers, authorizations)


def save_registry(session: Session, registry: Registry) -> None:
    """Add or update every record of ``registry`` (records absent from it are left alone)."""
    for provider in registry.providers.values():
        session.merge(Provider(id=provider.id, name=provider.name))
    for importer in registry.importers.values():
        session.merge(Importer(bn15=importer.bn15, name=importer.name, security=importer.security, rpp=importer.rpp))
    for broker in registry.brokers.values():
        session.merge(Broker(bn9=broker.bn9, name=broker.name))
    session.flush()  # parents first: authorizations refer to them
    for provider_id, bn15 in sorted(registry.authorizations):
        session.merge(Authorization(provider_id=provider_id, importer_bn15=bn15))
    session.flush()
