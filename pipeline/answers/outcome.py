"""What the answers are written from: the outcome of one inbound file and of each declaration in it.

Intake fills these from the parse result, the validation verdicts, the assessment and the ledger (which alone
knows duplicates, DU); the answer writers read nothing else. Amounts are integer cents, keyed by the answer's
charge types (``pipeline.model.ANSWER_CHARGE_TYPES``); ``amounts_from_engine`` translates the assessment
engine's names.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pipeline.findings import Finding, Scope
from pipeline.model import ANSWER_CHARGE_TYPES, Declaration, Interchange

ACCEPTED, REJECTED, DUPLICATE = "AC", "RE", "DU"
STATUSES = (ACCEPTED, REJECTED, DUPLICATE)

#: The assessment engine's amount names (``pipeline.assess.rules.AMOUNTS``) → the answer's charge types.
ENGINE_CHARGE_TYPES: Mapping[str, str] = MappingProxyType({
    "customs_duty": "CUD",
    "surtax": "SUR",
    "sima": "ADD",
    "excise_duty": "EXD",
    "excise_tax": "EXT",
    "vft": "VFT",
    "gst": "GST",
    "total": "TOT",
})

_NO_AMOUNTS: Mapping[str, int] = MappingProxyType({})
_NO_LINES: Mapping[int, Mapping[str, int]] = MappingProxyType({})


def amounts_from_engine(amounts: Mapping[str, int]) -> dict[str, int]:
    """The engine's amounts of a line or a declaration (``{"customs_duty": 9200, …}``, other keys such as
    ``vfd`` ignored) keyed by charge type, in the answer's order. Every charge of the engine must be there."""
    missing = [name for name in ENGINE_CHARGE_TYPES if name not in amounts]
    if missing:
        raise ValueError(f"engine amounts lack {', '.join(missing)}")
    by_type = {charge: _cents(amounts[name], name) for name, charge in ENGINE_CHARGE_TYPES.items()}
    return {charge: by_type[charge] for charge in ANSWER_CHARGE_TYPES}


def _cents(value: object, what: object) -> int:
    """An integer amount (int or numpy integer); a float or Decimal here is a bug in the money path."""
    if isinstance(value, bool):
        raise TypeError(f"amount {what}: {value!r} is not integer cents")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"amount {what}: {value!r} is not integer cents") from None


def _frozen_amounts(amounts: Mapping[str, int], where: str) -> Mapping[str, int]:
    unknown = [charge for charge in amounts if charge not in ANSWER_CHARGE_TYPES]
    if unknown:
        raise ValueError(f"{where}: unknown charge type(s) {', '.join(map(repr, unknown))}")
    return MappingProxyType({charge: _cents(amount, f"{where} {charge}") for charge, amount in amounts.items()})


@dataclass(frozen=True, slots=True)
class DeclarationOutcome:
    """One CAD of the file: its status, the findings the answer lists and, when accepted, its assessed amounts.

    ``findings``: the errors of a rejected declaration, the warnings of an accepted one, none for a duplicate.
    ``line_amounts``: line number → charge type → cents; ``totals``: charge type → cents (accepted only).
    """

    declaration: Declaration
    status: str
    findings: tuple[Finding, ...] = ()
    line_amounts: Mapping[int, Mapping[str, int]] = field(default_factory=lambda: _NO_LINES)
    totals: Mapping[str, int] = field(default_factory=lambda: _NO_AMOUNTS)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {', '.join(STATUSES)}")
        if self.status != ACCEPTED and (self.line_amounts or self.totals):
            raise ValueError(f"a declaration with status {self.status} carries no amounts")
        if self.status == DUPLICATE and self.findings:
            raise ValueError("a duplicate (DU) carries no findings")
        lines = {operator.index(line): _frozen_amounts(amounts, f"line {line}")
                 for line, amounts in self.line_amounts.items()}
        object.__setattr__(self, "findings", tuple(self.findings))
        object.__setattr__(self, "line_amounts", MappingProxyType(dict(sorted(lines.items()))))
        object.__setattr__(self, "totals", _frozen_amounts(self.totals, "totals"))


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """One inbound file: where it came from, what could be read, its file-level findings and its declarations.

    ``sender`` is the sender folder the file was dropped in; ``syntax`` is ``"edifact"`` or ``"xml"`` (what
    intake decided to answer in). ``interchange`` is None when nothing could be read. ``syntax_version`` is the
    UNB syntax version (0002) of an EDIFACT file, when intake read it (``inbound_syntax_version``): the model
    does not keep it, and the CONTRL answers in the partner's version.
    """

    file_name: str
    sender: str
    syntax: str
    interchange: Interchange | None
    file_findings: tuple[Finding, ...] = ()
    declarations: tuple[DeclarationOutcome, ...] = ()
    syntax_version: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "file_findings", tuple(self.file_findings))
        object.__setattr__(self, "declarations", tuple(self.declarations))

    @property
    def file_errors(self) -> tuple[Finding, ...]:
        """The findings that reject the whole file (S codes, A01, A03)."""
        return tuple(f for f in self.file_findings if f.scope is Scope.FILE)

    @property
    def file_rejected(self) -> bool:
        return self.interchange is None or bool(self.file_errors)
