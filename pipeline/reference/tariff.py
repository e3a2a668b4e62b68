"""The Customs Tariff schedule, from either of its two forms (spec/reference-data.md), into ``Tariff``.

(a) CBSA's tariff export, table ``TPHS``, saved as CSV (read by ``pipeline.reference.tariff_export``). Rates are
    the tariff item's (8-digit row); a 10-digit statistical row gives its description and unit of measure and
    takes the rates of its tariff item, version by version: its own rate cells (blank or stale copies) are
    never used. Only a 10-digit row whose tariff item is not in the file at all (a hand-made extract) keeps its
    own rates; ``carm refdata check`` says how many did. A cell that cannot be read makes the item unusable
    for what that cell decides (its treatment, its unit, or the whole item for its date), never the load.
(b) The schedule's printed form, as in the shipped sample: ``TARIFF, DESC, UOM, MFN, GENERAL_TARIFF,
    PREFERENTIAL`` (+ optional ``SOURCE_URL, SOURCE_YEAR, EFF_DATE``), the preferential cell being
    ``CCCT, LDCT, UST: Free; GPT: 5%``. A hand-kept file: any fault in it stops the load, naming the cell.

Rates are keyed by CBSA treatment *code* ("2" MFN, "3" General Tariff, "10" UST, …). A treatment absent from
a row is not offered for it. ``N/A`` (or, in the export, an empty cell) in MFN means MFN is not offered and only
the listed treatments apply; then no General Tariff is implied either.

General Tariff: where the row gives no General Tariff rate, it is the statutory rate of ``statutory_rates.csv``
(35%, Customs Tariff s. 29(1)) - except where the MFN rate has an ad valorem part above it (over-access
supply-managed goods, e.g. "208% but not less than $2.07/kg"), for which the printed schedule sets the General
Tariff equal to MFN; the loader then uses the MFN rate. That exception is an inference from the schedule, not
a rule of the Act: CBSA's export has its General Tariff column filled.

Versions and editions. ``EFF_DATE`` is the day a row last changed: within one file, a row is in force from its
``EFF_DATE`` (several rows of one code with different dates are successive versions; identical rows are
duplicates, counted and dropped). Several files are several editions (``tariff-T2026-0.csv``,
``tariff-T2026-1.csv`` …, named by the loader): an edition is in force from its latest ``EFF_DATE`` until the
day before the next edition's, so a line is assessed with the edition in force on its release date; the oldest
edition loaded also answers for earlier dates, each row from its own ``EFF_DATE``.

Effective dates of the printed sample: it has none. Its rows are taken as in force from
``SAMPLE_EFFECTIVE_FROM`` (2024-01-01) with an open end: assumed unchanged over the period of the shipped
exchange-rate data (2024-2025) and the surtax order (2026). That is an assumption, not a fact of the schedule;
a deployment loads CBSA's export with its real ``EFF_DATE``. An ``EFF_DATE`` column in the printed form is
honoured the same way as in the export.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from pipeline.errors import ReferenceDataError
from pipeline.reference.rates import RateSyntaxError, parse_preferential_cell, parse_rate_cell
from pipeline.reference.table import Row, file_sha256, read_csv
from pipeline.reference.tariff_export import (
    CLASSIFICATION_DIGITS,
    ITEM_DIGITS,
    TariffRow,
    read_export,
)
from pipeline.reference.types import (
    WHOLE_ITEM,
    CellFault,
    Rate,
    Tariff,
    TariffEdition,
    TariffItem,
    Units,
    digits,
)

SAMPLE_EFFECTIVE_FROM = date(2024, 1, 1)

MFN, GENERAL_TARIFF = "MFN", "GT"  # abbreviations in tariff_treatment_codes.csv
PRINTED_COLUMNS = ("TARIFF", "DESC", "UOM", "MFN", "GENERAL_TARIFF", "PREFERENTIAL")
NO_UNIT = frozenset({"", "-"})
HEADER_BYTES = 65536  # a header row is far shorter; only its column names tell the two forms apart


# -- the printed form (strict: a fault stops the load) --------------------------------------------------------


def _rate(row: Row, column: str) -> Rate | None:
    try:
        return parse_rate_cell(row.values.get(column, ""))
    except RateSyntaxError as error:
        raise row.error(column, str(error)) from None


def _key(row: Row) -> str:
    text = row.text("TARIFF")
    key = digits(text)
    if not key or any(not (ch.isdigit() or ch in ". ") for ch in text):
        raise row.error("TARIFF", f"{text!r} is not a tariff item number")
    if len(key) in (ITEM_DIGITS, CLASSIFICATION_DIGITS):
        return key
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


def _printed_rows(path: Path, units: Units, codes: Mapping[str, str | None]) -> list[TariffRow]:
    rows = []
    mfn_code, general_code = codes[MFN], codes[GENERAL_TARIFF]
    for row in read_csv(path, PRINTED_COLUMNS):
        key = _key(row)
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
            if abbreviation not in codes:
                raise row.error(
                    "PREFERENTIAL", f"{abbreviation} is not a tariff treatment of tariff_treatment_codes.csv"
                )
            code = codes[abbreviation]
            if code is not None:
                rates[code] = rate
        url, year = row.optional("SOURCE_URL"), row.optional("SOURCE_YEAR")
        rows.append(
            TariffRow(
                key=key,
                text=row.text("TARIFF"),
                description=row.text("DESC"),
                unit=_unit(row, units),
                start=row.optional_date("EFF_DATE") or SAMPLE_EFFECTIVE_FROM,
                rates=rates,
                faults={},
                has_rates=True,
                general_given=general is not None,
                source=f"{url} (T{year})" if url and year else url or path.name,
                row=row.number,
                cells=tuple(row.values.values()),
            )
        )
    return rows


# -- one edition ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Edition:
    name: str
    path: Path
    form: str
    rows: list[TariffRow]
    data_rows: int
    headings: int = 0
    unknown_columns: tuple[str, ...] = ()
    file_faults: list[CellFault] = field(default_factory=list)
    items: dict[str, list[TariffItem]] = field(default_factory=dict)
    duplicates: int = 0
    notes: list[str] = field(default_factory=list)
    sha256: str = ""

    @property
    def strict(self) -> bool:
        return self.form == "printed"

    @property
    def latest_change(self) -> date | None:
        starts = [row.start for row in self.rows if row.start != date.min]
        return max(starts) if starts else None


def _with_general_tariff(row: TariffRow, general_code: str, mfn_code: str, statutory: Decimal) -> None:
    """Fill the General Tariff the row does not give (module docstring)."""
    if row.general_given:
        return
    if mfn_code in row.faults:  # derived from an unreadable cell: unusable for the same reason
        row.faults[general_code] = row.faults[mfn_code]
        return
    mfn = row.rates.get(mfn_code)
    if mfn is None:
        return
    if mfn.ad_valorem is not None and mfn.ad_valorem > statutory:
        row.rates[general_code] = mfn
    else:
        row.rates[general_code] = Rate(text=f"{format(statutory, 'f')}%", ad_valorem=statutory)


def _versions(edition: _Edition) -> dict[str, list[TariffRow]]:
    """The rows of each code, oldest first; identical rows counted once, conflicting ones made unusable."""
    by_key: dict[str, dict[date, TariffRow]] = {}
    for row in edition.rows:
        versions = by_key.setdefault(row.key, {})
        earlier = versions.get(row.start)
        if earlier is None:
            versions[row.start] = row
            continue
        if earlier.cells == row.cells:
            edition.duplicates += 1
            continue
        problem = f"{row.text} is given twice in force from {row.start} (see row {earlier.row})"
        if edition.strict:
            raise ReferenceDataError(str(edition.path), row.row, "TARIFF", problem)
        row.faults[WHOLE_ITEM] = CellFault(
            edition.path.name, row.row, "TARIFF", row.text, f"{problem} with other cells; neither row is used"
        )
        versions[row.start] = row
    return {
        key: list(versions.values()) if len(versions) == 1 else [versions[start] for start in sorted(versions)]
        for key, versions in by_key.items()
    }


def _end(versions: list[TariffRow], index: int) -> date | None:
    """A version is in force until the day before the next one starts."""
    return versions[index + 1].start - timedelta(days=1) if index + 1 < len(versions) else None


def _changed(row: TariffRow) -> date | None:
    return None if row.start == date.min else row.start


def _build(edition: _Edition) -> None:
    by_key = _versions(edition)
    items = edition.items
    # Tariff items first: they carry the rates.
    for key, versions in by_key.items():
        if len(key) == ITEM_DIGITS:
            for index, row in enumerate(versions):
                if row.has_rates:
                    items.setdefault(key, []).append(_own_rates(edition, versions, index))
    own_rates = orphans = 0
    for key, versions in by_key.items():
        if len(key) != CLASSIFICATION_DIGITS:
            continue
        parents = tuple(items.get(key[:ITEM_DIGITS], ()))
        if parents:
            derived = [
                found
                for index, row in enumerate(versions)
                for parent in parents
                if (found := _under(edition, row, _end(versions, index), parent)) is not None
            ]
            if derived:
                items[key] = derived
        elif any(row.has_rates for row in versions):
            own_rates += 1
            items[key] = [_own_rates(edition, versions, index) for index, row in enumerate(versions) if row.has_rates]
        else:
            orphans += 1
    if own_rates and not edition.strict:  # the printed form gives rates on 10-digit rows: nothing to say
        edition.notes.append(
            f"{own_rates} classification(s) of 10 digits without their tariff item row: their own rate cells "
            "are used (a hand-made extract; CBSA's export always has the tariff item row)"
        )
    if orphans:
        edition.notes.append(
            f"{orphans} classification(s) of 10 digits without their tariff item row nor rates: not loaded"
        )


def _own_rates(edition: _Edition, versions: list[TariffRow], index: int) -> TariffItem:
    """A row that carries its own rates (a tariff item; a classification without one), in force until the
    next version."""
    row = versions[index]
    return TariffItem(
        classification=row.key,
        description=row.description,
        unit=row.unit,
        rates=row.rates,
        effective_from=row.start,
        effective_to=_end(versions, index),
        source=row.source,
        row=row.row,
        edition=edition.name,
        edition_sha256=edition.sha256,
        rates_row=row.row,
        changed=_changed(row),
        unusable=dict(row.faults),
    )


def _under(edition: _Edition, row: TariffRow, end: date | None, parent: TariffItem) -> TariffItem | None:
    """A classification row (in force until ``end``) with the rates of one version of its tariff item, over the
    days both hold; None when they share none. Its own rate cells are not used, nor their faults."""
    start = max(row.start, parent.effective_from)
    ends = [day for day in (end, parent.effective_to) if day is not None]
    stop = min(ends) if ends else None
    if stop is not None and start > stop:
        return None
    own = {key: fault for key, fault in row.faults.items() if not key.isdigit()}  # its unit, the whole row
    return TariffItem(
        classification=row.key,
        description=row.description,
        unit=row.unit or parent.unit,
        rates=parent.rates,
        effective_from=start,
        effective_to=stop,
        source=f"{row.source} (rates of tariff item {parent.classification}, row {parent.row})",
        row=row.row,
        edition=edition.name,
        edition_sha256=edition.sha256,
        rates_row=parent.rates_row,
        changed=parent.changed,
        unusable={**parent.unusable, **own},
    )


def _faults(edition: _Edition) -> tuple[CellFault, ...]:
    """Every unreadable cell the edition's items depend on, and the rows that are no tariff row."""
    found = {(fault.row, fault.column): fault for fault in edition.file_faults}
    for versions in edition.items.values():
        for item in versions:
            for fault in item.unusable.values():
                found.setdefault((fault.row, fault.column), fault)
    return tuple(found[key] for key in sorted(found))


