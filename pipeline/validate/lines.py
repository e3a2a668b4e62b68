"""Checks of one CAD line: B08 (origin), B09 (line currency), B10–B13, B15–B19.

Most of what can be wrong with a line depends only on a few of its values (classification, treatment, origin,
unit, the codes it carries) and the release date, and a large file repeats the same combinations thousands of
times. Those checks produce *problems* (code, message, field) memoised per distinct combination; each line then
only turns its problems into findings at its own locations. Quantity, value and the filer's amounts differ from
line to line and are checked every time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from pipeline.digits import is_ascii_digits
from pipeline.findings import Finding
from pipeline.model import Line
from pipeline.reference.types import UNIT_OF_MEASURE, WHOLE_ITEM, covers, in_window
from pipeline.validate.lookups import ReferenceLookups
from pipeline.validate.values import (
    MAX_DIGITS,
    MAX_QUANTITY_DECIMALS,
    NEGATIVE,
    NOT_A_NUMBER,
    TOO_MANY_DECIMALS,
    NumberProblem,
    number_problem,
    shown,
)

CLASSIFICATION_DIGITS = 10
FILER_CURRENCY = "CAD"  # the filer's own amounts are assessed amounts, always in Canadian dollars


class Problem(NamedTuple):
    """A finding not yet placed: ``field`` names the model field whose ``where`` entry locates it."""

    code: str
    message: str
    field: str


# A positive decimal whose integer part is not zero (the usual quantity); anything else is read closely. Texts
# longer than MAX_DIGITS characters are read closely too (they may have too many digits).
_POSITIVE = re.compile(rf"\+?0*[1-9][0-9]*(?:\.[0-9]{{0,{MAX_QUANTITY_DECIMALS}}})?")


def plain_amount_pattern(minor_units: int | None) -> re.Pattern[str]:
    """A non-negative decimal with at most ``minor_units`` decimals (any number of them when None): the
    usual value text, which needs no closer reading."""
    fraction = r"[0-9]*" if minor_units is None else f"[0-9]{{0,{minor_units}}}"
    return re.compile(rf"\+?[0-9]+(?:\.{fraction})?")


@dataclass(frozen=True, slots=True)
class HeaderFacts:
    """What a line's checks need to know of its declaration, read once per declaration."""

    release: date | None  # the release date, when it is a valid date
    invoice_currency: str  # as sent
    minor_units: int | None  # of the invoice currency, when it is a known currency
    message_reference: str | None
    plain_value: re.Pattern[str]  # plain_amount_pattern(minor_units)


def window_text(start: date | None, end: date | None) -> str:
    if start is None and end is None:
        return "at any date"
    if end is None:
        return f"from {start}"
    if start is None:
        return f"until {end}"
    return f"from {start} to {end}"


