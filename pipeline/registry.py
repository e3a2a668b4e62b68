"""The registry as plain data: service providers, importers, brokers, and who may file for whom.

The ledger database holds the registry in production (``carm registry …``); validation only sees this
snapshot, so it stays pure. ``load_registry_file`` reads the CSV or JSON form that ``carm registry load`` takes.

JSON: ``{"providers": [{"id", "name"}], "importers": [{"bn15", "name", "security", "rpp"}],
"brokers": [{"bn9", "name"}], "authorizations": [{"provider", "importer"}]}``.
CSV: a header ``kind,id,name,security,rpp,importer`` and one record per row, ``kind`` being ``provider``,
``importer``, ``broker`` or ``authorization`` (for an authorization, ``id`` is the provider and ``importer`` the
BN15).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pipeline.errors import TerminalError


@dataclass(frozen=True, slots=True)
class Provider:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Importer:
    bn15: str
    name: str
    security: Decimal = Decimal("0.00")
    rpp: bool = True


@dataclass(frozen=True, slots=True)
class Broker:
    bn9: str
    name: str


@dataclass(frozen=True, slots=True)
class Registry:
    providers: Mapping[str, Provider] = field(default_factory=dict)
    importers: Mapping[str, Importer] = field(default_factory=dict)
    brokers: Mapping[str, Broker] = field(default_factory=dict)
    authorizations: frozenset[tuple[str, str]] = frozenset()  # (provider id, importer BN15)

    def is_authorized(self, provider_id: str, bn15: str) -> bool:
        return (provider_id, bn15) in self.authorizations


class RegistryFileError(TerminalError):
    pass


def _truthy(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "y", "rpp")


def _amount(text: str, where: str) -> Decimal:
    try:
        return Decimal(text.strip() or "0").quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise RegistryFileError(f"{where}: security {text!r} is not an amount") from exc


def parse_registry(text: str, name: str) -> Registry:
    providers: dict[str, Provider] = {}
    importers: dict[str, Importer] = {}
    brokers: dict[str, Broker] = {}
    authorizations: set[tuple[str, str]] = set()
    if name.lower().endswith(".json"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RegistryFileError(f"{name}: not JSON ({exc})") from exc
        try:
            for p in doc.get("providers", []):
                providers[p["id"]] = Provider(p["id"], p["name"])
            for i in doc.get("importers", []):
                importers[i["bn15"]] = Importer(
                    i["bn15"], i["name"], _amount(str(i.get("security", "0")), name), bool(i.get("rpp", True))
                )
            for b in doc.get("brokers", []):
                brokers[b["bn9"]] = Broker(b["bn9"], b["name"])
            for a in doc.get("authorizations", []):
                authorizations.add((a["provider"], a["importer"]))
        except (KeyError, TypeError) as exc:
            raise RegistryFileError(f"{name}: record lacks field {exc}") from exc
    else:
        rows = csv.DictReader(io.StringIO(text))
        for number, row in enumerate(rows, start=2):
            where = f"{name}, row {number}"
            kind = (row.get("kind") or "").strip().lower()
            ident = (row.get("id") or "").strip()
            if kind == "provider":
                providers[ident] = Provider(ident, row.get("name", "").strip())
            elif kind == "importer":
                importers[ident] = Importer(
                    ident, row.get("name", "").strip(), _amount(row.get("security") or "0", where),
                    _truthy(row.get("rpp") or "yes"),
                )
            elif kind == "broker":
                brokers[ident] = Broker(ident, row.get("name", "").strip())
            elif kind == "authorization":
                authorizations.add((ident, (row.get("importer") or "").strip()))
            else:
                raise RegistryFileError(f"{where}, column kind: unknown kind {kind!r}")
    return Registry(providers, importers, brokers, frozenset(authorizations))


def load_registry_file(path: str | Path) -> Registry:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryFileError(f"{path}: cannot read ({exc.strerror})") from exc
    return parse_registry(text, str(path))
