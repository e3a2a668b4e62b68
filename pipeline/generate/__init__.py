"""Synthetic CAD submissions for demos and load tests (``carm generate``).

``generate_submissions`` builds a world (service providers, importers, brokers, who may file for whom) and files
of realistic CADs over some business days, EDIFACT and XML, with an optional share of targeted faults, each
drawing exactly one validation code (spec/codes.md) recorded with the file. ``generate_large_file`` builds one
big valid interchange for throughput benchmarks; ``generate_day`` a national day (issue 11), which ``cached_day``
keeps on disk for benchmarks. Generation is pure and deterministic for a seed; ``store`` writes it out.
"""

from pipeline.generate.batch import (
    GeneratedBatch,
    available_faults,
    business_days,
    generate_large_file,
    generate_large_submission,
    generate_submissions,
)
from pipeline.generate.day import NATIONAL_DAY, DayShape, day_shape, generate_day
from pipeline.generate.faults import FAULTS, Fault, catalogue, fault_codes
from pipeline.generate.files import GeneratedFile
from pipeline.generate.store import StoredDay, cached_day, write_batch, write_day
from pipeline.generate.world import registry_document

__all__ = [
    "FAULTS",
    "NATIONAL_DAY",
    "DayShape",
    "Fault",
    "GeneratedBatch",
    "GeneratedFile",
    "StoredDay",
    "available_faults",
    "business_days",
    "cached_day",
    "catalogue",
    "day_shape",
    "fault_codes",
    "generate_day",
    "generate_large_file",
    "generate_large_submission",
    "generate_submissions",
    "registry_document",
    "write_batch",
    "write_day",
]
