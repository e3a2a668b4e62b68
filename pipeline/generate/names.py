"""Names and addresses for the synthetic world: importers, brokers, service providers and foreign vendors.

Everything here is invented (no real company is named on purpose); only the shapes are real: a company suffix
that fits its country, a city that exists with a postcode of its country's form, a street name in its language.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from types import MappingProxyType

_STEMS = (
    "Maple", "Northern", "Summit", "Lakeshore", "Pacific", "Atlantic", "Prairie", "Granite", "Harbour", "Cedar",
    "Evergreen", "Polaris", "Blue Ridge", "Silver Birch", "Red River", "Golden Gate", "Keystone", "Pioneer",
    "Westbridge", "Eastgate", "Riverside", "Highland", "Coastal", "Frontier", "Aurora", "Meridian", "Crescent",
    "Trillium", "Boreal", "Tundra", "Sterling", "Beacon", "Landmark", "Horizon", "Orchard", "Juniper", "Falcon",
    "Kestrel", "Osprey", "Heron", "Lynx", "Bison", "Caribou", "Glacier", "Timberline", "Ironwood", "Bayview",
)
_TRADES = (
    "Trading", "Imports", "Distribution", "Supply", "Foods", "Home Goods", "Industrial", "Apparel", "Outfitters",
    "Wholesale", "Hardware", "Auto Parts", "Toys", "Electronics", "Provisions", "Merchants", "Logistics",
)
_CANADIAN_SUFFIXES = ("Ltd", "Ltd.", "Inc.", "Corp.", "Limited", "Ltée")
_BROKER_WORDS = ("Customs Brokers", "Customs Services", "Trade Services", "Border Services", "Clearance")
_PROVIDER_WORDS = ("EDI Services", "Trade Systems", "Customs Software", "Data Exchange", "Filing Services")

_VENDOR_WORDS = (
    "Manufacturing", "Industries", "Trading", "Export", "Products", "Components", "Foods", "Textiles", "Ceramics",
    "Machinery", "Toys", "Apparel", "Metal Works", "Plastics", "Electronics", "Beverages",
)
_VENDOR_SUFFIX = MappingProxyType({
    "US": ("Inc.", "LLC", "Corp.", "Co."),
    "MX": ("S.A. de C.V.", "S. de R.L. de C.V."),
    "CN": ("Co., Ltd.", "Industrial Co., Ltd.", "Trading Co., Ltd."),
    "TW": ("Co., Ltd.", "Corp."),
    "HK": ("Limited", "Co., Ltd."),
    "JP": ("K.K.", "Co., Ltd."),
    "KR": ("Co., Ltd.", "Corp."),
    "VN": ("JSC", "Co., Ltd."),
    "IN": ("Pvt. Ltd.", "Ltd."),
    "DE": ("GmbH", "AG", "GmbH & Co. KG"),
    "FR": ("SAS", "SARL", "S.A."),
    "IT": ("S.p.A.", "S.r.l."),
    "ES": ("S.L.", "S.A."),
    "NL": ("B.V.", "N.V."),
    "BE": ("NV", "SA"),
    "GB": ("Ltd", "plc", "Limited"),
    "CH": ("AG", "SA", "GmbH"),
})


@dataclass(frozen=True, slots=True)
class Place:
    city: str
    postcode: str
    streets: tuple[str, ...]


# A few real cities per country, with a postcode of the country's form and street names in its language.
PLACES = MappingProxyType({
    "US": (
        Place("Buffalo", "14201", ("Main St", "Niagara St", "Elmwood Ave")),
        Place("Detroit", "48226", ("Woodward Ave", "Michigan Ave", "Fort St")),
        Place("Chicago", "60607", ("Halsted St", "Industrial Pkwy", "Canal St")),
        Place("Los Angeles", "90021", ("Alameda St", "Santa Fe Ave", "Commerce Dr")),
        Place("Seattle", "98108", ("Airport Way S", "E Marginal Way S")),
        Place("Houston", "77002", ("Travis St", "Milam St", "Clinton Dr")),
        Place("Newark", "07105", ("Doremus Ave", "Raymond Blvd")),
        Place("Charlotte", "28206", ("Statesville Ave", "Tryon St")),
    ),
    "MX": (
        Place("Monterrey", "64000", ("Av. Constitución", "Calle Zaragoza")),
        Place("Tijuana", "22000", ("Blvd. Agua Caliente", "Av. Revolución")),
        Place("Guadalajara", "44100", ("Av. Vallarta", "Calle Independencia")),
    ),
    "CN": (
        Place("Shenzhen", "518000", ("Keji Road", "Shennan Avenue")),
        Place("Ningbo", "315000", ("Zhongshan Road", "Jiangbei Road")),
        Place("Shanghai", "200120", ("Pudong Avenue", "Century Avenue")),
        Place("Guangzhou", "510000", ("Huangpu Avenue", "Tianhe Road")),
        Place("Yiwu", "322000", ("Chouzhou Road", "Futian Road")),
    ),
    "TW": (Place("Taichung", "407", ("Taiwan Boulevard",)), Place("Taipei", "110", ("Xinyi Road",))),
    "HK": (Place("Kowloon", "999077", ("Nathan Road", "Canton Road")),),
    "JP": (Place("Osaka", "530-0001", ("Umeda", "Dojima")), Place("Yokohama", "220-0012", ("Minatomirai",))),
    "KR": (Place("Busan", "48943", ("Jungang-daero",)), Place("Incheon", "22382", ("Seohae-daero",))),
    "VN": (Place("Ho Chi Minh City", "700000", ("Nguyen Hue", "Le Loi")), Place("Hai Phong", "180000", ("Lach Tray",))),
    "IN": (Place("Mumbai", "400001", ("Marine Drive", "Nariman Point")), Place("Chennai", "600001", ("Anna Salai",))),
    "BD": (Place("Dhaka", "1000", ("Motijheel Road",)),),
    "TH": (Place("Bangkok", "10500", ("Silom Road", "Sathorn Road")),),
    "DE": (
        Place("Hamburg", "20095", ("Mönckebergstraße", "Hafenstraße")),
        Place("Stuttgart", "70173", ("Königstraße", "Industriestraße")),
        Place("München", "80331", ("Marienplatz", "Landsberger Straße")),
    ),
    "FR": (Place("Lyon", "69002", ("Rue de la République",)), Place("Paris", "75008", ("Rue du Faubourg",))),
    "IT": (Place("Milano", "20121", ("Via Manzoni", "Corso Venezia")), Place("Bologna", "40121", ("Via Indipendenza",))),
    "ES": (Place("Valencia", "46002", ("Calle de Colón",)), Place("Barcelona", "08001", ("Carrer de Pelai",))),
    "NL": (Place("Rotterdam", "3011 AA", ("Coolsingel", "Blaak")),),
    "BE": (Place("Antwerpen", "2000", ("Meir", "Nationalestraat")),),
    "GB": (Place("Manchester", "M1 1AE", ("Oxford Road", "Portland Street")), Place("Birmingham", "B1 1AA", ("Broad Street",))),
    "CH": (Place("Basel", "4051", ("Freie Strasse",)), Place("Zürich", "8001", ("Bahnhofstrasse",))),
    "CL": (Place("Santiago", "8320000", ("Av. Libertador Bernardo O'Higgins",)),),
    "PE": (Place("Lima", "15001", ("Av. Arequipa",)),),
    "CO": (Place("Bogotá", "110111", ("Carrera Séptima",)),),
    "AU": (Place("Sydney", "2000", ("George Street",)),),
    "NZ": (Place("Auckland", "1010", ("Queen Street",)),),
    "IL": (Place("Haifa", "3303111", ("HaAtsmaut Road",)),),
    "NO": (Place("Oslo", "0150", ("Karl Johans gate",)),),
    "TR": (Place("Istanbul", "34000", ("Istiklal Caddesi",)),),
})


def canadian_company(rng: random.Random) -> str:
    return f"{rng.choice(_STEMS)} {rng.choice(_TRADES)} {rng.choice(_CANADIAN_SUFFIXES)}"


def broker_company(rng: random.Random) -> str:
    return f"{rng.choice(_STEMS)} {rng.choice(_BROKER_WORDS)} {rng.choice(('Inc.', 'Ltd.', 'Corp.'))}"


def provider_name(rng: random.Random) -> str:
    return f"{rng.choice(_STEMS)} {rng.choice(_PROVIDER_WORDS)}"


def vendor_company(rng: random.Random, country: str) -> str:
    suffix = rng.choice(_VENDOR_SUFFIX.get(country, ("Ltd.", "Co.")))
    return f"{rng.choice(_STEMS)} {rng.choice(_VENDOR_WORDS)} {suffix}"


def vendor_address(rng: random.Random, country: str) -> tuple[str, str, str]:
    """(street, city, postcode) of a real city of ``country``; a generic one where the table has none."""
    places = PLACES.get(country)
    if not places:
        return f"{rng.randint(1, 999)} Industrial Zone", "Port City", f"{rng.randint(10000, 99999)}"
    place = rng.choice(places)
    return f"{rng.randint(1, 2999)} {rng.choice(place.streets)}", place.city, place.postcode
