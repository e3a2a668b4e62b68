"""The assessment of a batch, cut back into what each accepted declaration books and answers.

One engine call assesses every accepted declaration of a batch (``pipeline.assess``); ``assessed_by_declaration``
reads its columns once and hands each declaration its answer amounts (by charge type), its ``line_assessments``
rows (amounts in dollars, with their explanation) and its totals, under its ``(inbox id, position)`` key.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.answers import ENGINE_CHARGE_TYPES
from pipeline.assess.rules import AMOUNTS
from pipeline.intake.booking import Assessed, DeclarationKey
from pipeline.intake.explanations import line_explanations
from pipeline.model import ANSWER_CHARGE_TYPES
from pipeline.money import from_cents
from pipeline.reference.types import ReferenceData

#: The engine's amount name of each answer charge type, in the answer's order.
_ENGINE_NAME_OF = {charge: name for name, charge in ENGINE_CHARGE_TYPES.items()}
ANSWER_AMOUNTS = tuple((charge, _ENGINE_NAME_OF[charge]) for charge in ANSWER_CHARGE_TYPES)


class _Dollars(dict):
    """``from_cents`` remembered per amount: most charges of most lines are the same few values (0.00 above all),
    and the rows then share one ``Decimal`` per amount (which ``ledger.bulk`` converts once)."""

    def __missing__(self, cents: int) -> Any:
        value = self[cents] = from_cents(cents)
        return value


def assessed_by_declaration(
    assessment: Any, keys: list[DeclarationKey], reference: ReferenceData
) -> dict[DeclarationKey, Assessed]:
    """Answer amounts and ``line_assessments`` rows of every declaration of an assessment, under its key
    (``keys``: one per declaration assessed, in order); each line's explanation names the reference files used.

    The engine's columns hold integer cents (int64); ``tolist`` makes them Python ints, so they go to the
    answers as they are."""
    lines, totals = assessment.lines, assessment.totals
    for frame in (lines, totals):
        for name in AMOUNTS:
            if not np.issubdtype(frame[name].dtype, np.integer):  # a float here is a bug in the money path
                raise TypeError(f"the engine's {name} column holds {frame[name].dtype}, not integer cents")
    columns = {name: lines[name].to_numpy().tolist() for name in AMOUNTS}
    answer_columns = [(charge, columns[name]) for charge, name in ANSWER_AMOUNTS]
    numbers = lines["line"].to_numpy().tolist()
    positions = lines["position"].to_numpy().tolist()
    classifications = lines["classification"].astype(object).to_numpy().tolist()
    explanations = line_explanations(assessment, reference)
    total_columns = {name: totals[name].to_numpy().tolist() for name in AMOUNTS}
    starts = np.asarray(assessment.starts).tolist()
    dollars = _Dollars()
    dollar_columns = [(name, columns[name]) for name in AMOUNTS]
    result: dict[DeclarationKey, Assessed] = {}
    for index, (key, declaration) in enumerate(zip(keys, assessment.declarations, strict=True)):
        line_amounts: dict[int, dict[str, int]] = {}
        rows: list[dict[str, Any]] = []
        for r in range(starts[index], starts[index + 1]):
            line_amounts[numbers[r]] = {charge: column[r] for charge, column in answer_columns}
            source = declaration.lines[positions[r]]
            row = {"line": numbers[r], "classification": str(classifications[r]), "treatment": source.treatment,
                   "origin": source.origin}
            row.update((name, dollars[column[r]]) for name, column in dollar_columns)
            row["explanation"] = explanations[r]
            rows.append(row)
        engine_totals = {name: total_columns[name][index] for name in AMOUNTS}
        answer_totals = {charge: engine_totals[name] for charge, name in ANSWER_AMOUNTS}
        result[key] = Assessed(dict(sorted(line_amounts.items())), answer_totals, engine_totals, rows,
                               assessment.warnings[index])
    return result
