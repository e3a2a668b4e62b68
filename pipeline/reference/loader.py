"""``load_reference``: every reference table, from the package's data or a user's directory.

The user's directory (``CARM_REFDATA_DIR``) holds files of the same names as ``pipeline/reference/data``; a file
it does not hold falls back to the shipped one, table by table (e.g. put only CBSA's tariff export there as
``tariff.csv``). Several editions of the tariff sit side by side as ``tariff-<edition>.csv`` (``tariff-T2026-0.csv``,
``tariff-T2026-1.csv`` …; a ``tariff.csv`` beside them is one more edition, named ``tariff.csv``); the shipped
sample is used only when the directory holds no tariff file at all. A table made of several files falls back file by file: the units (Rec 20 list, aliases,
conversions), the treatments (codes, countries). Exchange rates are every ``valet_fx_*.json`` of both places,
merged; a user's file replaces the shipped file of the same name. ``ReferenceData.provenance`` says, per table,
which files were read and where they come from; ``ReferenceData.files`` lists them with the SHA-256 of each (the
versions a posted line records; ``pipeline.reference.impact`` compares them with another directory).

Loading validates every table and raises ``ReferenceDataError`` naming the file, row and column of the first
fault. It reads plain CSV and JSON (no pandas): the shipped data in a few tens of milliseconds, a full CBSA tariff
export with years of exchange rates in well under 2 s (``benchmarks/refdata.py``).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.collector import collector_paused
from pipeline.errors import ReferenceDataError
from pipeline.reference.clvs import load_clvs
from pipeline.reference.codelists import country_codes, country_source, currency_minor_units, currency_source
from pipeline.reference.fx import load_exchange_rates
from pipeline.reference.relief import (
    load_excise,
    load_gst_exemptions,
    load_sima,
    load_special_authorities,
    load_statutory_rates,
)
from pipeline.reference.surtax import load_surtaxes
from pipeline.reference.table import file_sha256
from pipeline.reference.tariff import load_tariff
from pipeline.reference.treatments import load_treatment_codes, load_treatments
from pipeline.reference.types import ReferenceData, SourceFile
from pipeline.reference.units import load_units

SHIPPED_DATA = Path(__file__).resolve().parent / "data"

TARIFF = "tariff.csv"
TARIFF_EDITIONS = "tariff-*.csv"
TREATMENT_CODES = "tariff_treatment_codes.csv"
TREATMENT_COUNTRIES = "treatment_countries.csv"
FX_FILES = "valet_fx_*.json"
REC20 = "unece_rec20_units_of_measure.csv"
UNIT_ALIASES = "cbsa_unit_aliases.csv"
UNIT_CONVERSIONS = "unit_conversions.csv"
SURTAX_ORDERS = "surtax_orders.csv"
SIMA_MEASURES = "sima_measures.csv"
EXCISE_CODES = "excise_codes.csv"
GST_EXEMPTION_CODES = "gst_exemption_codes.csv"
SPECIAL_AUTHORITY_CODES = "special_authority_codes.csv"
CLVS_THRESHOLDS = "clvs_thresholds.csv"
STATUTORY_RATES = "statutory_rates.csv"

#: What each shipped file is (the full provenance is data/PROVENANCE.md).
SHIPPED_SOURCES = {
    TARIFF: "97 real rows of the Customs Tariff (T2025/T2026, per-row source pages), printed form; "
    "assumed in force from 2024-01-01 with an open end",
    TREATMENT_CODES: "CBSA tariff treatment codes (per-row sources; CPTPT code 33 unverified, CPUKT has no code)",
    TREATMENT_COUNTRIES: "entitled countries per treatment (per-row sources; GPT, LDCT and CCCT lists unverified)",
    FX_FILES: "Bank of Canada Valet daily exchange rates 2023-12-27..2025-12-30. Source: Bank of Canada",
    REC20: "UN/ECE Recommendation 20, Rev 17e-2021 (ODC-PDDL-1.0)",
    UNIT_ALIASES: "CBSA unit codes that are not Rec 20 codes",
    UNIT_CONVERSIONS: "exact SI and count factors",
    SURTAX_ORDERS: "United States Surtax Order (2026), SOR/2026-186, Schedules 1-3",
    SIMA_MEASURES: "EXAMPLES only, not real SIMA measures",
    EXCISE_CODES: "Excise Tax Act Schedule I (air conditioners, fuel-inefficient vehicles); excise duty rows are "
    "EXAMPLES",
    GST_EXEMPTION_CODES: "EXAMPLES only, not CBSA codes",
    SPECIAL_AUTHORITY_CODES: "24-25-GSTTPS (CBSA CN24-43; goods mapping approximate); remission row is an EXAMPLE",
    CLVS_THRESHOLDS: "CUSMA courier thresholds and the C$3,300 limit (CBSA D8-2-16)",
    STATUTORY_RATES: "GST 5% (Excise Tax Act s. 165, 212); General Tariff 35% (Customs Tariff s. 29)",
}


def _where(path: Path) -> str:
    if path.parent == SHIPPED_DATA:
        return f"{path.name} (shipped: {SHIPPED_SOURCES[path.name]})"
    return f"{path} (CARM_REFDATA_DIR)"


class _Files:
    """Where each file comes from: the user's directory if it holds it, else the shipped data."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def __call__(self, name: str) -> Path:
        if self.directory is not None and (self.directory / name).is_file():
            return self.directory / name
        return SHIPPED_DATA / name

    def every(self, pattern: str) -> list[Path]:
        found = {path.name: path for path in SHIPPED_DATA.glob(pattern)}
        if self.directory is not None:
            found.update({path.name: path for path in self.directory.glob(pattern)})
        return [found[name] for name in sorted(found)]


