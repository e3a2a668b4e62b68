"""Reference data: the tables validation and assessment read (``types``), their shipped files (``data/``, with
``data/PROVENANCE.md``) and their loaders. ``load_reference()`` is the one entry point."""

from pipeline.reference.loader import SHIPPED_DATA, load_reference
from pipeline.reference.rates import (
    RateSyntaxError,
    format_rate,
    parse_preferential_cell,
    parse_rate,
    parse_rate_cell,
)

__all__ = [
    "SHIPPED_DATA",
    "RateSyntaxError",
    "format_rate",
    "load_reference",
    "parse_preferential_cell",
    "parse_rate",
    "parse_rate_cell",
]
