"""A batch of synthetic submissions: the world, its CADs over business days, the files, the faults.

Deterministic for a seed: one ``random.Random(seed)`` drives every choice, in a fixed order, and nothing reads
the clock or iterates an unordered set.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from pipeline.generate.declarations import DeclarationFactory, Filing
from pipeline.generate.faults import (
    DECLARATION,
    EDIFACT,
    FILE,
    XML,
    Fault,
    FaultContext,
    catalogue,
    mutate_declaration,
)
from pipeline.generate.files import FilePlan, GeneratedFile, finish, new_plan, serialize, suit_fault
from pipeline.generate.goods import GoodsCatalogue
from pipeline.generate.world import World, build_world, registry_document
from pipeline.model import Declaration
from pipeline.reference.types import ReferenceData
from pipeline.registry import Registry

FORMATS = ("mixed", EDIFACT, XML)
EDIFACT_SHARE = 0.6  # of the files of a mixed batch
CLVS_SHARE = 0.05  # of the CADs
LARGE_FILE_DATE = date(2025, 1, 15)  # inside the GST/HST break, so its special authority code shows up


@dataclass(frozen=True, slots=True)
class GeneratedBatch:
    registry: Registry  # the synthetic world: load it before processing the files (``carm registry load``)
    files: tuple[GeneratedFile, ...]  # in the order they are to be processed (folder, then name)

    @property
    def declaration_count(self) -> int:
        return sum(len(f.declaration_codes) for f in self.files)

    def registry_document(self) -> dict:
        return registry_document(self.registry)

    def manifest(self) -> dict:
        """What was generated and what processing must answer, as JSON-ready data."""
        return {
            "files": [
                {
                    "path": f.path, "syntax": f.syntax, "business_date": f.business_date.isoformat(),
                    "bytes": len(f.data), "expected_codes": sorted(f.expected_codes),
                    "ledger_codes": sorted(f.ledger_codes), "faults": list(f.faults),
                    "declarations": [{"transaction_number": t, "expected_codes": sorted(c)}
                                     for t, c in f.declaration_codes],
                }
                for f in self.files
            ]
        }


def business_days(start: date, days: int) -> tuple[date, ...]:
    """The first ``days`` weekdays on or after ``start`` (statutory holidays are not skipped)."""
    found: list[date] = []
    day = start
    while len(found) < days:
        if day.weekday() < 5:
            found.append(day)
        day += timedelta(days=1)
    return tuple(found)


def available_faults(
    *, format: str, providers: int, ledger: bool, oversize: bool, only: Sequence[str] | None,
) -> tuple[Fault, ...]:
    """The faults this batch can make: the catalogue, less what the format or the world rules out."""
    faults = []
    for fault in catalogue(ledger=ledger, oversize=oversize):
        if only is not None and fault.code not in only and fault.label not in only:
            continue
        if format != "mixed" and fault.syntax not in (None, format):
            continue
        if fault.code == "A03" and providers < 2:
            continue  # another registered sender is needed
        faults.append(fault)
    if only is not None:
        unknown = set(only) - {f.code for f in faults} - {f.label for f in faults}
        if unknown:
            raise ValueError(f"faults {sorted(unknown)} are unknown or impossible with these settings")
    return tuple(faults)


class _Cycle:
    """Codes in turn from a random start; a code's variants in turn at each of its rounds."""

    def __init__(self, faults: Sequence[Fault], rng: random.Random) -> None:
        self.variants: dict[str, list[Fault]] = {}
        for fault in faults:
            self.variants.setdefault(fault.code, []).append(fault)
        self.codes = list(self.variants)
        self.position = rng.randrange(len(self.codes)) if self.codes else 0
        self.rounds: dict[str, int] = {}

    def __bool__(self) -> bool:
        return bool(self.codes)

    def next(self) -> Fault:
        code = self.codes[self.position % len(self.codes)]
        self.position += 1
        used = self.rounds.get(code, 0)
        self.rounds[code] = used + 1
        variants = self.variants[code]
        return variants[used % len(variants)]


