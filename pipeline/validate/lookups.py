"""Reference look-ups memoised for one validation call.

A file of 100,000 declarations repeats the same few dates, currencies, classifications and codes over and over;
asking the reference tables once per distinct question keeps validation linear in the number of lines with a
small constant. The memo lives in an instance made per call (never at module level), so nothing outlives the
call and reference data can change between calls.
"""

from __future__ import annotations

from datetime import date

from pipeline.reference.types import ExchangeRate, ReferenceData, TariffItem
from pipeline.validate.values import parse_date


class ReferenceLookups:
    """The questions validation asks of ``ReferenceData``, each answered once per distinct argument."""

    __slots__ = ("reference", "_dates", "_tariff", "_rates", "_entitled", "_factors", "_alias_of")

    def __init__(self, reference: ReferenceData) -> None:
        self.reference = reference
        self._dates: dict[str, date | None] = {}
        self._tariff: dict[tuple[str, date], TariffItem | None] = {}
        self._rates: dict[tuple[str, date], ExchangeRate | None] = {}
        self._entitled: dict[tuple[str, str, date], bool] = {}
        self._factors: dict[tuple[str, str], bool] = {}
        self._alias_of: dict[str, str] | None = None

    def date(self, text: str | None) -> date | None:
        if text is None:
            return None
        try:
            return self._dates[text]
        except KeyError:
            parsed = self._dates[text] = parse_date(text)
            return parsed

    def tariff_item(self, classification: str, on: date) -> TariffItem | None:
        key = (classification, on)
        try:
            return self._tariff[key]
        except KeyError:
            item = self._tariff[key] = self.reference.tariff.lookup(classification, on)
            return item

    def exchange_rate(self, currency: str, on: date) -> ExchangeRate | None:
        key = (currency, on)
        try:
            return self._rates[key]
        except KeyError:
            rate = self._rates[key] = self.reference.exchange_rates.rate_for(currency, on)
            return rate

    def is_entitled(self, treatment: str, country: str, on: date) -> bool:
        """Whether ``country`` is entitled to the (known) treatment code on ``on``."""
        key = (treatment, country, on)
        try:
            return self._entitled[key]
        except KeyError:
            entitled = self._entitled[key] = self.reference.treatments[treatment].is_entitled(country, on)
            return entitled

    def convertible(self, from_unit: str, to_unit: str) -> bool:
        """Whether a quantity in ``from_unit`` can be expressed in ``to_unit`` by a fixed factor."""
        key = (from_unit, to_unit)
        try:
            return self._factors[key]
        except KeyError:
            ok = self._factors[key] = self.reference.units.factor(from_unit, to_unit) is not None
            return ok

    def unit_name(self, code: str) -> str:
        """A unit as a message names it: ``"C62" (NMB)`` when the CBSA alias a sender writes differs from the
        Rec 20 code the reference data keeps."""
        if self._alias_of is None:
            self._alias_of = {}
            for alias, canonical in sorted(self.reference.units.aliases.items()):
                self._alias_of.setdefault(canonical, alias)
        alias = self._alias_of.get(code)
        return f'"{code}" ({alias})' if alias and alias != code else f'"{code}"'
