"""The Customs Tariff schedule, from either of its two forms (spec/reference-data.md), into ``Tariff``.

(a) CBSA's tariff export, table ``TPHS``, saved as CSV: ``TARIFF, DESC1, DESC2, DESC3, UOM, EFF_DATE``, then
    one rate cell per treatment (``MFN, General Tariff, AUT, … UKT, CPUKT``). Rows of fewer than 8 digits are
    headings and are skipped. A row of 10 digits whose rate cells are all empty is a statistical suffix: it
    keeps its description and unit and takes the rates of its 8-digit tariff item, version by version (it is
    skipped when that item has no rates). An 8-digit row with no rate at all is skipped. Several rows of one
    classification are versions: each is in force from its ``EFF_DATE`` to the day before the next one's. Columns named after a treatment that has no
    CBSA code in ``tariff_treatment_codes.csv`` (CPUKT) are skipped; columns that name no treatment are
    ignored. The export may be UTF-8 or Windows-1252 (Access).
(b) The schedule's printed form, as in the shipped sample: ``TARIFF, DESC, UOM, MFN, GENERAL_TARIFF,
    PREFERENTIAL`` (+ optional ``SOURCE_URL, SOURCE_YEAR, EFF_DATE``), the preferential cell being
    ``CCCT, LDCT, UST: Free; GPT: 5%``.

Rates are keyed by CBSA treatment *code* ("2" MFN, "3" General Tariff, "10" UST, …). A treatment absent from
a row is not offered for it. ``N/A`` (or, in the export, an empty cell) in MFN means MFN is not offered and only
the listed treatments apply; then no General Tariff is implied either.

General Tariff: where the row gives no General Tariff rate, it is the statutory rate of ``statutory_rates.csv``
(35%, Customs Tariff s. 29(1)) - except where the MFN rate has an ad valorem part above it (over-access
supply-managed goods, e.g. "208% but not less than $2.07/kg"), for which the printed schedule sets the General
Tariff equal to MFN; the loader then uses the MFN rate. That exception is an inference from the schedule, not
a rule of the Act: a deployment loads CBSA's export, whose General Tariff column is filled.

Effective dates: the printed sample has no effective date. Its rows are taken as in force from
``SAMPLE_EFFECTIVE_FROM`` (2024-01-01) with an open end: assumed unchanged over the period of the shipped
exchange-rate data (2024-2025) and the surtax order (2026). That is an assumption, not a fact of the
schedule; a deployment loads CBSA's export with its real ``EFF_DATE``. An ``EFF_DATE`` column, if present in
the printed form, is honoured the same way as in the export.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from pipeline.errors import ReferenceDataError
from pipeline.reference.rates import RateSyntaxError, parse_preferential_cell, parse_rate_cell
from pipeline.reference.table import Row, read_csv, read_text
from pipeline.reference.types import Rate, Tariff, TariffItem, Units, digits

SAMPLE_EFFECTIVE_FROM = date(2024, 1, 1)

MFN, GENERAL_TARIFF = "MFN", "GT"  # abbreviations in tariff_treatment_codes.csv
TPHS_COLUMNS = ("TARIFF", "DESC1", "DESC2", "DESC3", "UOM", "EFF_DATE")
TPHS_TREATMENT_COLUMNS = {"MFN": MFN, "General Tariff": GENERAL_TARIFF}  # other columns are abbreviations
PRINTED_COLUMNS = ("TARIFF", "DESC", "UOM", "MFN", "GENERAL_TARIFF", "PREFERENTIAL")
NO_UNIT = frozenset({"", "-"})
ITEM_DIGITS, CLASSIFICATION_DIGITS = 8, 10


@dataclass(slots=True)
class _Record:
    """One row of either form, before versions and defaults are worked out."""

    key: str
    description: str
    unit: str | None
    start: date
    rates: dict[str, Rate]  # treatment code -> rate
    general_given: bool
    mfn_offered: bool
    rateless: bool
    source: str
    row: Row


def _rate(row: Row, column: str) -> Rate | None:
    try:
        return parse_rate_cell(row.values.get(column, ""))
    except RateSyntaxError as error:
        raise row.error(column, str(error)) from None


def _key(row: Row, *, headings: bool) -> str | None:
    text = row.text("TARIFF")
    key = digits(text)
    if not key or any(not (ch.isdigit() or ch in ". ") for ch in text):
        raise row.error("TARIFF", f"{text!r} is not a tariff item number")
    if len(key) in (ITEM_DIGITS, CLASSIFICATION_DIGITS):
        return key
    if headings and len(key) < ITEM_DIGITS:
        return None
    raise row.error(
        "TARIFF", f"{text!r} has {len(key)} digits; 8 (tariff item) or 10 (classification) expected"
    )


def _unit(row: Row, units: Units) -> str | None:
    text = row.values.get("UOM", "").strip()
    if text in NO_UNIT:
        return None
    unit = units.canonical(text)
    if unit is None:
        raise row.error("UOM", f"{text!r} is not a UN/ECE Rec 20 unit code nor a CBSA alias")
    return unit


def _export_date(row: Row, column: str) -> date:
    text = row.text(column)
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).date()  # Access exports a date as "2025-01-01 00:00:00"
    except ValueError:
        raise row.error(column, f"{text!r} is not a date YYYY-MM-DD") from None


def _code(row: Row, column: str, abbreviation: str, codes: Mapping[str, str | None]) -> str | None:
    if abbreviation not in codes:
        raise row.error(column, f"{abbreviation} is not a tariff treatment of tariff_treatment_codes.csv")
    return codes[abbreviation]


def _printed_records(path: Path, units: Units, codes: Mapping[str, str | None]) -> list[_Record]:
    records = []
    mfn_code, general_code = codes[MFN], codes[GENERAL_TARIFF]
    for row in read_csv(path, PRINTED_COLUMNS):
        key = _key(row, headings=False)
        assert key is not None  # headings=False never gives None
        row.text("MFN")  # required: a rate or N/A
        mfn = _rate(row, "MFN")
        rates: dict[str, Rate] = {}
        if mfn is not None and mfn_code is not None:
            rates[mfn_code] = mfn
        general = _rate(row, "GENERAL_TARIFF") if row.optional("GENERAL_TARIFF") else None
        if general is not None and general_code is not None:
            rates[general_code] = general
        try:
            preferential = parse_preferential_cell(row.values.get("PREFERENTIAL", ""))
        except RateSyntaxError as error:
            raise row.error("PREFERENTIAL", str(error)) from None
        for abbreviation, rate in preferential.items():
            if abbreviation in (MFN, GENERAL_TARIFF):
                raise row.error("PREFERENTIAL", f"{abbreviation} has its own column")
            code = _code(row, "PREFERENTIAL", abbreviation, codes)
            if code is not None:
                rates[code] = rate
        start = row.optional_date("EFF_DATE") or SAMPLE_EFFECTIVE_FROM
        url, year = row.optional("SOURCE_URL"), row.optional("SOURCE_YEAR")
        source = f"{url} (T{year})" if url and year else url or path.name
        records.append(
            _Record(
                key=key,
                description=row.text("DESC"),
                unit=_unit(row, units),
                start=start,
                rates=rates,
                general_given=general is not None,
                mfn_offered=mfn is not None,
                rateless=False,
                source=source,
                row=row,
            )
        )
    return records


def _export_records(
    path: Path, header: list[str], units: Units, codes: Mapping[str, str | None]
) -> list[_Record]:
    columns = [
        (column, TPHS_TREATMENT_COLUMNS.get(column, column))
        for column in header
        if column in TPHS_TREATMENT_COLUMNS or column in codes
    ]
    mfn_code, general_code = codes[MFN], codes[GENERAL_TARIFF]
    records = []
    for row in read_csv(path, (*TPHS_COLUMNS, *TPHS_TREATMENT_COLUMNS), legacy_encoding=True):
        key = _key(row, headings=True)
        if key is None:
            continue
        rates: dict[str, Rate] = {}
        filled = False
        for column, abbreviation in columns:
            if not row.values.get(column, "").strip():
                continue
            filled = True
            rate = _rate(row, column)
            code = _code(row, column, abbreviation, codes)
            if rate is not None and code is not None:
                rates[code] = rate
        description = " ".join(
            text for text in (row.values.get(c, "").strip() for c in ("DESC1", "DESC2", "DESC3")) if text
        )
        records.append(
            _Record(
                key=key,
                description=description,
                unit=_unit(row, units),
                start=_export_date(row, "EFF_DATE"),
                rates=rates,
                general_given=general_code in rates,
                mfn_offered=mfn_code in rates,
                rateless=not filled,
                source=f"CBSA tariff export {path.name}",
                row=row,
            )
        )
    return records


def _with_general_tariff(record: _Record, general_code: str, mfn_code: str, statutory: Decimal) -> None:
    """Fill the General Tariff the row does not give (module docstring)."""
    if record.general_given or not record.mfn_offered:
        return
    mfn = record.rates[mfn_code]
    if mfn.ad_valorem is not None and mfn.ad_valorem > statutory:
        record.rates[general_code] = mfn
    else:
        record.rates[general_code] = Rate(text=f"{format(statutory, 'f')}%", ad_valorem=statutory)


def _end(versions: list[_Record], index: int) -> date | None:
    """A version is in force until the day before the next one starts."""
    return versions[index + 1].start - timedelta(days=1) if index + 1 < len(versions) else None


def _build(records: list[_Record], source: str) -> Tariff:
    by_key: dict[str, list[_Record]] = {}
    for record in records:
        by_key.setdefault(record.key, []).append(record)
    for versions in by_key.values():
        versions.sort(key=lambda record: record.start)
        for earlier, later in zip(versions, versions[1:], strict=False):
            if earlier.start == later.start:
                raise later.row.error(
                    "TARIFF",
                    f"{later.key} is given twice in force from {later.start} (see row {earlier.row.number})",
                )
    items: dict[str, list[TariffItem]] = {}
    # Rows with rates first (every 8-digit item among them), then the statistical suffixes that take them.
    for key, versions in by_key.items():
        for index, record in enumerate(versions):
            if not record.rateless:
                items.setdefault(key, []).append(
                    TariffItem(
                        classification=key,
                        description=record.description,
                        unit=record.unit,
                        rates=record.rates,
                        effective_from=record.start,
                        effective_to=_end(versions, index),
                        source=record.source,
                        row=record.row.number,
                    )
                )
    for key, versions in by_key.items():
        parents = tuple(items.get(key[:ITEM_DIGITS], ())) if len(key) == CLASSIFICATION_DIGITS else ()
        for index, record in enumerate(versions):
            if not record.rateless:
                continue
            end = _end(versions, index)
            for parent in parents:
                start = max(record.start, parent.effective_from)
                ends = [day for day in (end, parent.effective_to) if day is not None]
                stop = min(ends) if ends else None
                if stop is None or start <= stop:
                    items.setdefault(key, []).append(
                        TariffItem(
                            classification=key,
                            description=record.description,
                            unit=record.unit or parent.unit,
                            rates=parent.rates,
                            effective_from=start,
                            effective_to=stop,
                            source=f"{record.source} (rates of tariff item {parent.classification}, "
                            f"row {parent.row})",
                            row=record.row.number,
                        )
                    )
    return Tariff(
        items={
            key: tuple(sorted(found, key=lambda item: item.effective_from)) for key, found in items.items()
        },
        source=source,
    )


def read_header(path: Path) -> list[str]:
    lines = read_text(path, legacy_encoding=True).splitlines()[:1]
    return [cell.strip() for cell in next(csv.reader(lines), [])]


def detect_format(header: Sequence[str]) -> str | None:
    """ "export" (CBSA TPHS), "printed", or None, from the header row."""
    if {"DESC1", "EFF_DATE"} <= set(header):
        return "export"
    if {"DESC", "PREFERENTIAL"} <= set(header):
        return "printed"
    return None


def load_tariff(
    path: Path, codes: Mapping[str, str | None], units: Units, general_tariff_rate: Decimal
) -> Tariff:
    """Load ``path`` in either form (told apart by the header).

    ``codes`` maps every treatment abbreviation of ``tariff_treatment_codes.csv`` to its CBSA code, or to None
    for an abbreviation that is known but not loaded (CPUKT: no code; MUST: historical), whose rates are
    skipped. ``general_tariff_rate`` is the statutory General Tariff percentage (``statutory_rates.csv``).
    """
    if codes.get(GENERAL_TARIFF) is None or codes.get(MFN) is None:
        raise ReferenceDataError(str(path), None, None, "the treatment table lacks the MFN or GT code")
    header = read_header(path)
    form = detect_format(header)
    if form == "export":
        records = _export_records(path, header, units, codes)
        described = f"{path} (CBSA tariff export, TPHS)"
    elif form == "printed":
        records = _printed_records(path, units, codes)
        described = f"{path} (printed form; rows in force from {SAMPLE_EFFECTIVE_FROM} unless EFF_DATE says)"
    else:
        raise ReferenceDataError(
            str(path),
            1,
            None,
            "header is neither CBSA's TPHS export (TARIFF, DESC1, DESC2, DESC3, UOM, "
            "EFF_DATE, MFN, …) nor the printed form (TARIFF, DESC, UOM, MFN, GENERAL_TARIFF, PREFERENTIAL)",
        )
    general_code, mfn_code = codes[GENERAL_TARIFF], codes[MFN]
    for record in records:
        if not record.rateless:
            _with_general_tariff(record, general_code, mfn_code, general_tariff_rate)
    return _build(records, described)