class Generator:
    """One generation call's state: the world, its factories, the file plans."""

    def __init__(self, rng: random.Random, reference: ReferenceData, world: World) -> None:
        self.rng = rng
        self.reference = reference
        self.world = world
        self.catalogue = GoodsCatalogue(reference)
        self.factory = DeclarationFactory(reference, world, self.catalogue)
        self.plans: list[FilePlan] = []
        self._importer_weights = {
            p.id: list(itertools.accumulate(1 / (rank + 1) for rank in range(len(p.importers))))
            for p in world.providers
        }

    def filing(self, provider_index: int, business_date: date) -> Filing:
        provider = self.world.providers[provider_index]
        importer = self.rng.choices(provider.importers, cum_weights=self._importer_weights[provider.id])[0]
        return Filing(provider, importer, business_date)

    def context(self, plan: FilePlan, slot: int, original: Declaration | None = None) -> FaultContext:
        declaration = plan.declarations[slot]
        filing = Filing(plan.provider, declaration.importer.id or "", plan.business_date)
        return FaultContext(self.rng, self.reference, self.world, self.catalogue, self.factory, filing, original)

    # -- file faults ----------------------------------------------------------------------------------------

    def earlier_plans(self, plan: FilePlan) -> list[FilePlan]:
        return [p for p in self.plans[: plan.index] if p.folder == plan.provider.id and p.file_fault is None]

    def place_file_fault(self, fault: Fault) -> bool:
        rng = self.rng
        candidates = [p for p in self.plans if p.file_fault is None and not p.declaration_faults]
        if fault.earlier or fault.code == "S13":
            candidates = [p for p in candidates if self.earlier_plans(p)]
        if not candidates:
            return False
        plan = rng.choice(candidates)
        plan.file_fault = fault
        suit_fault(plan, fault)
        if fault.code == "A01":
            plan.folder = plan.sender = self.world.unregistered_provider_id(rng)
        elif fault.code == "A03":
            others = [p.id for p in self.world.providers if p.id != plan.provider.id]
            plan.sender = rng.choice(others)
            # Importers every provider may file for: the file's only problem is who it says sent it.
            plan.declarations = [
                replace(d, importer=self.factory.importer_party(rng.choice(self.world.shared_importers)))
                for d in plan.declarations
            ]
        elif fault.code == "S13":
            plan.control_reference = rng.choice(self.earlier_plans(plan)).control_reference
        return True

    # -- declaration faults ---------------------------------------------------------------------------------

    def random_clean_slot(self, accept=None) -> tuple[FilePlan, int] | None:  # noqa: ANN001 - predicate
        rng = self.rng
        for _ in range(64):
            plan = rng.choice(self.plans)
            slots = plan.clean_slots()
            if slots and (accept is None or accept(plan)):
                return plan, rng.choice(slots)
        every = [(p, s) for p in self.plans if accept is None or accept(p) for s in p.clean_slots()]
        return rng.choice(every) if every else None

    def original_for(self, plan: FilePlan, *, earlier_day: bool = False) -> tuple[FilePlan, int] | None:
        """A clean CAD of an earlier file of the same sender, latest files first."""
        for earlier in reversed(self.earlier_plans(plan)):
            if earlier_day and earlier.business_date >= plan.business_date:
                continue
            slots = earlier.clean_slots()
            if slots:
                return earlier, self.rng.choice(slots)
        return None

    def place_declaration_fault(self, fault: Fault) -> bool:
        for _ in range(16):
            accept = (lambda p: self.original_for(p) is not None) if fault.earlier else None
            found = self.random_clean_slot(accept)
            if found is None:
                return False
            plan, slot = found
            original = None
            source = self.original_for(plan) if fault.earlier else None
            if source is not None:
                original = source[0].declarations[source[1]]
            changed = mutate_declaration(fault, plan.declarations[slot], self.context(plan, slot, original))
            if changed is None:
                continue
            plan.declarations[slot] = changed
            plan.declaration_faults[slot] = fault
            if source is not None:
                source[0].originals.add(source[1])
            return True
        return False

    def place_faults(self, allowed: Sequence[Fault], invalid_rate: float, cads: int) -> None:
        """About ``invalid_rate`` of the files with a file fault and of the ``cads`` CADs with a declaration
        fault, cycling through the ``allowed`` faults."""
        file_cycle = _Cycle([f for f in allowed if f.scope == FILE], self.rng)
        declaration_cycle = _Cycle([f for f in allowed if f.scope == DECLARATION], self.rng)
        if file_cycle:
            count = min(max(1, round(invalid_rate * len(self.plans))), len(self.plans))
            chosen = [file_cycle.next() for _ in range(count)]
            # A reused reference (S13) points at a file that must itself stay free of file faults: placed last.
            for fault in sorted(chosen, key=lambda f: f.code == "S13"):
                self.place_file_fault(fault)
        if declaration_cycle:
            for _ in range(max(1, round(invalid_rate * cads))):
                self.place_declaration_fault(declaration_cycle.next())

    def place_amendment(self) -> bool:
        found = self.random_clean_slot(lambda p: self.original_for(p, earlier_day=True) is not None)
        if found is None:
            return False
        plan, slot = found
        source = self.original_for(plan, earlier_day=True)
        assert source is not None
        original = source[0].declarations[source[1]]
        amended = self.factory.amendment(self.rng, original, version=2, reason=self.factory.change_reason(self.rng),
                                         business_date=plan.business_date)
        plan.declarations[slot] = amended
        plan.amendments.add(slot)
        source[0].originals.add(source[1])
        return True


