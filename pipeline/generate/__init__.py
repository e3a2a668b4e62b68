"""Synthetic CAD submissions for demos and load tests (``carm generate``).

``generate_submissions`` builds a world (service providers, importers, brokers, who may file for whom) and files
of realistic CADs over some business days, EDIFACT and XML, with an optional share of targeted faults, each
drawing exactly one validation code (spec/codes.md) recorded with the file. ``generate_large_file`` builds one
big valid interchange for throughput benchmarks. Everything is pure and deterministic for a seed.
"""

from pipeline.generate.batch import (
    GeneratedBatch,
    available_faults,
    business_days,
    generate_large_file,
    generate_large_submission,
    generate_submissions,
)
from pipeline.generate.faults import FAULTS, Fault, catalogue, fault_codes
from pipeline.generate.files import GeneratedFile
from pipeline.generate.world import registry_document

__all__ = [
    "FAULTS",
    "Fault",
    "GeneratedBatch",
    "GeneratedFile",
    "available_faults",
    "business_days",
    "catalogue",
    "fault_codes",
    "generate_large_file",
    "generate_large_submission",
    "generate_submissions",
    "registry_document",
]