def tariff_files(directory: Path | None) -> list[tuple[str, Path]]:
    """The tariff editions to load, ``(name, path)``: the directory's ``tariff.csv`` and ``tariff-<name>.csv``
    files, else the shipped sample."""
    found: list[tuple[str, Path]] = []
    if directory is not None:
        if (directory / TARIFF).is_file():
            found.append((TARIFF, directory / TARIFF))
        for path in sorted(directory.glob(TARIFF_EDITIONS)):
            if path.is_file():
                found.append((path.stem.removeprefix("tariff-"), path))
    return found or [(TARIFF, SHIPPED_DATA / TARIFF)]


def load_reference(directory: str | Path | None = None) -> ReferenceData:
    """Every reference table: the shipped data, with any file of ``directory`` (``CARM_REFDATA_DIR``) in place
    of the shipped file of the same name."""
    # A full tariff export and years of rates are some 10^5 long-lived objects without cycles: the cyclic
    # collector's passes over them while they are built cost a third of the load and free nothing.
    with collector_paused():
        return _load(directory)


def _load(directory: str | Path | None) -> ReferenceData:
    user = None if directory is None or str(directory) == "" else Path(directory)
    if user is not None and not user.is_dir():
        raise ReferenceDataError(str(user), None, None, "the reference data directory does not exist")
    file = _Files(user)

    countries = country_codes()
    currencies = currency_minor_units()
    units = load_units(file(REC20), file(UNIT_ALIASES), file(UNIT_CONVERSIONS))
    statutory = load_statutory_rates(file(STATUTORY_RATES))
    treatments = load_treatments(file(TREATMENT_CODES), file(TREATMENT_COUNTRIES), countries)
    _, unused = load_treatment_codes(file(TREATMENT_CODES))
    abbreviations: dict[str, str | None] = {t.abbreviation: code for code, t in treatments.items()}
    abbreviations.update({abbreviation: None for abbreviation in unused})
    editions = tariff_files(user)
    tariff = load_tariff(editions, abbreviations, units, statutory["general_tariff"])
    fx_files = file.every(FX_FILES)
    if not fx_files:
        raise ReferenceDataError(str(SHIPPED_DATA / FX_FILES), None, None, "no exchange-rate file")
    exchange_rates = load_exchange_rates(fx_files, currencies)

    provenance = {
        "tariff": "; ".join(_where(path) for _, path in editions)
        + f"; General Tariff default from {_where(file(STATUTORY_RATES))}",
        "treatments": f"{_where(file(TREATMENT_CODES))}; {_where(file(TREATMENT_COUNTRIES))}",
        "exchange_rates": "; ".join(
            _where(path) if path.parent != SHIPPED_DATA else path.name for path in fx_files
        )
        + f" ({SHIPPED_SOURCES[FX_FILES]})",
        "currencies": currency_source(),
        "countries": country_source(),
        "units": "; ".join(_where(file(name)) for name in (REC20, UNIT_ALIASES, UNIT_CONVERSIONS)),
        "surtaxes": _where(file(SURTAX_ORDERS)),
        "sima": _where(file(SIMA_MEASURES)),
        "excise": _where(file(EXCISE_CODES)),
        "gst_exemptions": _where(file(GST_EXEMPTION_CODES)),
        "special_authorities": _where(file(SPECIAL_AUTHORITY_CODES)),
        "clvs": _where(file(CLVS_THRESHOLDS)),
        "gst_rate": _where(file(STATUTORY_RATES)),
    }
    single = {
        "treatments": (TREATMENT_CODES, TREATMENT_COUNTRIES),
        "units": (REC20, UNIT_ALIASES, UNIT_CONVERSIONS),
        "surtaxes": (SURTAX_ORDERS,),
        "sima": (SIMA_MEASURES,),
        "excise": (EXCISE_CODES,),
        "gst_exemptions": (GST_EXEMPTION_CODES,),
        "special_authorities": (SPECIAL_AUTHORITY_CODES,),
        "clvs": (CLVS_THRESHOLDS,),
        "gst_rate": (STATUTORY_RATES,),
    }
    files = {
        "tariff": tuple(SourceFile(edition.path, edition.sha256) for edition in tariff.editions),
        "exchange_rates": exchange_rates.files,
        **{table: tuple(_source(file(name)) for name in names) for table, names in single.items()},
    }
    return ReferenceData(
        tariff=tariff,
        treatments=treatments,
        exchange_rates=exchange_rates,
        currencies=currencies,
        countries=countries,
        units=units,
        surtaxes=load_surtaxes(file(SURTAX_ORDERS), countries),
        sima=load_sima(file(SIMA_MEASURES), countries, units),
        excise=load_excise(file(EXCISE_CODES), units),
        gst_exemptions=load_gst_exemptions(file(GST_EXEMPTION_CODES)),
        special_authorities=load_special_authorities(file(SPECIAL_AUTHORITY_CODES)),
        clvs=load_clvs(file(CLVS_THRESHOLDS), countries),
        gst_rate=statutory["gst"],
        provenance=provenance,
        files=files,
    )


def _source(path: Path) -> SourceFile:
    return SourceFile(str(path), file_sha256(path))