def generate_submissions(
    *,
    cads: int,
    seed: int,
    reference: ReferenceData,
    start: date,
    format: str = "mixed",  # noqa: A002 - the CLI option's name
    invalid_rate: float = 0.0,
    days: int = 1,
    providers: int = 3,
    cads_per_file: int = 10,
    importers: int | None = None,
    faults: Sequence[str] | None = None,
    ledger_faults: bool = False,
    amend_rate: float = 0.01,
    max_file_bytes: int | None = None,
) -> GeneratedBatch:
    """Realistic synthetic CAD submissions over ``days`` business days from ``start``.

    ``invalid_rate`` R: about R of the CADs carry one declaration fault and about R of the files one file
    fault, the faults cycling through every code the settings allow (``faults`` narrows them to some codes or
    labels). ``ledger_faults`` adds S13, B04 and B05; ``max_file_bytes`` adds S11 (one file padded past it).
    ``amend_rate`` of the CADs are valid changes (function 4, version 2) of a CAD of an earlier business day.
    """
    if cads < 1:
        raise ValueError("cads must be at least 1")
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    if not 0 <= invalid_rate <= 1 or not 0 <= amend_rate <= 1:
        raise ValueError("invalid_rate and amend_rate are shares from 0 to 1")
    if days < 1 or cads_per_file < 1:
        raise ValueError("days and cads_per_file must be at least 1")
    rng = random.Random(seed)
    world = build_world(rng, providers=providers, importers=importers or max(4 * providers, min(400, cads // 25)))
    generator = Generator(rng, reference, world)
    dates = business_days(start, days)

    weights = [p.weight for p in world.providers]
    indexes = range(len(world.providers))
    plan_keys = sorted(
        ((rng.choice(dates), rng.choices(indexes, weights=weights)[0], rng.random() < CLVS_SHARE)
         for _ in range(cads)),
        key=lambda key: (key[0], key[1]),
    )
    for (business_date, provider_index), group in itertools.groupby(plan_keys, key=lambda key: key[:2]):
        keys = list(group)
        for chunk_start in range(0, len(keys), cads_per_file):
            chunk = keys[chunk_start : chunk_start + cads_per_file]
            declarations = [
                generator.factory.build(rng, generator.filing(provider_index, business_date), clvs=clvs)
                for _, _, clvs in chunk
            ]
            if format == "mixed":
                syntax = EDIFACT if rng.random() < EDIFACT_SHARE else XML
            else:
                syntax = format
            generator.plans.append(new_plan(
                rng, index=len(generator.plans), provider=world.providers[provider_index],
                business_date=business_date, declarations=declarations, syntax=syntax,
            ))

    if invalid_rate > 0:
        allowed = available_faults(format=format, providers=providers, ledger=ledger_faults,
                                   oversize=max_file_bytes is not None, only=faults)
        generator.place_faults(allowed, invalid_rate, cads)
    if amend_rate > 0 and len(dates) > 1:
        for _ in range(round(amend_rate * cads)):
            generator.place_amendment()

    files = tuple(finish(plan, rng, max_file_bytes=max_file_bytes) for plan in generator.plans)
    if max_file_bytes is not None:
        oversize = [f.path for f in files if len(f.data) > max_file_bytes and "S11" not in f.expected_codes]
        if oversize:
            raise ValueError(f"max_file_bytes {max_file_bytes} is smaller than generated file {oversize[0]}: "
                             "the size limit must be above the size of the regular files")
    return GeneratedBatch(world.registry, tuple(sorted(files, key=lambda f: (f.sender, f.name))))


LARGE_FILE_CHUNK = 2_000  # CADs serialized at a time: each is written once, then the messages are joined


def generate_large_submission(
    syntax: str, target_bytes: int, seed: int, reference: ReferenceData, *, business_date: date = LARGE_FILE_DATE,
) -> GeneratedBatch:
    """One valid file of at least ``target_bytes``: a single interchange of many CADs, for throughput tests.

    The CADs are written by the project's writer a chunk at a time, and the chunks' messages (EDIFACT) or
    declarations (XML) joined under one envelope, so that no CAD is serialized twice whatever the size."""
    if syntax not in (EDIFACT, XML):
        raise ValueError(f"syntax must be {EDIFACT} or {XML}, not {syntax!r}")
    rng = random.Random(seed)
    world = build_world(rng, providers=1, importers=200)
    generator = Generator(rng, reference, world)
    plan = new_plan(rng, index=0, provider=world.providers[0], business_date=business_date, declarations=[],
                    syntax=syntax)
    plan.charset, plan.una, plan.line_breaks, plan.decimal_mark = "UNOC", True, True, "."

    head = b""
    bodies: list[bytes] = []
    size = 0
    numbers: list[str] = []
    chunk = 50  # a small first chunk measures how many bytes a CAD takes
    while size < target_bytes:
        plan.declarations = [
            generator.factory.build(rng, generator.filing(0, business_date), clvs=rng.random() < CLVS_SHARE)
            for _ in range(chunk)
        ]
        data = serialize(plan, first_message=len(numbers) + 1)
        chunk_head, body = _split_envelope(data, syntax)
        head = head or chunk_head
        bodies.append(body)
        size += len(body)
        numbers.extend(d.transaction_number for d in plan.declarations)
        per_declaration = len(body) / len(plan.declarations)
        chunk = max(1, min(LARGE_FILE_CHUNK, math.ceil((target_bytes - size - len(head)) / per_declaration * 1.01)))
    if syntax == EDIFACT:
        tail = f"UNZ+{len(numbers)}+{plan.control_reference}'\n".encode("ascii")
    else:
        tail = b"</DocumentMetaData>\n"
    generated = GeneratedFile(
        sender=plan.folder, name=plan.name, data=head + b"".join(bodies) + tail, syntax=syntax,
        expected_codes=frozenset(), business_date=business_date,
        declaration_codes=tuple((number, frozenset()) for number in numbers),
    )
    return GeneratedBatch(world.registry, (generated,))


def _split_envelope(data: bytes, syntax: str) -> tuple[bytes, bytes]:
    """(envelope head, the messages or declarations) of a file written with a UNA and one segment a line."""
    if syntax == EDIFACT:
        start, end = data.index(b"\nUNH+") + 1, data.rindex(b"\nUNZ+") + 1
    else:
        start, end = data.index(b"<Declaration>"), data.rindex(b"</DocumentMetaData>")
        line_start = data.rindex(b"\n", 0, start) + 1
        return data[:line_start], data[line_start:end]
    return data[:start], data[start:end]


def generate_large_file(syntax: str, target_bytes: int, seed: int, reference: ReferenceData) -> bytes:
    """The bytes of ``generate_large_submission`` (its sender and registry: that function's batch)."""
    return generate_large_submission(syntax, target_bytes, seed, reference).files[0].data
