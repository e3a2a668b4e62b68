"""Files: CADs grouped into interchanges, serialized with the project's writers, then (for byte faults) broken.

A service provider's software writes files in its own habits: most EDIFACT in UNOC with a UNA and one segment
a line, some in UNOA (upper case only, as old mainframe software does), UNOY or UNOB, some without a UNA or
line breaks, a few with the decimal comma a UNA may declare. The generator varies these per file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType

from pipeline.generate.faults import EDIFACT, XML, Fault, mutate_bytes
from pipeline.generate.repertoire import fit
from pipeline.generate.world import ProviderProfile
from pipeline.model import Declaration, Interchange, Party
from pipeline.writers import edifact as edifact_writer
from pipeline.writers import xml as xml_writer

RECIPIENT = "CBSACARM"
CHARSETS = (("UNOC", 65), ("UNOA", 15), ("UNOY", 12), ("UNOB", 8))
EXTENSIONS = MappingProxyType({EDIFACT: "edi", XML: "xml"})


@dataclass(frozen=True, slots=True)
class GeneratedFile:
    """One synthetic submission.

    ``sender`` is the inbound folder the file belongs in. ``expected_codes`` are the error codes (S, A, B; no
    warnings) processing reports for the file: file-level codes, and the union of its declarations' codes.
    ``ledger_codes`` is the part of them that only ledger-aware processing (intake, files processed in name
    order) reports; validation without ledger history reports ``expected_codes - ledger_codes``.
    ``declaration_codes`` gives, per CAD in file order, its transaction number and its own codes.
    """

    sender: str
    name: str
    data: bytes
    syntax: str
    expected_codes: frozenset[str]
    business_date: date
    ledger_codes: frozenset[str] = frozenset()
    declaration_codes: tuple[tuple[str, frozenset[str]], ...] = ()
    faults: tuple[str, ...] = ()  # labels of the faults made in this file, e.g. ("B12:not-entitled",)

    @property
    def path(self) -> str:
        """Where the file goes under the inbound bucket."""
        return f"{self.sender}/{self.name}"


@dataclass(slots=True)
class FilePlan:
    """A file being put together (internal to one generation call)."""

    index: int
    provider: ProviderProfile
    business_date: date
    declarations: list[Declaration]
    syntax: str
    charset: str
    una: bool
    line_breaks: bool
    decimal_mark: str
    control_reference: str
    prepared_at: str
    folder: str = ""
    sender: str = ""
    file_fault: Fault | None = None
    declaration_faults: dict[int, Fault] = field(default_factory=dict)
    amendments: set[int] = field(default_factory=set)  # valid changes of earlier CADs
    originals: set[int] = field(default_factory=set)  # CADs that a later file changes: they must stay valid

    def __post_init__(self) -> None:
        self.folder = self.folder or self.provider.id
        self.sender = self.sender or self.provider.id

    @property
    def name(self) -> str:
        return f"{self.business_date:%Y%m%d}-{self.index + 1:06d}.{EXTENSIONS[self.syntax]}"

    def clean_slots(self) -> list[int]:
        """CADs free to carry a fault or to be changed later."""
        if self.file_fault is not None:
            return []
        return [i for i in range(len(self.declarations))
                if i not in self.declaration_faults and i not in self.amendments and i not in self.originals]


def new_plan(
    rng: random.Random, *, index: int, provider: ProviderProfile, business_date: date,
    declarations: list[Declaration], syntax: str,
) -> FilePlan:
    charset = rng.choices([c for c, _ in CHARSETS], weights=[w for _, w in CHARSETS])[0]
    una = rng.random() < 0.85
    return FilePlan(
        index=index,
        provider=provider,
        business_date=business_date,
        declarations=declarations,
        syntax=syntax,
        charset=charset if syntax == EDIFACT else "UTF-8",
        una=una,
        line_breaks=rng.random() < 0.7,
        decimal_mark="," if una and rng.random() < 0.05 else ".",
        control_reference=f"{business_date:%y%m%d}{index + 1:06d}",
        prepared_at=f"{business_date:%y%m%d}:{rng.randint(6, 21):02d}{rng.randint(0, 59):02d}",
    )


def suit_fault(plan: FilePlan, fault: Fault) -> None:
    """Make the file's writing habits fit a byte fault (a bad UNA needs a UNA to break, and so on)."""
    if fault.syntax is not None:
        plan.syntax = fault.syntax
        plan.charset = "UNOC" if fault.syntax == EDIFACT else "UTF-8"
    if fault.code in ("S02",):
        plan.una, plan.decimal_mark = True, "."
    if fault.code == "S08":
        plan.charset = "UNOA"


