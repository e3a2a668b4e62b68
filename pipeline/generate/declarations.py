"""Valid CADs: the header a broker's software writes (dates, office, transport, currency, parties) around lines
from the goods catalogue.

Dates follow how goods move: shipped (by road a day or two, by sea a few weeks before release), released no
more than three days before the business date on which the CAD is filed (so never late: no W02), documented
between release and filing. The exchange rate of the shipment date always exists in the reference data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from pipeline.generate import names
from pipeline.generate.goods import GoodsCatalogue, Invoice
from pipeline.generate.world import ProviderProfile, World
from pipeline.identifiers import transaction_number
from pipeline.model import CHANGE, ORIGINAL, Declaration, FilerAmount, Line, Party
from pipeline.money import round_cents
from pipeline.reference.types import ReferenceData

REGULAR, CLVS = "AB", "C"
FILER_AMOUNTS_SHARE = 0.15  # CADs on which the filer sends its own CUD and GST amounts
CHANGE_REASONS = ("C01", "C02", "C05", "C07")
SEQUENCE_EPOCH = date(2000, 1, 1)  # transaction sequences start with the day number since then
PER_DAY = 10_000  # transaction numbers per account security number and day

EXPORT_COUNTRIES = (
    ("US", 46), ("CN", 16), ("MX", 5), ("DE", 4), ("JP", 4), ("VN", 3), ("IT", 3), ("GB", 3), ("FR", 3),
    ("KR", 2), ("IN", 2), ("TW", 2), ("NL", 1), ("ES", 1), ("BE", 1), ("CH", 1), ("TH", 1), ("BD", 1),
)
CLVS_EXPORT_COUNTRIES = (("US", 60), ("CN", 25), ("GB", 5), ("HK", 5), ("DE", 5))
_EURO = frozenset({"DE", "IT", "FR", "NL", "ES", "BE", "AT", "IE", "PT", "FI"})
# Invoice currencies by country of export, with weights; CAD invoices are added everywhere.
_CURRENCIES = MappingProxyType({
    "US": (("USD", 100),), "MX": (("USD", 60), ("MXN", 40)), "CN": (("USD", 80), ("CNY", 20)),
    "HK": (("USD", 100),), "GB": (("GBP", 85), ("USD", 15)), "JP": (("JPY", 70), ("USD", 30)),
    "CH": (("EUR", 60), ("USD", 40)),
})
CAD_INVOICES = 0.03

# Modes (1 air, 2 highway, 6 rail, 8 courier, 9 marine) by where the goods come from.
_MODES = MappingProxyType({
    "US": (("2", 70), ("6", 10), ("1", 10), ("9", 3), ("8", 7)),
    "MX": (("2", 75), ("6", 15), ("1", 10)),
    "overseas": (("9", 70), ("1", 25), ("8", 5)),
})
_TRANSIT_DAYS = MappingProxyType({"2": (0, 2), "6": (2, 7), "1": (1, 3), "8": (1, 4), "9": (12, 35)})
# Real-looking 4-digit office numbers by mode (a look, not a claim about which office is where).
_OFFICES = MappingProxyType({
    "2": ("0453", "0440", "0427", "0410", "0452", "0813"),
    "6": ("0453", "0809", "0396"),
    "1": ("0497", "0495", "0822", "0701"),
    "8": ("0497", "0496", "0821"),
    "9": ("0809", "0822", "0395", "0201"),
})
_CARRIERS = MappingProxyType({
    "2": ("2ABC", "3XPR", "4TRK", "8NTL", "9LTL"),
    "6": ("CNRU", "CPRS"),
    "1": ("AC01", "WS77", "CX88"),
    "8": ("PRLA", "UPSC", "FDXE", "DHLC"),
    "9": ("MAEU", "CMDU", "HLCU", "OOLU"),
})


def weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([key for key, _ in table], weights=[weight for _, weight in table])[0]


@dataclass(frozen=True, slots=True)
class Filing:
    """Who files a CAD, for whom, and on which business day."""

    provider: ProviderProfile
    importer: str  # BN15
    business_date: date


class DeclarationFactory:
    """Builds the valid CADs of one batch. Holds the batch's transaction-number counters and vendor book."""

    def __init__(self, reference: ReferenceData, world: World, catalogue: GoodsCatalogue) -> None:
        self.reference = reference
        self.world = world
        self.catalogue = catalogue
        self._issued: dict[tuple[str, date], int] = {}
        self._vendors: dict[str, list[Party]] = {}

    # -- identifiers ----------------------------------------------------------------------------------------

    def transaction_number(self, provider: ProviderProfile, business_date: date) -> str:
        """The next number of this provider on this day: ASEC (5 digits) + day number and counter (8) + check.

        The day number in the sequence keeps batches of different business days from colliding."""
        key = (provider.id, business_date)
        issued = self._issued.get(key, 0)
        self._issued[key] = issued + 1
        block, counter = divmod(issued, PER_DAY)
        if block >= 1000:
            raise ValueError(f"more than {1000 * PER_DAY} CADs for one provider and day")
        asec = 10_000 + provider.index * 1000 + block
        day = (business_date - SEQUENCE_EPOCH).days % 10_000
        first13 = f"{asec:05d}{day:04d}{counter:04d}"
        return first13 + transaction_number.calc_check_digit(first13)

    def cargo_control(self, rng: random.Random, mode: str) -> str:
        return f"{rng.choice(_CARRIERS[mode])}{rng.randint(10**9, 10**10 - 1)}"

    # -- parties --------------------------------------------------------------------------------------------

    def importer_party(self, bn15: str) -> Party:
        return Party(role="IM", name=self.world.importers[bn15].name, id=bn15)

    def vendor(self, rng: random.Random, country: str) -> Party:
        book = self._vendors.setdefault(country, [])
        if len(book) < 12 and (not book or rng.random() < 0.3):
            street, city, postcode = names.vendor_address(rng, country)
            book.append(Party(role="SE", name=names.vendor_company(rng, country), street=street, city=city,
                              postcode=postcode, country=country))
            return book[-1]
        return rng.choice(book)

    # -- declarations ---------------------------------------------------------------------------------------

    def build(self, rng: random.Random, filing: Filing, *, clvs: bool = False, line_count: int | None = None) -> Declaration:
        """A valid CAD; ``line_count`` sets how many lines a regular (non-CLVS) CAD has, else the usual mix."""
        reference = self.reference
        export = weighted(rng, CLVS_EXPORT_COUNTRIES if clvs else EXPORT_COUNTRIES)
        if export not in reference.countries:
            export = "US"
        if clvs:
            mode = "8" if rng.random() < 0.85 else "1"
        else:
            mode = weighted(rng, _MODES.get(export, _MODES["overseas"]))
        business = filing.business_date
        release = business - timedelta(days=rng.choice((0, 0, 0, 1, 1, 2, 3) if not clvs else (0, 0, 1)))
        document = release + timedelta(days=rng.randint(0, (business - release).days))
        shipment = release - timedelta(days=rng.randint(*_TRANSIT_DAYS[mode]))
        invoice, shipment = self._invoice(rng, export, shipment, release)

        if clvs:
            count = rng.randint(1, 6)
        elif line_count is not None:
            count = line_count
        else:
            count = rng.randint(11, 30) if rng.random() < 0.02 else rng.randint(1, 9)
        lines = []
        for number in range(1, count + 1):
            ccn = self.cargo_control(rng, mode) if clvs else None
            lines.append(self.catalogue.line(rng, number=number, on=release, export_country=export,
                                             invoice=invoice, clvs=clvs, cargo_control=ccn))
        if not clvs and rng.random() < FILER_AMOUNTS_SHARE:
            lines = [self.with_filer_amounts(line, invoice, release) for line in lines]

        provider = filing.provider
        broker = provider.broker
        return Declaration(
            function=ORIGINAL,
            transaction_number=self.transaction_number(provider, business),
            version="1",
            cad_type=CLVS if clvs else REGULAR,
            document_date=document.isoformat(),
            release_date=release.isoformat(),
            shipment_date=shipment.isoformat(),
            office=rng.choice(_OFFICES[mode]),
            export_country=export,
            importer=self.importer_party(filing.importer),
            vendor=self.vendor(rng, export),
            transport_mode=mode,
            currency=invoice.currency,
            lines=tuple(lines),
            broker=Party(role="CB", name=broker.name, id=broker.bn9) if broker is not None else None,
            cargo_control=None if clvs or rng.random() < 0.15 else self.cargo_control(rng, mode),
            invoice_number=f"INV-{rng.randint(10_000, 9_999_999)}" if rng.random() < 0.9 else None,
            declared_line_count=str(count),
        )

    def _invoice(self, rng: random.Random, export: str, shipment: date, release: date) -> tuple[Invoice, date]:
        """The invoice currency and its rate; the shipment date moves up to the release date if the reference
        data has no rate that early, and the invoice falls back to CAD if it has none at all."""
        reference = self.reference
        if rng.random() < CAD_INVOICES:
            currency = "CAD"
        else:
            table = _CURRENCIES.get(export) or ((("EUR", 85), ("USD", 15)) if export in _EURO else (("USD", 100),))
            currency = weighted(rng, table)
        rates = reference.exchange_rates
        rate = rates.rate_for(currency, shipment)
        if rate is None:
            shipment = release
            rate = rates.rate_for(currency, shipment)
        if rate is None or currency not in reference.currencies:
            currency, rate = "CAD", rates.rate_for("CAD", shipment)
        return Invoice(currency, reference.currencies.get(currency, 2), rate.rate), shipment

    def with_filer_amounts(self, line: Line, invoice: Invoice, release: date) -> Line:
        """The line with the filer's own CUD and GST, where the filer's arithmetic is simple (free or ad valorem
        duty, no surtax, SIMA, excise or relief code). The filer computes independently of the assessment
        engine, as a real filer's software does; both follow spec/assessment.md, so the amounts agree."""
        if line.special_authority or line.gst_exemption or line.excise_code or line.sima:
            return line
        item = self.reference.tariff.lookup(line.classification, release)
        rate = item.rates.get(line.treatment) if item is not None else None
        if rate is None or rate.specific is not None:
            return line
        vfd = round_cents(Decimal(line.value) * invoice.rate)
        duty = Decimal("0.00") if rate.is_free else round_cents(vfd * rate.ad_valorem / 100)
        gst = round_cents((vfd + duty) * self.reference.gst_rate / 100)
        return replace(line, filer_amounts=(
            FilerAmount("CUD", f"{duty:.2f}", "", "CAD"),
            FilerAmount("GST", f"{gst:.2f}", "", "CAD"),
        ))

    def amendment(
        self, rng: random.Random, original: Declaration, *, version: int, reason: str | None, business_date: date,
    ) -> Declaration:
        """A change (function 4) of ``original``: the filer corrects the value of its first line down, as a
        refund claim does. Filer amounts are dropped (they were for the old value)."""
        first = original.lines[0]
        minor = self.reference.currencies.get(original.currency, 2)
        quantum = Decimal(1).scaleb(-minor)
        lowered = max((Decimal(first.value) * Decimal("0.9")).quantize(quantum, rounding=ROUND_HALF_UP), quantum)
        lines = (replace(first, value=format(lowered, "f"), filer_amounts=()),) + tuple(
            replace(line, filer_amounts=()) for line in original.lines[1:]
        )
        return replace(
            original,
            function=CHANGE,
            version=str(version),
            change_reason=reason,
            document_date=max(date.fromisoformat(original.document_date), business_date).isoformat(),
            lines=lines,
        )

    def change_reason(self, rng: random.Random) -> str:
        return rng.choice(CHANGE_REASONS)
