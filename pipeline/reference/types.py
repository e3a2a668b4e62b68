"""The reference tables as plain, frozen data, with the lookups validation and assessment need.

Every table has effective dates and a source; nothing here holds a rate itself (rates live in the data files
under ``pipeline/reference/data`` or in ``CARM_REFDATA_DIR``). Loaders live in the sibling modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

_EPOCH = date(1970, 1, 1)  # day numbers count from here, as the engine's datetime64[D] do


def in_window(on: date, start: date | None, end: date | None) -> bool:
    """``start <= on <= end``, an open end meaning "still in force"."""
    return (start is None or start <= on) and (end is None or on <= end)


def digits(classification: str) -> str:
    """The ASCII digits of a classification (``9503.00.10.10`` → ``9503001010``; see pipeline.digits)."""
    if classification.isascii() and classification.isdigit():  # already digits only, as most are
        return classification
    return "".join(ch for ch in classification if "0" <= ch <= "9")


def covers(prefixes: frozenset[str] | None, classification: str) -> bool:
    """Whether a goods list of tariff-item prefixes (digits only) covers a classification; None = all goods."""
    if prefixes is None:
        return True
    code = digits(classification)
    return any(code.startswith(prefix) for prefix in prefixes)


@dataclass(frozen=True, slots=True)
class Rate:
    """A parsed tariff rate cell.

    ``ad_valorem`` is a percentage (``Decimal("8")`` for ``8%``); ``specific`` is dollars per ``specific_unit``
    (``Decimal("0.0332")`` and ``"KGM"`` for ``3.32¢/kg``). ``combine`` says how two parts meet: ``"max"`` for
    "but not less than", ``"min"`` for "but not more than", ``"sum"`` for "plus"; None when there is one part.
    ``Free`` has neither part.
    """

    text: str
    ad_valorem: Decimal | None = None
    specific: Decimal | None = None
    specific_unit: str | None = None
    combine: str | None = None

    @property
    def is_free(self) -> bool:
        return self.ad_valorem is None and self.specific is None


@dataclass(frozen=True, slots=True)
class CellFault:
    """A cell of a reference file that cannot be read; it makes what uses it unusable, not the whole file."""

    path: str
    row: int
    column: str
    text: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}, row {self.row}, column {self.column}: {self.problem}"


#: Keys of ``TariffItem.unusable`` besides treatment codes: the whole item, its unit of measure.
WHOLE_ITEM, UNIT_OF_MEASURE = "*", "UOM"


@dataclass(frozen=True, slots=True)
class TariffItem:
    """One classification (10 digits) or tariff item (8 digits, covering every classification below it)."""

    classification: str  # digits only
    description: str
    unit: str | None  # UN/ECE Rec 20 code of the tariff's unit of measure
    rates: Mapping[str, Rate]  # tariff treatment code ("2", "3", "10", ...) -> rate; absent = not offered
    effective_from: date
    effective_to: date | None
    source: str
    row: int = 0  # row in its source table, for explanations
    edition: str = ""  # the tariff file (edition) it was read from, e.g. "T2026-2"
    rates_row: int = 0  # row of the tariff item (8 digits) whose rates these are
    changed: date | None = None  # that row's EFF_DATE: when its rates last changed
    edition_sha256: str = ""  # SHA-256 of the edition's file: which version of it the line was assessed with
    # what cannot be used, with the cell that says why: a treatment code, UNIT_OF_MEASURE, or WHOLE_ITEM
    unusable: Mapping[str, CellFault] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TariffEdition:
    """One tariff file as loaded: an edition of the schedule, in force from ``start`` until the next one."""

    name: str
    path: str
    form: str  # "export" (CBSA TPHS) or "printed"
    start: date | None  # None: in force from each row's own date (the earliest edition loaded)
    end: date | None
    rows: int  # data rows read
    headings: int
    items: int  # 8-digit tariff items
    classifications: int  # 10-digit classifications
    duplicates: int  # rows given twice, identical
    latest_change: date | None  # the latest EFF_DATE of its rows
    unknown_columns: tuple[str, ...] = ()
    faults: tuple[CellFault, ...] = ()
    notes: tuple[str, ...] = ()
    sha256: str = ""  # of the file's bytes


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file a reference table was read from, and the SHA-256 of its bytes as read: what a posted line records
    so that a replay with other reference data shows."""

    path: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Tariff:
    items: Mapping[str, tuple[TariffItem, ...]]  # digits -> versions, any order
    source: str
    editions: tuple[TariffEdition, ...] = ()  # oldest first

    def lookup(self, classification: str, on: date) -> TariffItem | None:
        """The item in force on ``on`` for a 10-digit classification: the exact classification first, else its
        8-digit tariff item."""
        code = digits(classification)
        for key in (code, code[:8]):
            for item in self.items.get(key, ()):
                if in_window(on, item.effective_from, item.effective_to):
                    return item
        return None


