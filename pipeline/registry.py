"""The registry as plain data: service providers, importers, brokers, and who may file for whom.

The ledger database holds the registry in production (``carm registry …``); validation only sees this
snapshot, so it stays pure. ``load_registry_file`` reads the CSV or JSON form that ``carm registry load`` takes.

JSON: ``{"providers": [{"id", "name"}], "importers": [{"bn15", "name", "security", "rpp"}],
"brokers": [{"bn9", "name"}], "authorizations": [{"provider", "importer"}]}``.
CSV: a header ``kind,id,name,security,rpp,importer`` and one record per row, ``kind`` being ``provider``,
``importer``, ``broker`` or ``authorization`` (for an authorization, ``id`` is the provider and ``importer`` the
BN15).

An importer's ``security`` and ``rpp`` may be left out (blank in CSV, missing or null in JSON; omitted options of
``carm registry add-importer``): the record then says nothing about them, and storing it keeps what the ledger
already holds, or gives a new importer ``NEW_IMPORTER_SECURITY`` and ``NEW_IMPORTER_RPP``
(``resolve_importer``). Renaming an importer must not reset its security, which the period-close security
review compares with what it owes.
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


#: What a new importer gets when its record states no security or RPP status.
NEW_IMPORTER_SECURITY = Decimal("0.00")
NEW_IMPORTER_RPP = True


@dataclass(frozen=True, slots=True)
class Importer:
    bn15: str
    name: str
    security: Decimal | None = None  # None: not stated (see the module docstring); never None when read back
    rpp: bool | None = None  # idem


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


def resolve_importer(stated: Importer, stored: Importer | None) -> Importer:
    """The importer as it is to be stored: what ``stated`` leaves out is kept from ``stored`` (the ledger's
    record), or, for a new importer, the defaults."""
    if stored is None:
        stored = Importer(stated.bn15, stated.name, NEW_IMPORTER_SECURITY, NEW_IMPORTER_RPP)
    return Importer(
        stated.bn15, stated.name,
        stored.security if stated.security is None else stated.security,
        stored.rpp if stated.rpp is None else stated.rpp,
    )


# The JSON of each kind of record: ``carm registry list --json``, ``carm registry load`` and the documents the
# ``carm registry add-…`` commands print share these key names.


def provider_document(provider: Provider) -> dict[str, str]:
    return {"id": provider.id, "name": provider.name}


def importer_document(importer: Importer) -> dict[str, str | bool | None]:
    security = None if importer.security is None else f"{importer.security:.2f}"
    return {"bn15": importer.bn15, "name": importer.name, "security": security, "rpp": importer.rpp}


def broker_document(broker: Broker) -> dict[str, str]:
    return {"bn9": broker.bn9, "name": broker.name}


def authorization_document(provider_id: str, bn15: str) -> dict[str, str]:
    return {"provider": provider_id, "importer": bn15}


def _truthy(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "y", "rpp")


def _amount(text: str, where: str) -> Decimal | None:
    """The security of a record; None when the field is blank (not stated)."""
    if not text.strip():
        return None
    try:
        return Decimal(text.strip()).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise RegistryFileError(f"{where}: security {text!r} is not an amount") from exc


def _flag(value: object, where: str) -> bool | None:
    """The RPP status of a JSON record: true/false (or the CSV spellings); None when missing, null or blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _truthy(value)
    raise RegistryFileError(f"{where}: rpp {value!r} is not true or false")


_JSON_SECTIONS = {
    "providers": ("id", "name"),
    "importers": ("bn15", "name"),
    "brokers": ("bn9", "name"),
    "authorizations": ("provider", "importer"),
}


def _json_records(doc: dict, section: str, name: str) -> list[tuple[str, dict]]:
    """The records of one section as (where, record), each checked to be an object whose required fields are
    text, so that a malformed file is reported here, naming the record, rather than failing further on."""
    records = doc.get(section, [])
    if not isinstance(records, list):
        raise RegistryFileError(f"{name}: {section!r} must be a list of records, not {_json_kind(records)}")
    checked = []
    for index, record in enumerate(records):
        where = f"{name}, {section}[{index}]"
        if not isinstance(record, dict):
            raise RegistryFileError(f"{where}: a record must be an object, not {_json_kind(record)}")
        for required in _JSON_SECTIONS[section]:
            if required not in record:
                raise RegistryFileError(f"{where}: record lacks field {required!r}")
            if not isinstance(record[required], str):
                raise RegistryFileError(f"{where}: field {required!r} must be text, not {_json_kind(record[required])}")
        checked.append((where, record))
    return checked


def _json_kind(value: object) -> str:
    return {dict: "an object", list: "an array", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")


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
        if not isinstance(doc, dict):
            raise RegistryFileError(f"{name}: expected a JSON object with providers, importers, brokers and "
                                    f"authorizations (as carm registry list --json prints), not {_json_kind(doc)}")
        for _, p in _json_records(doc, "providers", name):
            providers[p["id"]] = Provider(p["id"], p["name"])
        for where, i in _json_records(doc, "importers", name):
            security = i.get("security")
            importers[i["bn15"]] = Importer(
                i["bn15"], i["name"], None if security is None else _amount(str(security), where),
                _flag(i.get("rpp"), where),
            )
        for _, b in _json_records(doc, "brokers", name):
            brokers[b["bn9"]] = Broker(b["bn9"], b["name"])
        for _, a in _json_records(doc, "authorizations", name):
            authorizations.add((a["provider"], a["importer"]))
    else:
        rows = csv.DictReader(io.StringIO(text))
        try:
            for number, row in enumerate(rows, start=2):
                where = f"{name}, row {number}"
                kind = (row.get("kind") or "").strip().lower()
                ident = (row.get("id") or "").strip()
                if kind == "provider":
                    providers[ident] = Provider(ident, (row.get("name") or "").strip())
                elif kind == "importer":
                    rpp = (row.get("rpp") or "").strip()
                    importers[ident] = Importer(
                        ident, (row.get("name") or "").strip(), _amount(row.get("security") or "", where),
                        _truthy(rpp) if rpp else None,
                    )
                elif kind == "broker":
                    brokers[ident] = Broker(ident, (row.get("name") or "").strip())
                elif kind == "authorization":
                    authorizations.add((ident, (row.get("importer") or "").strip()))
                else:
                    raise RegistryFileError(f"{where}, column kind: unknown kind {kind!r}")
        except csv.Error as exc:
            raise RegistryFileError(f"{name}, line {rows.line_num}: not CSV ({exc})") from exc
    return Registry(providers, importers, brokers, frozenset(authorizations))


def load_registry_file(path: str | Path) -> Registry:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RegistryFileError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        # utf-8-sig: a spreadsheet's CSV export often starts with a byte order mark, which is not part of "kind".
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegistryFileError(f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                                "save it as UTF-8") from None
    return parse_registry(text, str(path))
