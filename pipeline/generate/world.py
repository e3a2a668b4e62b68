"""The synthetic world the submissions come from: service providers, importers, brokers, authorizations.

Each service provider either is a customs broker's EDI account (its CADs name the broker) or an importer's own
filing software (no broker). A few large importers use every provider: they make the A03 fault possible
without an A02 beside it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from stdnum import luhn

from pipeline.generate import names
from pipeline.identifiers import business_number
from pipeline.registry import (
    Broker,
    Importer,
    Provider,
    Registry,
    authorization_document,
    broker_document,
    importer_document,
    provider_document,
)


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    id: str
    name: str
    index: int  # position in the world, decides its block of account security numbers
    broker: Broker | None  # the customs broker filing through this account; None: importers file themselves
    importers: tuple[str, ...]  # BN15s it is authorized for, sorted
    weight: int  # relative share of the traffic


@dataclass(frozen=True, slots=True)
class World:
    registry: Registry
    providers: tuple[ProviderProfile, ...]
    shared_importers: tuple[str, ...]  # authorized for every provider

    @property
    def importers(self) -> Mapping[str, Importer]:
        return self.registry.importers

    def provider(self, provider_id: str) -> ProviderProfile:
        return next(p for p in self.providers if p.id == provider_id)

    def unauthorized_importer(self, provider_id: str, rng: random.Random) -> str | None:
        """A registered importer this provider may not file for (None if it may file for all)."""
        allowed = set(self.provider(provider_id).importers)
        candidates = sorted(bn15 for bn15 in self.registry.importers if bn15 not in allowed)
        return rng.choice(candidates) if candidates else None

    def unregistered_provider_id(self, rng: random.Random) -> str:
        while True:
            candidate = f"SP{rng.randint(1, 99999):05d}"
            if candidate not in self.registry.providers:
                return candidate


def new_bn9(rng: random.Random, taken: set[str]) -> str:
    while True:
        body = f"{rng.randint(10_000_000, 99_999_999)}"
        number = body + luhn.calc_check_digit(body)
        if number not in taken and business_number.is_valid(number):
            taken.add(number)
            return number


def new_import_account(rng: random.Random, taken: set[str]) -> str:
    """A valid BN15 RM account nobody else in ``taken`` holds."""
    bn15 = f"{new_bn9(rng, taken)}RM{rng.choice(('0001', '0001', '0001', '0002', '0003'))}"
    assert business_number.is_valid_import_account(bn15), bn15
    return bn15


def build_world(rng: random.Random, *, providers: int, importers: int) -> World:
    if providers < 1:
        raise ValueError("a world needs at least one service provider")
    if providers > 89:
        raise ValueError("at most 89 service providers (each owns a block of account security numbers)")
    taken: set[str] = set()
    provider_ids: list[str] = []
    while len(provider_ids) < providers:
        candidate = f"SP{rng.randint(1, 99999):05d}"
        if candidate not in provider_ids:
            provider_ids.append(candidate)

    importer_records = []
    for _ in range(max(importers, providers + 2)):
        bn15 = new_import_account(rng, taken)
        security = Decimal(rng.randint(1, 50) * 5000).quantize(Decimal("0.01"))
        importer_records.append(Importer(bn15, names.canadian_company(rng), security, True))

    # A few importers use every provider; a few have no provider authorized yet (their CADs draw A02).
    shared_count = max(1, len(importer_records) // 10)
    orphan_count = max(1, len(importer_records) // 20)
    shared = tuple(sorted(i.bn15 for i in importer_records[:shared_count]))
    own: dict[str, set[str]] = {pid: set(shared) for pid in provider_ids}
    for position, importer in enumerate(importer_records[shared_count:-orphan_count]):
        home = provider_ids[position % providers]
        own[home].add(importer.bn15)
        if providers > 1 and rng.random() < 0.1:
            own[rng.choice([p for p in provider_ids if p != home])].add(importer.bn15)

    broker_accounts = max(1, (2 * providers + 2) // 3)  # about two thirds of the accounts are brokers'
    profiles = []
    brokers: dict[str, Broker] = {}
    for index, pid in enumerate(provider_ids):
        broker = None
        if index < broker_accounts:
            broker = Broker(new_bn9(rng, taken), names.broker_company(rng))
            brokers[broker.bn9] = broker
        profiles.append(
            ProviderProfile(
                pid, names.provider_name(rng), index, broker, tuple(sorted(own[pid])), weight=rng.randint(2, 10)
            )
        )
    registry = Registry(
        providers=MappingProxyType({p.id: Provider(p.id, p.name) for p in profiles}),
        importers=MappingProxyType({i.bn15: i for i in importer_records}),
        brokers=MappingProxyType(brokers),
        authorizations=frozenset((pid, bn15) for pid, allowed in own.items() for bn15 in allowed),
    )
    return World(registry, tuple(profiles), shared)


def registry_document(registry: Registry) -> dict:
    """The registry in the JSON form ``carm registry load`` reads (pipeline/registry.py)."""
    return {
        "providers": [provider_document(p) for p in sorted(registry.providers.values(), key=lambda p: p.id)],
        "importers": [importer_document(i) for i in sorted(registry.importers.values(), key=lambda i: i.bn15)],
        "brokers": [broker_document(b) for b in sorted(registry.brokers.values(), key=lambda b: b.bn9)],
        "authorizations": [authorization_document(p, i) for p, i in sorted(registry.authorizations)],
    }