@dataclass(frozen=True, slots=True)
class Treatment:
    """A tariff treatment. ``entitled`` is the set of origin countries entitled to it; None means every country
    (MFN and the General Tariff), less ``excluded`` from the date given."""

    code: str
    abbreviation: str
    name: str
    entitled: frozenset[str] | None
    excluded: Mapping[str, date] = field(default_factory=dict)  # country -> excluded from that date
    source: str = ""
    # country -> entitled only from that date (e.g. GB to CPTPT from 2024-12-15); absent = no start
    entitled_since: Mapping[str, date] = field(default_factory=dict)

    def is_entitled(self, country: str, on: date) -> bool:
        if self.entitled is not None and country not in self.entitled:
            return False
        start = self.entitled_since.get(country)
        if start is not None and on < start:
            return False
        since = self.excluded.get(country)
        return since is None or on < since


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    currency: str
    rate: Decimal  # CAD per unit of currency
    published: date
    series: str  # e.g. FXUSDCAD, or "CAD" for the identity


#: The oldest rate a date may take (spec/reference-data.md): the Bank never leaves a longer gap, so an older
#: "latest" rate only means the rates were not fetched (B14).
RATE_MAX_AGE_DAYS = 7


@dataclass(frozen=True, slots=True)
class ExchangeRates:
    """Bank of Canada daily rates; the rate for a date is that day's or the latest published in the
    ``RATE_MAX_AGE_DAYS`` days before it, else none."""

    series: Mapping[str, tuple[tuple[date, Decimal], ...]]  # currency -> ((date, rate), ...) sorted by date
    source: str
    files: tuple[SourceFile, ...] = ()  # the Valet files read
    # currency -> day -> (rate, path of a file of ``files`` that holds it)
    observed: Mapping[str, Mapping[date, tuple[Decimal, str]]] = field(default_factory=dict, repr=False, compare=False)
    # currency -> ``published``'s answer, made on first use
    _published: dict[str, tuple[tuple[int, ...], tuple[ExchangeRate, ...]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def published(self, currency: str) -> tuple[tuple[int, ...], tuple[ExchangeRate, ...]]:
        """Every rate published for ``currency``: the days (since 1970-01-01, ascending) and their ExchangeRate
        rows, in the same order. Made once per currency: the engine reads them for every batch, and a batch
        shipped over two years uses thousands of them."""
        found = self._published.get(currency)
        if found is None:
            observations = self.series.get(currency, ())
            found = self._published[currency] = (
                tuple((on - _EPOCH).days for on, _ in observations),
                tuple(ExchangeRate(currency, rate, on, f"FX{currency}CAD") for on, rate in observations),
            )
        return found

    def _latest(self, currency: str, on: date) -> tuple[date, Decimal] | None:
        observations = self.series.get(currency)
        if not observations:
            return None
        from bisect import bisect_right

        index = bisect_right(observations, (on, Decimal("Infinity"))) - 1
        return observations[index] if index >= 0 else None

    def latest_published(self, currency: str, on: date) -> date | None:
        """The day of the latest rate published on or before ``on``, however old (for messages)."""
        latest = self._latest(currency, on)
        return latest[0] if latest is not None else None

    def rate_for(self, currency: str, on: date) -> ExchangeRate | None:
        if currency == "CAD":
            return ExchangeRate("CAD", Decimal(1), on, "CAD")
        latest = self._latest(currency, on)
        if latest is None or (on - latest[0]).days > RATE_MAX_AGE_DAYS:
            return None
        published, rate = latest
        return ExchangeRate(currency, rate, published, f"FX{currency}CAD")

    def file_of(self, currency: str, published: date) -> SourceFile | None:
        """The file the rate published that day was read from (None: no such observation, or CAD)."""
        found = self.observed.get(currency, {}).get(published)
        return next((file for file in self.files if found is not None and file.path == found[1]), None)


@dataclass(frozen=True, slots=True)
class Units:
    """UN/ECE Rec 20 codes, CBSA aliases, and fixed conversion factors between units of one dimension."""

    known: frozenset[str]
    aliases: Mapping[str, str]  # CBSA alias -> Rec 20 code
    factors: Mapping[tuple[str, str], Decimal]  # (from, to) -> multiply a quantity in `from` by this to get `to`

    def canonical(self, code: str) -> str | None:
        code = code.strip().upper()
        if code in self.aliases:
            return self.aliases[code]
        return code if code in self.known else None

    def factor(self, from_unit: str, to_unit: str) -> Decimal | None:
        source, target = self.canonical(from_unit), self.canonical(to_unit)
        if source is None or target is None:
            return None
        if source == target:
            return Decimal(1)
        return self.factors.get((source, target))


@dataclass(frozen=True, slots=True)
class SurtaxRule:
    order: str  # e.g. "SOR/2026-186"
    schedule: str
    goods: frozenset[str]  # tariff-item prefixes, digits only
    countries: frozenset[str]  # origins it applies to
    rate: Decimal  # percent of VFD
    start: date
    end: date | None
    source: str
    row: int = 0


@dataclass(frozen=True, slots=True)
class SimaMeasure:
    code: str
    description: str
    goods: frozenset[str]
    countries: frozenset[str]
    percent: Decimal | None  # % of VFD
    per_unit: Decimal | None  # dollars per `unit`
    unit: str | None
    start: date
    end: date | None
    source: str
    example: bool  # True: invented for tests and the demo, not a real measure
    row: int = 0


@dataclass(frozen=True, slots=True)
class ExciseCode:
    """An excise code of a line: excise *duty* (Excise Act, 2001) or excise *tax* (Excise Tax Act)."""

    code: str
    kind: str  # "duty" | "tax"
    description: str
    goods: frozenset[str] | None
    per_unit: Decimal  # dollars per `unit`
    unit: str  # Rec 20 code; NMB for "a unit"
    start: date
    end: date | None
    source: str
    example: bool
    row: int = 0


@dataclass(frozen=True, slots=True)
class GstExemption:
    code: str
    description: str
    goods: frozenset[str] | None
    source: str
    example: bool


@dataclass(frozen=True, slots=True)
class SpecialAuthority:
    """A special authority / order-in-council code. ``relieves`` is what it removes: "gst" (e.g. the GST/HST
    break) or "surtax" (a remission order)."""

    code: str
    description: str
    relieves: str
    goods: frozenset[str] | None
    start: date
    end: date | None
    source: str
    approximate_goods: bool  # the goods list is an approximation (says so in explanations)
    remits_order: str | None = None  # for surtax remission: which order


@dataclass(frozen=True, slots=True)
class ClvsThreshold:
    """Courier low-value shipment relief by origin: at most ``max_vfd`` → no duty / no GST as flagged."""

    countries: frozenset[str] | None  # None = any other origin
    max_vfd: Decimal
    duty_free: bool
    gst_free: bool
    source: str


@dataclass(frozen=True, slots=True)
class Clvs:
    thresholds: tuple[ClvsThreshold, ...]  # most specific first
    shipment_limit: Decimal  # above this a shipment may not be a CLVS (B21)
    source: str


@dataclass(frozen=True, slots=True)
class ReferenceData:
    tariff: Tariff
    treatments: Mapping[str, Treatment]
    exchange_rates: ExchangeRates
    currencies: Mapping[str, int]  # ISO 4217 code -> minor units
    countries: frozenset[str]  # ISO 3166-1 alpha-2
    units: Units
    surtaxes: tuple[SurtaxRule, ...]
    sima: Mapping[str, SimaMeasure]
    excise: Mapping[str, ExciseCode]
    gst_exemptions: Mapping[str, GstExemption]
    special_authorities: Mapping[str, SpecialAuthority]
    clvs: Clvs
    gst_rate: Decimal  # percent, 5
    provenance: Mapping[str, str]  # table name -> where it came from
    files: Mapping[str, tuple[SourceFile, ...]] = field(default_factory=dict)  # table name -> files read

    def surtax_for(self, classification: str, origin: str, on: date) -> SurtaxRule | None:
        for rule in self.surtaxes:
            if origin in rule.countries and in_window(on, rule.start, rule.end) and covers(rule.goods, classification):
                return rule
        return None

    def sima_for(self, classification: str, origin: str, on: date) -> SimaMeasure | None:
        """The measure covering these goods and origin on that date, whatever code the filer gave."""
        for measure in self.sima.values():
            if origin in measure.countries and in_window(on, measure.start, measure.end) and covers(
                measure.goods, classification
            ):
                return measure
        return None
