"""What assessing a batch returns: amounts in integer cents per line and per declaration, warnings, and the
trail the explanations are read from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.assess.rules import AMOUNTS
from pipeline.errors import TerminalError
from pipeline.findings import Finding
from pipeline.model import Declaration


class UnassessableLine(TerminalError):
    """A line that validation should have rejected reached the engine (no rate, no exchange rate, no unit
    conversion…). A fault of the caller, not a finding: assessment only takes validated declarations."""


@dataclass(frozen=True, slots=True)
class Trail:
    """The engine's intermediate columns (row-aligned with ``Assessment.lines``), the reference rows they point
    at, and the exponents of the exact values. ``explain.py`` reads it; nothing recomputes."""

    columns: pd.DataFrame
    tables: dict[str, list[Any]]
    exponents: dict[str, int]


@dataclass(frozen=True, slots=True)
class Assessment:
    """Amounts of a batch of declarations, in integer cents (CAD).

    ``lines``: one row per line, in declaration order: ``declaration`` (index in ``declarations``), ``position``
    (index in ``Declaration.lines``), ``line``, ``classification``, ``treatment``, ``origin`` and the amounts
    ``vfd, customs_duty, surtax, sima, excise_duty, excise_tax, vft, gst, total``.
    ``totals``: one row per declaration (index = declaration index), the sums of its rounded line amounts.
    ``warnings``: per declaration, its W01/W03 findings.
    """

    declarations: tuple[Declaration, ...]
    lines: pd.DataFrame
    totals: pd.DataFrame
    warnings: tuple[tuple[Finding, ...], ...]
    trail: Trail = field(repr=False)
    starts: np.ndarray = field(repr=False)  # first row of each declaration in `lines`; one more entry at the end

    def line_rows(self, index: int) -> pd.DataFrame:
        """The rows of ``lines`` of one declaration."""
        return self.lines.iloc[int(self.starts[index]) : int(self.starts[index + 1])]

    def declaration_totals(self, index: int) -> dict[str, int]:
        row = self.totals.iloc[index]
        return {name: int(row[name]) for name in AMOUNTS}

    def row_of(self, index: int, line_number: int) -> int:
        """Row in ``lines`` of a declaration's line, by the line number the filer gave."""
        rows = self.line_rows(index)
        matches = np.flatnonzero(rows["line"].to_numpy() == line_number)
        if len(matches) == 0:
            raise KeyError(f"declaration {index} has no line {line_number}")
        return int(self.starts[index]) + int(matches[0])
