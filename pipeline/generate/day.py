"""A national day (issue 11): the shape of one business day of CBSA traffic, for throughput benchmarks.

110,000 CADs in 550 files of 200 CADs each, from 40 service providers, 70 % of the files EDIFACT and the rest
XML, 1 to 20 lines a CAD (most have one or two, a tail has many), about 170 MB in all. The CADs are the
generator's usual ones (registry, tariff rows in force, invoice currencies, CLVS shipments) and a small share is
invalid, one fault each, as ``generate_submissions`` makes them. ``DayShape.scaled`` keeps the proportions for a
smaller day: files of 200 CADs, the EDIFACT share, the lines, and files per provider.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, replace
from datetime import date

from pipeline.generate.batch import CLVS_SHARE, GeneratedBatch, Generator, available_faults
from pipeline.generate.faults import EDIFACT, XML
from pipeline.generate.files import finish, new_plan
from pipeline.generate.world import build_world
from pipeline.reference.types import ReferenceData

NATIONAL_DAY_CADS = 110_000
NATIONAL_DAY_PROVIDERS = 40
FILES_PER_PROVIDER = NATIONAL_DAY_CADS / 200 / NATIONAL_DAY_PROVIDERS  # 13.75 on a national day
# Lines per regular CAD, 1 to 20: most CADs have a line or two (a geometric fall, each further line 42 % as
# likely), a twentieth of them any count up to 20. Mean about 2.2 lines, so that the day weighs what the issue
# measured: about 170 MB, 60 MB of it EDIFACT.
MAX_LINES = 20
LINE_WEIGHTS = tuple(0.95 * 0.58 * 0.42 ** (count - 1) + 0.05 / MAX_LINES for count in range(1, MAX_LINES + 1))
DAY_DATE = date(2025, 5, 5)  # a Monday the shipped FX data covers, with the days before it


@dataclass(frozen=True, slots=True)
class DayShape:
    cads: int = NATIONAL_DAY_CADS
    cads_per_file: int = 200
    providers: int = NATIONAL_DAY_PROVIDERS
    edifact_share: float = 0.7  # of the files
    invalid_rate: float = 0.005  # of the CADs (one declaration fault each) and of the files (one file fault)
    business_date: date = DAY_DATE

    def __post_init__(self) -> None:
        if self.cads < 1 or self.cads_per_file < 1 or self.providers < 1:
            raise ValueError("a day needs at least one CAD, one CAD a file and one provider")
        if not 0 <= self.edifact_share <= 1 or not 0 <= self.invalid_rate <= 1:
            raise ValueError("edifact_share and invalid_rate are shares from 0 to 1")

    @property
    def files(self) -> int:
        return math.ceil(self.cads / self.cads_per_file)

    @property
    def edifact_files(self) -> int:
        return round(self.edifact_share * self.files)

    @property
    def importers(self) -> int:
        return max(4 * self.providers, self.cads // 50)

    def scaled(self, cads: int) -> DayShape:
        """A smaller (or larger) day in the same proportions: providers keep their files each (at least 2, at
        most the national day's 40, so that the A03 fault has another sender)."""
        files = math.ceil(cads / self.cads_per_file)
        providers = min(NATIONAL_DAY_PROVIDERS, max(2, round(files / FILES_PER_PROVIDER)))
        return replace(self, cads=cads, providers=providers)

    def describe(self) -> dict:
        return {"cads": self.cads, "cads_per_file": self.cads_per_file, "providers": self.providers,
                "edifact_share": self.edifact_share, "invalid_rate": self.invalid_rate,
                "business_date": self.business_date.isoformat(), "line_weights": [round(w, 6) for w in LINE_WEIGHTS]}


NATIONAL_DAY = DayShape()


def day_shape(cads: int | None = None) -> DayShape:
    """The national day, or one of ``cads`` CADs in its proportions."""
    return NATIONAL_DAY if cads is None or cads == NATIONAL_DAY.cads else NATIONAL_DAY.scaled(cads)


def generate_day(*, seed: int, reference: ReferenceData, shape: DayShape = NATIONAL_DAY) -> GeneratedBatch:
    """The files of one business day in ``shape``, deterministic for a seed (one ``random.Random`` drives every
    choice, in a fixed order)."""
    rng = random.Random(seed)
    world = build_world(rng, providers=shape.providers, importers=shape.importers)
    generator = Generator(rng, reference, world)
    owners = _owners(rng, [p.weight for p in world.providers], shape.files)
    syntaxes = [EDIFACT] * shape.edifact_files + [XML] * (shape.files - shape.edifact_files)
    rng.shuffle(syntaxes)
    line_counts = range(1, len(LINE_WEIGHTS) + 1)
    cumulative = list(itertools.accumulate(LINE_WEIGHTS))
    for index, (provider_index, syntax) in enumerate(zip(owners, syntaxes, strict=True)):
        size = min(shape.cads_per_file, shape.cads - index * shape.cads_per_file)
        counts = rng.choices(line_counts, cum_weights=cumulative, k=size)
        declarations = [
            generator.factory.build(rng, generator.filing(provider_index, shape.business_date),
                                    clvs=rng.random() < CLVS_SHARE, line_count=count)
            for count in counts
        ]
        generator.plans.append(new_plan(
            rng, index=index, provider=world.providers[provider_index], business_date=shape.business_date,
            declarations=declarations, syntax=syntax,
        ))
    if shape.invalid_rate > 0:
        allowed = available_faults(format="mixed", providers=shape.providers, ledger=False, oversize=False,
                                   only=None)
        generator.place_faults(allowed, shape.invalid_rate, shape.cads)
    files = tuple(finish(plan, rng) for plan in generator.plans)
    return GeneratedBatch(world.registry, tuple(sorted(files, key=lambda f: (f.sender, f.name))))


def _owners(rng: random.Random, weights: list[int], files: int) -> list[int]:
    """The provider of each file: every provider sends at least one (when there are files enough), the others
    go by the providers' weights; in provider order, as a provider's files are numbered in the order sent."""
    providers = len(weights)
    owners = list(range(min(providers, files)))
    owners += rng.choices(range(providers), weights=weights, k=files - len(owners))
    return sorted(owners)