# -- several editions -----------------------------------------------------------------------------------------


def _header_of(path: Path) -> list[str]:
    try:
        with path.open("rb") as handle:
            first = handle.readline(HEADER_BYTES)
    except OSError as error:
        raise ReferenceDataError(str(path), None, None, f"cannot be read: {error.strerror}") from None
    text = first.decode("utf-8-sig", errors="replace")
    return [cell.strip() for cell in next(csv.reader([text]), [])]


def detect_format(header: Sequence[str]) -> str | None:
    """ "export" (CBSA TPHS), "printed", or None, from the header row."""
    if {"TARIFF", "EFF_DATE"} <= set(header) and ("DESC1" in header or "UOM" in header) and "DESC" not in header:
        return "export"
    if {"DESC", "PREFERENTIAL"} <= set(header):
        return "printed"
    return None


def _read(name: str, path: Path, codes: Mapping[str, str | None], units: Units) -> _Edition:
    form = detect_format(_header_of(path))
    if form == "export":
        export = read_export(path, codes, units, codes[GENERAL_TARIFF] or "")
        return _Edition(
            name, path, form, export.rows, export.data_rows, export.headings, export.unknown_columns,
            export.faults, sha256=file_sha256(path),
        )
    if form == "printed":
        rows = _printed_rows(path, units, codes)
        return _Edition(name, path, form, rows, len(rows), sha256=file_sha256(path))
    raise ReferenceDataError(
        str(path),
        1,
        None,
        "header is neither CBSA's TPHS export (TARIFF, EFF_DATE, DESC1, DESC2, DESC3, UOM, MFN, …) nor the "
        "printed form (TARIFF, DESC, UOM, MFN, GENERAL_TARIFF, PREFERENTIAL)",
    )


