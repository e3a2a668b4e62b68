"""Generated batches on disk: the folder ``carm generate`` writes, and national days cached for benchmarks.

A folder holds ``<sender>/<file>`` for every file, ``registry.json`` (``carm registry load`` reads it) and
``manifest.json`` (what processing must answer). A cached day also has ``day.json``, written last: a folder
without it is an interrupted generation and is made again. Generating a national day takes minutes, so a
benchmark generates it once per seed and shape; the cache key also digests the generator's and the writers'
source, so that a changed generator never hands back files it would no longer write.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline.generate.batch import GeneratedBatch
from pipeline.generate.day import DayShape, generate_day
from pipeline.reference.types import ReferenceData

DAY_RECORD = "day.json"
_SOURCES = (Path(__file__).parent, Path(__file__).parent.parent / "writers")


def write_batch(batch: GeneratedBatch, out: Path) -> int:
    """Write a generated batch to a folder: ``<sender>/<file>``, ``registry.json``, ``manifest.json``; the bytes
    of the files."""
    total = 0
    for generated in batch.files:
        target = out / generated.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(generated.data)
        total += len(generated.data)
    out.mkdir(parents=True, exist_ok=True)
    (out / "registry.json").write_text(json.dumps(batch.registry_document(), indent=2), encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps(batch.manifest(), indent=2), encoding="utf-8")
    return total


@dataclass(frozen=True, slots=True)
class StoredDay:
    """A day on disk and what ``day.json`` says of it."""

    folder: Path
    record: dict
    generated: bool  # made by this call (False: found in the cache)

    @property
    def files(self) -> int:
        return self.record["files"]

    @property
    def declarations(self) -> int:
        return self.record["declarations"]

    @property
    def bytes(self) -> int:
        return self.record["bytes"]


def day_key(shape: DayShape, seed: int) -> str:
    """The cache folder's name: the size and seed to read, a digest of the whole shape and the sources."""
    digest = hashlib.sha256(json.dumps(shape.describe(), sort_keys=True).encode())
    for folder in _SOURCES:
        for source in sorted(folder.glob("*.py")):
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    return f"day-{shape.cads}-seed{seed}-{digest.hexdigest()[:12]}"


def write_day(out: Path, *, seed: int, shape: DayShape, reference: ReferenceData) -> StoredDay:
    """Generate a day into ``out`` (the ``carm generate`` layout plus ``day.json``)."""
    batch = generate_day(seed=seed, reference=reference, shape=shape)
    written = write_batch(batch, out)
    edifact = [f for f in batch.files if f.syntax == "edifact"]
    record = {
        "seed": seed, "shape": shape.describe(), "files": len(batch.files),
        "declarations": batch.declaration_count, "bytes": written,
        "providers": len({f.sender for f in batch.files}),
        "edifact_files": len(edifact), "edifact_bytes": sum(len(f.data) for f in edifact),
        "edifact_declarations": sum(len(f.declaration_codes) for f in edifact),
        "files_with_faults": sum(1 for f in batch.files if f.expected_codes),
    }
    (out / DAY_RECORD).write_text(json.dumps(record, indent=2), encoding="utf-8")
    return StoredDay(out, record, generated=True)


def cached_day(root: Path, *, seed: int, shape: DayShape, reference: ReferenceData) -> StoredDay:
    """The day of ``seed`` and ``shape`` under ``root``, generated there first if it is not yet."""
    folder = root / day_key(shape, seed)
    record = folder / DAY_RECORD
    if record.exists():
        return StoredDay(folder, json.loads(record.read_text(encoding="utf-8")), generated=False)
    partial = root / f".{folder.name}.{os.getpid()}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    stored = write_day(partial, seed=seed, shape=shape, reference=reference)
    shutil.rmtree(folder, ignore_errors=True)  # an interrupted generation's leftovers
    partial.rename(folder)
    return StoredDay(folder, stored.record, generated=True)