class LineChecker:
    """Checks lines against the reference data of one validation call (memo per call, see module doc)."""

    __slots__ = ("lookups", "_goods", "_codes", "_amount_patterns")

    def __init__(self, lookups: ReferenceLookups) -> None:
        self.lookups = lookups
        self._goods: dict[tuple, tuple[Problem, ...]] = {}
        self._codes: dict[tuple, tuple[Problem, ...]] = {}
        self._amount_patterns: dict[int | None, re.Pattern[str]] = {}

    def facts(self, release: date | None, invoice_currency: str, minor_units: int | None,
              message_reference: str | None) -> HeaderFacts:
        pattern = self._amount_patterns.get(minor_units)
        if pattern is None:
            pattern = self._amount_patterns[minor_units] = plain_amount_pattern(minor_units)
        return HeaderFacts(release, invoice_currency, minor_units, message_reference, pattern)

    def check(self, line: Line, facts: HeaderFacts) -> list[Finding]:
        goods_key = (line.classification, line.treatment, line.origin, line.unit, facts.release)
        problems = self._goods.get(goods_key)
        if problems is None:
            problems = self._goods[goods_key] = tuple(self._goods_problems(line, facts.release))
        if line.special_authority is not None or line.gst_exemption is not None or line.excise_code is not None or (
            line.sima is not None
        ):
            codes_key = (
                line.special_authority, line.gst_exemption, line.excise_code, line.sima,
                line.classification, line.origin, line.unit, facts.release,
            )
            codes = self._codes.get(codes_key)
            if codes is None:
                codes = self._codes[codes_key] = tuple(self._code_problems(line, facts.release))
            problems += codes
        # Quantity and value differ on every line: a regular expression answers "fine" for the usual text, and
        # only text it does not match is read closely to say what is wrong with it.
        if len(line.quantity) > MAX_DIGITS or not _POSITIVE.fullmatch(line.quantity):
            problems += tuple(_quantity_problems(line.quantity))
        if line.gross_weight is not None:
            problems += tuple(_gross_weight_problems(line.gross_weight))
        if len(line.value) > MAX_DIGITS or not facts.plain_value.fullmatch(line.value) or (
            line.value_currency is not None and line.value_currency != facts.invoice_currency
        ):
            problems += tuple(_value_problems(line, facts))
        if not problems and not line.filer_amounts:
            return []

        number = line.line_number
        findings = [
            Finding(p.code, p.message, line.where.get(p.field) or line.location, number, facts.message_reference)
            for p in problems
        ]
        if line.filer_amounts:
            findings.extend(self._filer_amount_findings(line, facts))
        return findings

    # -- classification, treatment, origin, unit ------------------------------------------------------------

    def _goods_problems(self, line: Line, release: date | None) -> list[Problem]:
        reference = self.lookups.reference
        problems: list[Problem] = []
        classification, code, origin, unit = line.classification, line.treatment, line.origin, line.unit

        item = None
        if not is_ascii_digits(classification, CLASSIFICATION_DIGITS):
            problems.append(Problem("B10", f'classification "{classification}" is not 10 digits', "classification"))
        elif release is not None:
            item = self.lookups.tariff_item(classification, release)
            if item is None:
                problems.append(Problem(
                    "B10", f'classification "{classification}" is not in the tariff in force on {release}',
                    "classification",
                ))
            elif WHOLE_ITEM in item.unusable:
                problems.append(Problem(
                    "B10", f'classification "{classification}" cannot be used: {item.unusable[WHOLE_ITEM]}',
                    "classification",
                ))
                item = None

        origin_known = origin in reference.countries
        if not origin_known:
            problems.append(Problem(
                "B08", f'country of origin "{origin}" is not an ISO 3166-1 alpha-2 country code', "origin"
            ))

        treatment = reference.treatments.get(code)
        if treatment is None:
            problems.append(Problem("B11", f'tariff treatment "{code}" is unknown', "treatment"))
        else:
            name = f'tariff treatment "{code}" ({treatment.abbreviation})'
            if item is not None and code in item.unusable:
                problems.append(Problem(
                    "B12", f'{name} cannot be used for classification "{classification}": {item.unusable[code]}',
                    "treatment",
                ))
            elif item is not None and code not in item.rates:
                problems.append(Problem(
                    "B12", f'{name} is not offered for classification "{classification}"', "treatment"
                ))
            if origin_known and release is not None and not self.lookups.is_entitled(code, origin, release):
                problems.append(Problem(
                    "B12", f'origin "{origin}" is not entitled to {name} on {release}', "treatment"
                ))

        units = reference.units
        if not unit or not unit.strip():
            problems.append(Problem("B13", "unit of measure is missing", "unit"))
        elif units.canonical(unit) is None:
            problems.append(Problem("B13", f'unit of measure "{unit}" is unknown', "unit"))
        elif item is not None and UNIT_OF_MEASURE in item.unusable:
            problems.append(Problem(
                "B13", f'the tariff\'s unit for classification "{classification}" cannot be read: '
                f'{item.unusable[UNIT_OF_MEASURE]}', "unit",
            ))
        elif item is not None:
            rate = item.rates.get(code)
            name_of = self.lookups.unit_name
            if item.unit is not None and not self.lookups.convertible(unit, item.unit):
                problems.append(Problem(
                    "B13",
                    f'unit of measure "{unit}" cannot be converted to {name_of(item.unit)}, the tariff\'s unit '
                    f'for classification "{classification}"',
                    "unit",
                ))
            elif rate is not None and rate.specific_unit and not self.lookups.convertible(unit, rate.specific_unit):
                problems.append(Problem(
                    "B13",
                    f'unit of measure "{unit}" cannot be converted to {name_of(rate.specific_unit)}, the unit of '
                    f'rate "{rate.text}" of classification "{classification}"',
                    "unit",
                ))
        return problems

    # -- special authority, GST exemption, excise, SIMA -----------------------------------------------------

    def _code_problems(self, line: Line, release: date | None) -> list[Problem]:
        reference = self.lookups.reference
        problems: list[Problem] = []
        classification, origin = line.classification, line.origin
        # Whether codes cover the goods is only asked of a well-formed classification (else B10 says it all).
        goods_known = is_ascii_digits(classification, CLASSIFICATION_DIGITS)
        unit_known = bool(line.unit) and reference.units.canonical(line.unit) is not None

        if line.special_authority is not None:
            code = line.special_authority
            authority = reference.special_authorities.get(code)
            if authority is None:
                problems.append(Problem("B16", f'special authority code "{code}" is unknown', "special_authority"))
            else:
                if release is not None and not in_window(release, authority.start, authority.end):
                    problems.append(Problem(
                        "B16",
                        f'special authority code "{code}" applies to goods released '
                        f"{window_text(authority.start, authority.end)}, not on {release}",
                        "special_authority",
                    ))
                if goods_known and not covers(authority.goods, classification):
                    problems.append(Problem(
                        "B16",
                        f'special authority code "{code}" does not apply to classification "{classification}"',
                        "special_authority",
                    ))

        if line.gst_exemption is not None:
            code = line.gst_exemption
            exemption = reference.gst_exemptions.get(code)
            if exemption is None:
                problems.append(Problem("B17", f'GST exemption code "{code}" is unknown', "gst_exemption"))
            elif goods_known and not covers(exemption.goods, classification):
                problems.append(Problem(
                    "B17", f'GST exemption code "{code}" does not apply to classification "{classification}"',
                    "gst_exemption",
                ))

        if line.excise_code is not None:
            code = line.excise_code
            excise = reference.excise.get(code)
            if excise is None:
                problems.append(Problem("B18", f'excise code "{code}" is unknown', "excise_code"))
            else:
                if release is not None and not in_window(release, excise.start, excise.end):
                    problems.append(Problem(
                        "B18",
                        f'excise code "{code}" is in force {window_text(excise.start, excise.end)}, '
                        f"not on the release date {release}",
                        "excise_code",
                    ))
                if goods_known and not covers(excise.goods, classification):
                    problems.append(Problem(
                        "B18", f'excise code "{code}" does not apply to classification "{classification}"',
                        "excise_code",
                    ))
                if unit_known and not self.lookups.convertible(line.unit, excise.unit):
                    problems.append(Problem(
                        "B18",
                        f'excise code "{code}" is charged per "{excise.unit}"; a quantity in "{line.unit}" '
                        "cannot be converted to it",
                        "excise_code",
                    ))

        if line.sima is not None:
            code = line.sima
            measure = reference.sima.get(code)
            if measure is None:
                problems.append(Problem("B19", f'SIMA code "{code}" is unknown', "sima"))
            else:
                if release is not None and not in_window(release, measure.start, measure.end):
                    problems.append(Problem(
                        "B19",
                        f'SIMA code "{code}" is in force {window_text(measure.start, measure.end)}, '
                        f"not on the release date {release}",
                        "sima",
                    ))
                if origin in reference.countries and origin not in measure.countries:
                    problems.append(Problem(
                        "B19", f'SIMA code "{code}" does not apply to goods originating in "{origin}"', "sima"
                    ))
                if goods_known and not covers(measure.goods, classification):
                    problems.append(Problem(
                        "B19", f'SIMA code "{code}" does not apply to classification "{classification}"', "sima"
                    ))
                if measure.per_unit is not None and measure.unit and unit_known and not self.lookups.convertible(
                    line.unit, measure.unit
                ):
                    problems.append(Problem(
                        "B19",
                        f'SIMA code "{code}" is charged per "{measure.unit}"; a quantity in "{line.unit}" '
                        "cannot be converted to it",
                        "sima",
                    ))
        return problems

    # -- the filer's own amounts ----------------------------------------------------------------------------

    def _filer_amount_findings(self, line: Line, facts: HeaderFacts) -> list[Finding]:
        minor_units = self.lookups.reference.currencies.get(FILER_CURRENCY, 2)
        findings: list[Finding] = []
        number = line.line_number
        for filer in line.filer_amounts:
            where = filer.location or line.location
            problem = number_problem(filer.amount, minor_units)
            if problem is not None:
                phrase = {
                    NOT_A_NUMBER: "is not an amount",
                    TOO_MANY_DECIMALS: f"{problem.phrase}; {FILER_CURRENCY} allows {minor_units}",
                }.get(problem.kind, problem.phrase)
                name = f"the filer's {filer.charge_type} amount {shown(filer.amount)}"
                findings.append(Finding("B15", f"{name} {phrase}", where, number, facts.message_reference))
            if filer.currency is not None and filer.currency != FILER_CURRENCY:
                findings.append(Finding(
                    "B09",
                    f'the filer\'s {filer.charge_type} amount is in "{filer.currency}"; assessed amounts are in '
                    f"{FILER_CURRENCY}",
                    where, number, facts.message_reference,
                ))
        return findings


