"""Tariff treatments: CBSA's codes (``tariff_treatment_codes.csv``) and who is entitled to each
(``treatment_countries.csv``).

``treatment_countries.csv`` has one row per treatment and country: ``abbreviation, country, relation, from,
to, source, verified``. ``relation`` is ``entitled`` (the country may claim the treatment from ``from`` to
``to``, both optional and inclusive) or ``excluded`` (for treatments open to every country, MFN and the General
Tariff: the country loses it from ``from``; an empty ``from`` means it never had it). A treatment with no
``entitled`` row is open to every country (``Treatment.entitled`` None). One window per treatment and country.

Codes the table marks ``historical`` (MUST, NAFTA's Mexico-United States Tariff) are not loaded: a CAD that
uses them gets B11. A row without a code (CPUKT, the CPTPP-UK tariff, whose CBSA code is not known) is not
loaded either; its column of the tariff export is skipped.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from pipeline.reference.table import read_csv
from pipeline.reference.types import Treatment

HISTORICAL = "historical"
RELATIONS = ("entitled", "excluded")


def load_treatment_codes(path: Path) -> tuple[dict[str, tuple[str, str, str]], frozenset[str]]:
    """code -> (abbreviation, name, source) of the treatments in use, and the abbreviations of the table that
    are not loaded (historical, or without a known code)."""
    codes: dict[str, tuple[str, str, str]] = {}
    abbreviations: set[str] = set()
    unused: set[str] = set()
    for row in read_csv(path, ("code", "abbreviation", "name", "verified", "source")):
        abbreviation = row.text("abbreviation")
        verified = row.values["verified"].strip()
        code = row.optional("code")
        if abbreviation in abbreviations or abbreviation in unused:
            raise row.error("abbreviation", f"{abbreviation} is given twice")
        if code is None or verified.lower() == HISTORICAL:
            unused.add(abbreviation)
            continue
        if not code.isdigit():
            raise row.error("code", f"{code!r} is not a numeric treatment code")
        if code in codes:
            raise row.error("code", f"code {code} is given twice")
        abbreviations.add(abbreviation)
        source = row.text("source")
        if verified.lower() != "yes":
            source = f"{source} (code verified: {verified or 'no'})"
        codes[code] = (abbreviation, row.text("name"), source)
    return codes, frozenset(unused)


def load_treatments(
    codes_path: Path, countries_path: Path, countries: frozenset[str]
) -> dict[str, Treatment]:
    codes, _ = load_treatment_codes(codes_path)
    by_abbreviation = {abbreviation: code for code, (abbreviation, _, _) in codes.items()}
    entitled: dict[str, set[str]] = {}
    since: dict[str, dict[str, date]] = {}
    excluded: dict[str, dict[str, date]] = {}
    seen: set[tuple[str, str]] = set()
    for row in read_csv(
        countries_path, ("abbreviation", "country", "relation", "from", "to", "source", "verified")
    ):
        abbreviation = row.text("abbreviation")
        code = by_abbreviation.get(abbreviation)
        if code is None:
            raise row.error("abbreviation", f"{abbreviation} is not a treatment of {codes_path.name}")
        country = row.text("country").upper()
        if country not in countries:
            raise row.error("country", f"{country!r} is not an ISO 3166-1 alpha-2 country code")
        if (code, country) in seen:
            raise row.error("country", f"{abbreviation} {country} is given twice (one window per country)")
        seen.add((code, country))
        relation = row.text("relation").lower()
        start, end = row.optional_date("from"), row.optional_date("to")
        if start is not None and end is not None and end < start:
            raise row.error("to", f"ends ({end}) before it starts ({start})")
        row.text("source")
        row.flag("verified")
        if relation == "entitled":
            entitled.setdefault(code, set()).add(country)
            if start is not None:
                since.setdefault(code, {})[country] = start
            if end is not None:
                excluded.setdefault(code, {})[country] = end + timedelta(days=1)
        elif relation == "excluded":
            if end is not None:
                raise row.error("to", "an exclusion has no end in this table; give the return as its own row")
            excluded.setdefault(code, {})[country] = start or date.min
        else:
            raise row.error("relation", f"{relation!r} is not one of {', '.join(RELATIONS)}")
    return {
        code: Treatment(
            code=code,
            abbreviation=abbreviation,
            name=name,
            entitled=frozenset(entitled[code]) if code in entitled else None,
            excluded=excluded.get(code, {}),
            entitled_since=since.get(code, {}),
            source=f"{source}; countries: {countries_path.name}",
        )
        for code, (abbreviation, name, source) in codes.items()
    }
