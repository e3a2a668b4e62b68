"""Goods for CAD lines, drawn from the reference data so that every line is one a real filer could send.

A line takes a classification in force on its release date, an origin, and the treatment a broker would claim:
the narrowest preferential treatment the origin is entitled to and the classification offers (UST for US goods,
CEUT for EU goods, GPT or LDCT for beneficiaries…), MFN where there is none or, now and then, where the filer
did not claim a preference. Quantities are in the tariff's unit, values in the invoice currency's minor units,
and the codes a line carries (special authority, excise, GST exemption, SIMA) are the ones that apply to it.
Combinations that would draw a warning from assessment (goods under a surtax order or a SIMA measure without
its code) are avoided, so that a valid batch is accepted without warnings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from pipeline.errors import ReferenceDataError
from pipeline.model import Line
from pipeline.reference.types import ReferenceData, TariffItem, covers, digits, in_window

CLASSIFICATION_DIGITS = 10
CLVS_MAX_CAD_CENTS = 2_500_00  # well under the C$3,300 shipment limit, whatever the rounding
PREFERENCE_CLAIMED = 0.9  # share of lines that claim the preference they are entitled to
DESCRIPTION_LENGTH = 70

# Origin of a line whose goods were not made in the country of export (a US distributor selling Chinese
# goods): weights of the usual third countries.
THIRD_COUNTRIES = (("CN", 40), ("VN", 10), ("TW", 8), ("IN", 8), ("US", 8), ("MX", 6), ("BD", 5), ("TH", 5),
                   ("KR", 5), ("DE", 4), ("IT", 3), ("JP", 3))

_COUNT_UNITS = frozenset({"C62", "NMB", "PR", "PAR", "DZN", "DPR", "MIL", "H87", "NAR", "EA", "SET", "NPR"})


@dataclass(frozen=True, slots=True)
class Goods:
    classification: str  # 10 digits, as a CAD writes it
    item: TariffItem  # the tariff item in force for it


@dataclass(frozen=True, slots=True)
class Invoice:
    """What a line's value depends on: the invoice currency, its minor units and the rate of the shipment date."""

    currency: str
    minor_units: int
    rate: Decimal  # CAD per unit of currency


@dataclass(frozen=True, slots=True)
class Sizing:
    """How a unit is counted (decimals of its quantity), what one unit costs (CAD cents) and weighs (tenths of
    a kilogram)."""

    decimals: int
    price_cents: tuple[int, int]
    tenth_kg_per_unit: tuple[int, int]


_SIZING = MappingProxyType({
    "KGM": Sizing(1, (100, 4_000), (10, 10)),
    "TNE": Sizing(3, (20_000, 200_000), (10_000, 10_000)),
    "GRM": Sizing(0, (1, 50), (0, 0)),
    "LTR": Sizing(1, (100, 3_000), (10, 12)),
    "HLT": Sizing(2, (10_000, 150_000), (1_000, 1_200)),
    "MTK": Sizing(1, (1_000, 8_000), (100, 250)),
    "MTR": Sizing(1, (100, 5_000), (5, 30)),
    "MTQ": Sizing(1, (5_000, 50_000), (3_000, 8_000)),
    "MIL": Sizing(0, (5_000, 40_000), (8, 12)),
    "DZN": Sizing(0, (1_000, 20_000), (5, 60)),
    "PR": Sizing(0, (500, 15_000), (3, 20)),
})
_COUNT_SIZING = Sizing(0, (100, 50_000), (1, 300))
_VEHICLE_SIZING = Sizing(0, (2_000_000, 9_000_000), (15_000, 200_000))  # chapter 87, by unit
# Line values in CAD cents: (low, high, weight) tiers, log-uniform within a tier. Median about C$5,000.
_LINE_VALUES = ((20_00, 200_00, 10), (200_00, 2_000_00, 30), (2_000_00, 20_000_00, 43),
                (20_000_00, 100_000_00, 15), (100_000_00, 500_000_00, 2))
HIGH_RATE_REDRAW = 0.9  # over-access-commitment rates (100 % and more) are rare: most imports fit the quota