def _quantity_problems(quantity: str) -> list[Problem]:
    if not quantity or not quantity.strip():
        return [Problem("B13", "quantity is missing", "quantity")]
    problem = number_problem(quantity, MAX_QUANTITY_DECIMALS)
    if problem is None:
        if quantity.strip("+-0.") != "":
            return []
        phrase = "is not a positive number"
    elif problem.kind in (NOT_A_NUMBER, NEGATIVE):
        phrase = "is not a positive number"
    else:
        phrase = _measure_phrase(problem)
    return [Problem("B13", f"quantity {shown(quantity)} {phrase}", "quantity")]


def _gross_weight_problems(weight: str) -> list[Problem]:
    """The gross weight is not assessed, but it is carried: it must be a number like a quantity (zero allowed)."""
    problem = number_problem(weight, MAX_QUANTITY_DECIMALS)
    if problem is None:
        return []
    return [Problem("B13", f"gross weight {shown(weight)} {_measure_phrase(problem)}", "gross_weight")]


def _measure_phrase(problem: NumberProblem) -> str:
    if problem.kind == TOO_MANY_DECIMALS:
        return f"{problem.phrase}; at most {MAX_QUANTITY_DECIMALS} are allowed"
    return problem.phrase


def _value_problems(line: Line, facts: HeaderFacts) -> list[Problem]:
    problems: list[Problem] = []
    value = line.value
    if not value or not value.strip():
        problems.append(Problem("B15", "value for currency conversion is missing", "value"))
    elif (problem := number_problem(value, facts.minor_units)) is not None:
        phrase = problem.phrase
        if problem.kind == TOO_MANY_DECIMALS:
            phrase += f"; {facts.invoice_currency} allows {facts.minor_units}"
        problems.append(Problem("B15", f"value {shown(value)} {phrase}", "value"))
    if line.value_currency is not None and line.value_currency != facts.invoice_currency:
        problems.append(Problem(
            "B09",
            f'value currency "{line.value_currency}" differs from the invoice currency "{facts.invoice_currency}"',
            "value_currency",
        ))
    return problems
