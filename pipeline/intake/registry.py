"""The registry in the ledger database: service providers, importers, brokers, and who may file for whom.

``carm registry …`` and ``carm registry load`` call these. Every identifier is checked before anything is
written, with a message naming the value and what is wrong (``RegistryError``, exit code 2): a sender ID is
3–17 characters A–Z 0–9 (spec/identifiers.md), an importer a valid BN15 RM program account, a broker a valid
BN9. Intake reads the registry back as ``pipeline.registry.Registry`` (``load_registry``) for A01, A02, A03
and B02.

An importer's security and RPP status left unstated (None) keep what the ledger holds, and a new importer gets
the defaults (``pipeline.registry.resolve_importer``, applied by ``save_registry`` in the writing transaction).
Each ``add_…`` returns the record as now registered. Database faults propagate as SQLAlchemy raises them: the
CLI reports them once for every command (``pipeline.commands.common.run``), Airflow retries them
(``pipeline.orchestration.faults``).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session
from stdnum.exceptions import ValidationError

from pipeline.errors import TerminalError
from pipeline.generate.world import registry_document
from pipeline.identifiers import business_number
from pipeline.ledger import Importer, Provider, load_registry, save_registry
from pipeline.registry import Broker as BrokerEntry
from pipeline.registry import Importer as ImporterEntry
from pipeline.registry import Provider as ProviderEntry
from pipeline.registry import Registry, load_registry_file

if TYPE_CHECKING:
    from pipeline.runtime import Runtime

SENDER_ID = re.compile(r"[A-Z0-9]{3,17}")
CENT = Decimal("0.01")


class RegistryError(TerminalError):
    """A registry record that cannot be stored: the message names the value and the rule."""


def check_sender_id(value: str) -> str:
    if not SENDER_ID.fullmatch(value or ""):
        raise RegistryError(f"service provider ID {value!r}: must be 3 to 17 characters A-Z 0-9")
    return value


def check_importer(value: str) -> str:
    try:
        number = business_number.validate_import_account(value)
    except ValidationError as exc:
        raise RegistryError(f"importer {value!r}: not a valid BN15 import account ({exc})") from None
    if number != value:
        raise RegistryError(f"importer {value!r}: write it as {number} (15 characters, no spaces)")
    return number


def check_broker(value: str) -> str:
    try:
        number = business_number.validate(value)
    except ValidationError as exc:
        raise RegistryError(f"broker {value!r}: not a valid BN9 ({exc})") from None
    if len(number) != 9 or number != value:
        raise RegistryError(f"broker {value!r}: a broker is registered by its 9-digit business number (BN9)")
    return number


def check_name(value: str, what: str) -> str:
    name = (value or "").strip()
    if not name or len(name) > 200:
        raise RegistryError(f"{what}: a name of 1 to 200 characters is required")
    return name


def check_security(value: Decimal | str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise RegistryError(f"security {value!r}: not an amount") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT):
        raise RegistryError(f"security {value!r}: a non-negative amount in dollars with at most 2 decimals")
    return amount.quantize(CENT)


def check_registry(registry: Registry) -> Registry:
    """Every record of ``registry`` checked; authorizations must name a provider and an importer that are in
    ``registry`` itself (the caller adds what the database already has)."""
    providers = {check_sender_id(p.id): ProviderEntry(p.id, check_name(p.name, f"provider {p.id}"))
                 for p in registry.providers.values()}
    importers = {
        check_importer(i.bn15): ImporterEntry(
            i.bn15, check_name(i.name, f"importer {i.bn15}"),
            None if i.security is None else check_security(i.security), None if i.rpp is None else bool(i.rpp),
        )
        for i in registry.importers.values()
    }
    brokers = {check_broker(b.bn9): BrokerEntry(b.bn9, check_name(b.name, f"broker {b.bn9}"))
               for b in registry.brokers.values()}
    for provider, importer in registry.authorizations:
        if provider not in providers:
            raise RegistryError(f"authorization of {provider!r} for {importer!r}: provider {provider!r} is not registered")
        if importer not in importers:
            raise RegistryError(f"authorization of {provider!r} for {importer!r}: importer {importer!r} is not registered")
    return Registry(providers, importers, brokers, registry.authorizations)


def _store(runtime: Runtime, registry: Registry) -> Registry:
    with Session(runtime.engine) as session, session.begin():
        return save_registry(session, registry)


def current(runtime: Runtime) -> Registry:
    with Session(runtime.engine) as session:
        return load_registry(session)


def add_provider(runtime: Runtime, provider_id: str, name: str) -> ProviderEntry:
    stored = _store(runtime, check_registry(Registry(providers={provider_id: ProviderEntry(provider_id, name)})))
    return stored.providers[provider_id]


def add_importer(runtime: Runtime, bn15: str, name: str, *, security: Decimal | str | None = None,
                 rpp: bool | None = None) -> ImporterEntry:
    """Register or update an importer; ``security`` or ``rpp`` None keeps the stored value (a new importer: no
    security, RPP)."""
    entry = ImporterEntry(bn15, name, security=None if security is None else check_security(security), rpp=rpp)
    return _store(runtime, check_registry(Registry(importers={bn15: entry}))).importers[bn15]


def add_broker(runtime: Runtime, bn9: str, name: str) -> BrokerEntry:
    return _store(runtime, check_registry(Registry(brokers={bn9: BrokerEntry(bn9, name)}))).brokers[bn9]


def authorize(runtime: Runtime, provider_id: str, bn15: str) -> tuple[str, str]:
    check_sender_id(provider_id)
    check_importer(bn15)
    with Session(runtime.engine) as session, session.begin():
        if session.get(Provider, provider_id) is None:
            raise RegistryError(f"provider {provider_id!r} is not registered (carm registry add-provider)")
        if session.get(Importer, bn15) is None:
            raise RegistryError(f"importer {bn15!r} is not registered (carm registry add-importer)")
        save_registry(session, Registry(authorizations=frozenset({(provider_id, bn15)})))
    return provider_id, bn15


def load_file(runtime: Runtime, path: str | Path) -> dict[str, int]:
    """Add or update every record of a registry CSV or JSON file; how many of each kind it held."""
    loaded = load_registry_file(path)
    existing = current(runtime)
    # Authorizations may name providers and importers registered before this file.
    combined = Registry(
        {**existing.providers, **loaded.providers}, {**existing.importers, **loaded.importers},
        {**existing.brokers, **loaded.brokers}, loaded.authorizations,
    )
    try:
        check_registry(combined)
    except RegistryError as exc:
        raise RegistryError(f"{path}: {exc}") from None
    _store(runtime, Registry(loaded.providers, loaded.importers, loaded.brokers, loaded.authorizations))
    return {"providers": len(loaded.providers), "importers": len(loaded.importers),
            "brokers": len(loaded.brokers), "authorizations": len(loaded.authorizations)}


def registry_listing(runtime: Runtime) -> dict[str, Any]:
    """The registry as the JSON document ``carm registry load`` reads."""
    return registry_document(current(runtime))