def log_uniform(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high], uniform in its number of digits (amounts spread like real invoices), with no
    float in sight."""
    low = max(low, 1)
    if high <= low:
        return low
    starts = [low]
    while 10 ** len(str(starts[-1])) < high:
        starts.append(10 ** len(str(starts[-1])))
    start = rng.choice(starts)
    return rng.randint(start, min(high, 10 ** len(str(start)) - 1))


def scaled_text(units: int, decimals: int) -> str:
    """``units`` counted in 10**-decimals as plain decimal text (1234, 1 → "123.4"); no exponent, no float."""
    return format(Decimal(units).scaleb(-decimals), "f")


class GoodsCatalogue:
    """The goods a batch draws from, with memos per release date (one catalogue per batch, never shared)."""

    def __init__(self, reference: ReferenceData) -> None:
        self.reference = reference
        self._pools: dict[date, tuple[Goods, ...]] = {}
        self._treatments: dict[tuple[str, str, date], tuple[str, ...]] = {}
        self._quiet: dict[tuple[str, str, date], bool] = {}
        self._sima: dict[tuple[str, str, date], object] = {}
        self._applicable: dict[tuple[str, str, date], tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}
        self._preferential = self._preferential_order()
        self._unit_text = self._filer_unit_names()

    # -- reference look-ups ---------------------------------------------------------------------------------

    def _preferential_order(self) -> tuple[str, ...]:
        """Treatments with an entitled-country list, narrowest first: a country party to a bilateral agreement
        claims it before a plurilateral one, and a least developed country claims LDCT before GPT."""
        listed = [t for t in self.reference.treatments.values() if t.entitled is not None]
        return tuple(t.code for t in sorted(listed, key=lambda t: (len(t.entitled or ()), int(t.code))))

    def _filer_unit_names(self) -> dict[str, str]:
        """CBSA's printed alias of a Rec 20 code (C62 → NMB), the way a filer writes it."""
        names: dict[str, str] = {}
        for alias, code in sorted(self.reference.units.aliases.items()):
            names.setdefault(code, alias)
        return names

    def pool(self, on: date) -> tuple[Goods, ...]:
        """Every classification in force on ``on`` (8-digit tariff items get the statistical suffix 00)."""
        cached = self._pools.get(on)
        if cached is not None:
            return cached
        tariff = self.reference.tariff
        found: dict[str, Goods] = {}
        for key in sorted(tariff.items):
            code = digits(key)
            if len(code) not in (8, CLASSIFICATION_DIGITS):
                continue
            classification = code.ljust(CLASSIFICATION_DIGITS, "0")
            item = tariff.lookup(classification, on)
            if item is not None and item.rates and classification not in found:
                found[classification] = Goods(classification, item)
        if not found:
            raise ReferenceDataError("tariff", None, None, f"no tariff item is in force on {on}")
        pool = self._pools[on] = tuple(found[c] for c in sorted(found))
        return pool

    def treatments(self, goods: Goods, origin: str, on: date) -> tuple[str, ...]:
        """Treatments the classification offers and the origin is entitled to, best claim first; MFN last.
        The General Tariff is left out: it is for countries denied MFN, which the generator does not use."""
        key = (goods.classification, origin, on)
        cached = self._treatments.get(key)
        if cached is not None:
            return cached
        treatments = self.reference.treatments
        offered = goods.item.rates
        chosen = [
            code for code in self._preferential
            if code in offered and treatments[code].is_entitled(origin, on)
        ]
        mfn = treatments.get("2")
        if "2" in offered and mfn is not None and mfn.is_entitled(origin, on):
            chosen.append("2")
        result = self._treatments[key] = tuple(chosen)
        return result

    def line_unit(self, goods: Goods, treatment: str) -> str | None:
        """The unit a filer declares: the tariff's, else the rate's, else a count; None if no unit works."""
        rate = goods.item.rates[treatment]
        unit = goods.item.unit or rate.specific_unit or "C62"
        if rate.specific_unit and self.reference.units.factor(unit, rate.specific_unit) is None:
            return None
        canonical = self.reference.units.canonical(unit)
        if canonical is None:
            return None
        return self._unit_text.get(canonical, canonical)

    def is_quiet(self, goods: Goods, origin: str, on: date) -> bool:
        """No surtax order covers these goods from this origin (an undeclared surtax draws W03)."""
        key = (goods.classification, origin, on)
        quiet = self._quiet.get(key)
        if quiet is None:
            quiet = self._quiet[key] = self.reference.surtax_for(goods.classification, origin, on) is None
        return quiet

    def sima_measure(self, goods: Goods, origin: str, on: date):  # noqa: ANN201 - SimaMeasure | None
        key = (goods.classification, origin, on)
        if key not in self._sima:
            self._sima[key] = self.reference.sima_for(goods.classification, origin, on)
        return self._sima[key]

    def _sima_declarable(self, goods: Goods, origin: str, unit: str, on: date) -> bool:
        """No SIMA measure covers the line, or its code can be declared with the line's unit."""
        measure = self.sima_measure(goods, origin, on)
        if measure is None or measure.per_unit is None or not measure.unit:
            return True
        return self.reference.units.factor(unit, measure.unit) is not None

    def find(self, rng: random.Random, on: date, accept) -> Goods | None:  # noqa: ANN001 - predicate
        """A random classification in force on ``on`` for which ``accept(goods)`` holds."""
        pool = list(self.pool(on))
        rng.shuffle(pool)
        return next((goods for goods in pool if accept(goods)), None)

    # -- lines ----------------------------------------------------------------------------------------------

    def choose(self, rng: random.Random, on: date, origin: str) -> tuple[Goods, str, str] | None:
        """(goods, treatment, unit) for a line of this origin, or None when 40 draws found nothing."""
        pool = self.pool(on)
        for _ in range(40):
            goods = rng.choice(pool)
            claims = self.treatments(goods, origin, on)
            if not claims or not self.is_quiet(goods, origin, on):
                continue
            treatment = claims[0]
            if treatment != "2" and "2" in claims and rng.random() > PREFERENCE_CLAIMED:
                treatment = "2"
            high = goods.item.rates[treatment].ad_valorem
            if high is not None and high >= 100 and rng.random() < HIGH_RATE_REDRAW:
                continue
            unit = self.line_unit(goods, treatment)
            if unit is not None and self._sima_declarable(goods, origin, unit, on):
                return goods, treatment, unit
        return None

    def origin_for(self, rng: random.Random, export_country: str) -> str:
        if rng.random() < 0.85:
            return export_country
        countries = [(c, w) for c, w in THIRD_COUNTRIES if c != export_country and c in self.reference.countries]
        return rng.choices([c for c, _ in countries], weights=[w for _, w in countries])[0]

    def line(
        self, rng: random.Random, *, number: int, on: date, export_country: str, invoice: Invoice,
        clvs: bool = False, cargo_control: str | None = None,
    ) -> Line:
        origin = self.origin_for(rng, export_country)
        picked = self.choose(rng, on, origin)
        if picked is None:
            origin = export_country
            picked = self.choose(rng, on, origin)
        for fallback in ("US", "CN", "DE", "JP"):
            if picked is not None:
                break
            origin = fallback
            picked = self.choose(rng, on, origin)
        if picked is None:
            raise ReferenceDataError("tariff", None, None, f"no classification in force on {on} can be declared")
        goods, treatment, unit = picked
        return self.build_line(
            rng, number=number, goods=goods, treatment=treatment, unit=unit, origin=origin, on=on,
            invoice=invoice, clvs=clvs, cargo_control=cargo_control,
        )

    def build_line(
        self, rng: random.Random, *, number: int, goods: Goods, treatment: str, unit: str, origin: str, on: date,
        invoice: Invoice, clvs: bool = False, cargo_control: str | None = None,
    ) -> Line:
        canonical = self.reference.units.canonical(unit) or unit
        sizing = self._sizing(goods, canonical)
        scale = 10 ** sizing.decimals
        if clvs:
            value_cad_cents = log_uniform(rng, 5_00, CLVS_MAX_CAD_CENTS)
            quantity_units = rng.randint(1, 5) * scale if canonical in _COUNT_UNITS else rng.randint(1, 50) * max(
                scale // 10, 1
            )
        elif sizing is _VEHICLE_SIZING:
            quantity_units = rng.randint(1, 4)
            value_cad_cents = quantity_units * log_uniform(rng, *sizing.price_cents)
        else:
            low, high, _ = rng.choices(_LINE_VALUES, weights=[w for _, _, w in _LINE_VALUES])[0]
            value_cad_cents = log_uniform(rng, low, high)
            quantity_units = max(value_cad_cents * scale // log_uniform(rng, *sizing.price_cents), 1)
        weight = None
        if sizing.tenth_kg_per_unit[1] and rng.random() < 0.9:
            per_unit = rng.randint(*sizing.tenth_kg_per_unit)
            tenths = max(quantity_units * per_unit * rng.randint(102, 115) // (100 * scale), 1)
            weight = scaled_text(tenths, 1)
        special_authority, excise, gst_exemption, sima = self._codes(rng, goods, origin, unit, on)
        return Line(
            number=str(number),
            classification=goods.classification,
            treatment=treatment,
            description=self.description(goods),
            origin=origin,
            unit=unit,
            quantity=scaled_text(quantity_units, sizing.decimals),
            value=invoice_value(value_cad_cents, invoice),
            gross_weight=weight,
            gross_weight_unit="KGM" if weight is not None else None,
            cargo_control=cargo_control,
            special_authority=special_authority,
            gst_exemption=gst_exemption,
            excise_code=excise,
            sima=sima,
        )

    @staticmethod
    def _sizing(goods: Goods, canonical: str) -> Sizing:
        if canonical in _COUNT_UNITS and canonical not in _SIZING:
            return _VEHICLE_SIZING if goods.classification.startswith("87") else _COUNT_SIZING
        return _SIZING.get(canonical, _COUNT_SIZING)

    @staticmethod
    def description(goods: Goods) -> str:
        text = " ".join(goods.item.description.split()) or "Goods"
        if len(text) <= DESCRIPTION_LENGTH:
            return text
        return text[:DESCRIPTION_LENGTH].rsplit(" ", 1)[0].rstrip(",;:-")

    def applicable_codes(
        self, goods: Goods, unit: str, on: date
    ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """(GST-relief special authorities, excise codes, GST exemptions) that apply to these goods in this unit
        on that date; codes that name no goods (they would apply to anything) are never volunteered."""
        key = (goods.classification, unit, on)
        cached = self._applicable.get(key)
        if cached is not None:
            return cached
        reference, classification = self.reference, goods.classification
        specials = tuple(
            code for code in sorted(reference.special_authorities)
            if (a := reference.special_authorities[code]).relieves == "gst" and a.goods is not None
            and in_window(on, a.start, a.end) and covers(a.goods, classification)
        )
        excise = tuple(
            code for code in sorted(reference.excise)
            if (e := reference.excise[code]).goods is not None and covers(e.goods, classification)
            and in_window(on, e.start, e.end) and reference.units.factor(unit, e.unit) is not None
        )
        exemptions = tuple(
            code for code in sorted(reference.gst_exemptions)
            if (g := reference.gst_exemptions[code]).goods is not None and covers(g.goods, classification)
        )
        result = self._applicable[key] = (specials, excise, exemptions)
        return result

    def _codes(
        self, rng: random.Random, goods: Goods, origin: str, unit: str, on: date
    ) -> tuple[str | None, str | None, str | None, str | None]:
        """(special authority, excise code, GST exemption, SIMA code) that apply to this line, some of the time."""
        specials, excise_codes, exemptions = self.applicable_codes(goods, unit, on)
        special = next((code for code in specials if rng.random() < 0.7), None)
        excise = rng.choice(excise_codes) if excise_codes and rng.random() < 0.6 else None
        exemption = rng.choice(exemptions) if exemptions and special is None and rng.random() < 0.2 else None
        measure = self.sima_measure(goods, origin, on)
        # Declared, as a careful filer does (an undeclared measure draws W03); `choose` made sure it fits.
        sima = measure.code if measure is not None else None
        return special, excise, exemption, sima


def invoice_value(cad_cents: int, invoice: Invoice) -> str:
    """A CAD amount expressed in the invoice currency, at its minor units, never below one minor unit."""
    amount = Decimal(cad_cents).scaleb(-2) / invoice.rate
    quantum = Decimal(1).scaleb(-invoice.minor_units)
    value = max(amount.quantize(quantum, rounding=ROUND_HALF_UP), quantum)
    return format(value, "f")
