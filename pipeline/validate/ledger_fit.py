"""B15 and B13: a declaration whose assessed amounts the ledger cannot hold.

Every amount of an accepted declaration is posted: each line's value for duty, charges, value for tax and total,
and the declaration's totals, in ``NUMERIC(18, 2)`` (``money.LEDGER_LIMIT_CENTS``). A value or quantity that
passes its own bounds (``values.MAX_DIGITS``) can still make amounts beyond that, once multiplied by an exchange
rate, a duty rate or a rate per unit and summed over up to 999 lines. Such a declaration is rejected here, naming
the value (B15) or the quantity (B13) that drives the amount, instead of failing the database write.

The exact amounts come from the assessment oracle, which is slow; it runs only for a declaration that a cheap,
sound bound cannot clear. Per line, every amount is at most

    (value × the currency's highest exchange rate × (1 + (highest ad valorem + surtax + SIMA %) / 100)
     + quantity × the highest charges per declared unit (specific duty + SIMA + excise)) × (1 + GST % / 100)

(plus rounding). The bound is reduced to a number of integer digits per currency and per unit at which even 999
such lines stay within half the ledger's limit each for value and quantity; a line with more integer digits
sends its declaration to the exact check. Real CADs are far below it (a US-dollar value of 11 digits, a count of
9 digits with the shipped rates).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from operator import attrgetter

from pipeline.findings import Finding
from pipeline.model import Declaration, Line
from pipeline.money import LEDGER_LIMIT_CENTS, LEDGER_SCALE
from pipeline.reference.types import ReferenceData
from pipeline.validate.values import MAX_DIGITS, shown

LEDGER_LIMIT = Decimal(LEDGER_LIMIT_CENTS).scaleb(-LEDGER_SCALE)  # dollars; the largest amount held is one cent less
_LARGEST_HELD = f"{(LEDGER_LIMIT - Decimal('0.01')):,.2f}"
# Each of a line's seven rounded amounts may gain half a cent; a dollar a line covers it with room to spare.
_ROUNDING_PER_LINE = Decimal(1)
_HUNDRED = Decimal(100)
_VALUE, _QUANTITY, _UNIT = attrgetter("value"), attrgetter("quantity"), attrgetter("unit")


def integer_digits(text: str) -> int:
    """Integer digits written in a plain decimal text that passed its checks (``"+0012.50"`` → 4)."""
    dot = text.find(".")
    return (dot if dot >= 0 else len(text)) - text.startswith("+")


class LedgerFit:
    """The check for the declarations of one validation call (the bounds are worked out once, when needed)."""

    def __init__(self, reference: ReferenceData, max_lines: int) -> None:
        self.reference = reference
        self.max_lines = max_lines
        self._percent: Decimal | None = None
        self._value_digits: dict[str, int] = {}
        self._quantity_digits: dict[str, int] = {}

    def findings(self, declaration: Declaration) -> list[Finding]:
        """The B15/B13 finding of a declaration that passed every other check, or none."""
        lines = declaration.lines
        if not lines:
            return []
        # First at C speed over the whole declaration (a text's length bounds its integer digits), then line by
        # line only when some text is long, then exactly.
        value_digits = self._safe_value_digits(declaration.currency)
        quantity_digits = min(map(self._safe_quantity_digits, set(map(_UNIT, lines))))
        if max(map(len, map(_VALUE, lines))) <= value_digits and max(map(len, map(_QUANTITY, lines))) <= (
            quantity_digits
        ):
            return []
        if all(
            integer_digits(line.value) <= value_digits
            and integer_digits(line.quantity) <= self._safe_quantity_digits(line.unit)
            for line in lines
        ):
            return []
        return self._exact(declaration)

    # -- the cheap bound --------------------------------------------------------------------------------------

    def _safe_value_digits(self, currency: str) -> int:
        digits = self._value_digits.get(currency)
        if digits is None:
            digits = self._value_digits[currency] = self._safe_digits(self._per_value(currency))
        return digits

    def _safe_quantity_digits(self, unit: str) -> int:
        digits = self._quantity_digits.get(unit)
        if digits is None:
            digits = self._quantity_digits[unit] = self._safe_digits(self._per_quantity(unit))
        return digits

    def _safe_digits(self, per_unit_of_input: Decimal) -> int:
        """The most integer digits an input may have so that ``max_lines`` lines of it, each making amounts of
        at most ``per_unit_of_input`` times the input (GST on top), stay within half the ledger's limit."""
        budget = LEDGER_LIMIT / 2 - self.max_lines * _ROUNDING_PER_LINE
        factor = self.max_lines * per_unit_of_input * (1 + self.reference.gst_rate / _HUNDRED)
        digits = -1
        while digits < MAX_DIGITS and factor * Decimal(10) ** (digits + 1) <= budget:
            digits += 1
        return digits

    def _per_value(self, currency: str) -> Decimal:
        """Dollars of amounts one unit of the invoice currency can make at most: the currency's highest rate
        times one plus every percentage that can apply."""
        if currency == "CAD":
            highest_rate = Decimal(1)
        else:
            highest_rate = max((rate for _, rate in self.reference.exchange_rates.series.get(currency, ())),
                               default=Decimal(0))
        return highest_rate * (1 + self._percentages() / _HUNDRED)

    def _percentages(self) -> Decimal:
        if self._percent is None:
            reference = self.reference
            ad_valorem = (rate.ad_valorem for versions in reference.tariff.items.values() for item in versions
                          for rate in item.rates.values() if rate.ad_valorem is not None)
            self._percent = (
                max(ad_valorem, default=Decimal(0))
                + max((rule.rate for rule in reference.surtaxes), default=Decimal(0))
                + max((m.percent for m in reference.sima.values() if m.percent is not None), default=Decimal(0))
            )
        return self._percent

    def _per_quantity(self, declared_unit: str) -> Decimal:
        """Dollars of amounts one declared unit can make at most: the highest specific duty, SIMA amount and
        excise per declared unit (each converted from its own unit where a factor exists), summed."""
        reference = self.reference
        specific = {(rate.specific, rate.specific_unit or "") for versions in reference.tariff.items.values()
                    for item in versions for rate in item.rates.values() if rate.specific is not None}
        sima = {(m.per_unit, m.unit or "") for m in reference.sima.values() if m.per_unit is not None}
        excise = {(e.per_unit, e.unit) for e in reference.excise.values()}
        return sum((self._highest(declared_unit, kind) for kind in (specific, sima, excise)), Decimal(0))

    def _highest(self, declared_unit: str, amounts: Iterable[tuple[Decimal, str]]) -> Decimal:
        units = self.reference.units
        converted = (amount * factor for amount, unit in amounts
                     if (factor := units.factor(declared_unit, unit)) is not None)
        return max(converted, default=Decimal(0))

    # -- the exact amounts ------------------------------------------------------------------------------------

    def _exact(self, declaration: Declaration) -> list[Finding]:
        # The assessment package loads pandas for its engine; validation pays for it only on this rare path.
        from pipeline.assess.explain import LABELS
        from pipeline.assess.oracle import assess_declaration_decimal
        from pipeline.assess.result import UnassessableLine
        from pipeline.assess.rules import AMOUNTS

        try:
            assessed = assess_declaration_decimal(declaration, self.reference)
        except UnassessableLine:
            return []  # a gap in validation, not a matter of size: intake reports it as a fault of the file
        running = dict.fromkeys(AMOUNTS, Decimal(0))
        for line, amounts in zip(declaration.lines, assessed["lines"], strict=True):
            for name in AMOUNTS:
                running[name] += amounts[name]
            over_line = next((name for name in AMOUNTS if amounts[name] >= LEDGER_LIMIT), None)
            over_total = next((name for name in AMOUNTS if running[name] >= LEDGER_LIMIT), None)
            if over_line is not None:
                what = f"its {LABELS[over_line]} {amounts[over_line]:,.2f} CAD"
            elif over_total is not None:
                label = "total" if over_total == "total" else LABELS[over_total]
                what = f"the declaration's {label} to {running[over_total]:,.2f} CAD"
            else:
                continue
            return [self._finding(declaration, line, what, over_line is None)]
        return []

    def _finding(self, declaration: Declaration, line: Line, what: str, summed: bool) -> Finding:
        by_quantity = self._driven_by_quantity(declaration, line)
        code, field, name = ("B13", "quantity", "quantity") if by_quantity else ("B15", "value", "value")
        text = line.quantity if by_quantity else line.value
        verb = "brings" if summed else "makes"
        message = (f"{name} {shown(text)} of line {line.number} {verb} {what}, more than the ledger can hold "
                   f"(at most {_LARGEST_HELD})")
        return Finding(code, message, line.where.get(field) or line.location, line.line_number,
                       declaration.message_reference)

    def _driven_by_quantity(self, declaration: Declaration, line: Line) -> bool:
        """Whether the line's amounts come more from its quantity (charges per unit) than from its value."""
        from pipeline.assess.oracle import assess_line_decimal

        by_value = assess_line_decimal(declaration, replace(line, quantity="0"), self.reference)
        by_quantity = assess_line_decimal(declaration, replace(line, value="0"), self.reference)
        return max(by_quantity.values()) > max(by_value.values())