def _natural(name: str) -> tuple:
    """``T2026-10`` after ``T2026-9``."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _clip(item: TariffItem, start: date | None, end: date | None) -> TariffItem | None:
    """The item within its edition's window; None when nothing of it is left."""
    begin = item.effective_from if start is None else max(item.effective_from, start)
    stop = item.effective_to if end is None else end if item.effective_to is None else min(item.effective_to, end)
    if stop is not None and begin > stop:
        return None
    if begin == item.effective_from and stop == item.effective_to:
        return item
    return dataclasses.replace(item, effective_from=begin, effective_to=stop)


def load_tariff(
    files: Sequence[tuple[str, Path]],
    codes: Mapping[str, str | None],
    units: Units,
    general_tariff_rate: Decimal,
) -> Tariff:
    """Load every ``(edition name, path)`` of ``files``, each in either form (told apart by the header).

    ``codes`` maps every treatment abbreviation of ``tariff_treatment_codes.csv`` to its CBSA code, or to None
    for an abbreviation that is known but not loaded (CPUKT: no code; MUST: historical), whose rates are
    skipped. ``general_tariff_rate`` is the statutory General Tariff percentage (``statutory_rates.csv``).
    """
    if not files:
        raise ReferenceDataError("tariff.csv", None, None, "no tariff file")
    general_code, mfn_code = codes.get(GENERAL_TARIFF), codes.get(MFN)
    if general_code is None or mfn_code is None:
        raise ReferenceDataError(str(files[0][1]), None, None, "the treatment table lacks the MFN or GT code")
    editions = [_read(name, path, codes, units) for name, path in files]
    for edition in editions:
        for row in edition.rows:
            if row.has_rates:
                _with_general_tariff(row, general_code, mfn_code, general_tariff_rate)
        _build(edition)
    editions.sort(key=lambda edition: (edition.latest_change or date.min, _natural(edition.name)))
    starts: list[date | None] = [None, *(edition.latest_change or date.min for edition in editions[1:])]
    merged: dict[str, list[TariffItem]] = {}
    described = []
    for index, edition in enumerate(editions):
        start = starts[index]
        following = starts[index + 1] if index + 1 < len(editions) else None
        end = following - timedelta(days=1) if following is not None else None
        for key, versions in edition.items.items():
            for item in versions:
                clipped = _clip(item, start, end)
                if clipped is not None:
                    merged.setdefault(key, []).append(clipped)
        described.append(
            TariffEdition(
                name=edition.name,
                path=str(edition.path),
                form=edition.form,
                start=start,
                end=end,
                rows=edition.data_rows,
                headings=edition.headings,
                items=sum(1 for key in edition.items if len(key) == ITEM_DIGITS),
                classifications=sum(1 for key in edition.items if len(key) == CLASSIFICATION_DIGITS),
                duplicates=edition.duplicates,
                latest_change=edition.latest_change,
                unknown_columns=edition.unknown_columns,
                faults=_faults(edition),
                notes=tuple(edition.notes),
                sha256=edition.sha256,
            )
        )
    return Tariff(
        items={
            key: (found[0],) if len(found) == 1 else tuple(sorted(found, key=lambda item: item.effective_from))
            for key, found in merged.items()
        },
        source="; ".join(_describe(edition) for edition in described),
        editions=tuple(described),
    )


def _describe(edition: TariffEdition) -> str:
    form = "CBSA tariff export, TPHS" if edition.form == "export" else (
        f"printed form; rows in force from {SAMPLE_EFFECTIVE_FROM} unless EFF_DATE says"
    )
    since = f", in force from {edition.start}" if edition.start else ""
    return f"{edition.path} ({form}; edition {edition.name}{since})"