def interchange_of(plan: FilePlan, *, first_message: int = 1) -> Interchange:
    edifact = plan.syntax == EDIFACT
    declarations = tuple(
        _for_edifact(d, plan.charset, index) if edifact else replace(d, message_reference=str(index))
        for index, d in enumerate(plan.declarations, first_message)
    )
    return Interchange(
        syntax=plan.syntax,
        sender=plan.sender,
        control_reference=plan.control_reference,
        declarations=declarations,
        recipient=RECIPIENT,
        prepared_at=plan.prepared_at if edifact else None,
        charset=plan.charset,
        decimal_mark=plan.decimal_mark if edifact else ".",
    )


def _party(party: Party, charset: str) -> Party:
    return replace(
        party,
        name=fit(party.name, charset),
        street=fit(party.street, charset) if party.street else party.street,
        city=fit(party.city, charset) if party.city else party.city,
        postcode=fit(party.postcode, charset) if party.postcode else party.postcode,
    )


def _for_edifact(declaration: Declaration, charset: str, index: int) -> Declaration:
    """The CAD as an EDIFACT filer writes it: text in the declared repertoire, the version as 5 digits."""
    version = declaration.version
    return replace(
        declaration,
        version=f"{int(version):05d}" if version.isdigit() else version,
        importer=_party(declaration.importer, charset),
        vendor=_party(declaration.vendor, charset),
        broker=_party(declaration.broker, charset) if declaration.broker is not None else None,
        lines=tuple(replace(line, description=fit(line.description, charset)) for line in declaration.lines),
        message_reference=str(index),
    )


def serialize(plan: FilePlan, *, first_message: int = 1) -> bytes:
    interchange = interchange_of(plan, first_message=first_message)
    if plan.syntax == EDIFACT:
        return edifact_writer.write_interchange(
            interchange, charset=plan.charset, una=plan.una, line_breaks=plan.line_breaks
        )
    return xml_writer.write_interchange(interchange)


def finish(
    plan: FilePlan, rng: random.Random, *, max_file_bytes: int | None = None, data: bytes | None = None
) -> GeneratedFile:
    """The file, serialized (unless ``data`` already is the plan serialized) and broken as planned."""
    data = serialize(plan) if data is None else data
    labels: list[str] = []
    file_codes: set[str] = set()
    ledger: set[str] = set()
    if plan.file_fault is not None:
        data = mutate_bytes(plan.file_fault, data, rng, max_file_bytes=max_file_bytes)
        labels.append(plan.file_fault.label)
        file_codes.add(plan.file_fault.code)
        if plan.file_fault.ledger:
            ledger.add(plan.file_fault.code)
    per_declaration = []
    for index, declaration in enumerate(plan.declarations):
        fault = plan.declaration_faults.get(index)
        codes = frozenset({fault.code}) if fault is not None else frozenset()
        if fault is not None:
            labels.append(fault.label)
            if fault.ledger:
                ledger.add(fault.code)
        per_declaration.append((declaration.transaction_number, codes))
    expected = frozenset(file_codes.union(*(codes for _, codes in per_declaration)))
    return GeneratedFile(
        sender=plan.folder,
        name=plan.name,
        data=data,
        syntax=plan.syntax,
        expected_codes=expected,
        business_date=plan.business_date,
        ledger_codes=frozenset(ledger),
        declaration_codes=tuple(per_declaration),
        faults=tuple(labels),
    )
