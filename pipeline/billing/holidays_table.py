"""The holiday table of the billing calendar: the ``holidays`` package, held to the Interpretation Act's list,
plus the user's additions (spec/billing.md "Holidays", spec/reference-data.md "Holidays").

Interpretation Act, R.S.C. 1985, c. I-21, s. 35 ("holiday"): Sunday, New Year's Day, Good Friday, Easter Monday,
Christmas Day, Victoria Day, Canada Day, Labour Day, National Day for Truth and Reconciliation (from 2021),
Thanksgiving Day, Remembrance Day, and the day next following New Year's Day, Canada Day or Christmas Day when
that day falls on a Sunday. Provincial days apply only in their province; the user adds them in
``billing/holiday_additions.csv`` of the reference data (columns ``date, name, source``; shipped empty).

How the package's ``government`` category (Canada, holidays 0.109) differs from that list, and what is done:

- it has **no Easter Monday** (a federal public-service day): added, as Good Friday (from the package) + 3 days;
- it has **Boxing Day**, which the Act does not list: dropped (the spec follows the Act);
- its *observed* days move a Saturday holiday to the Monday and a Sunday National Day for Truth and
  Reconciliation or Remembrance Day to the Monday, and when Christmas is a Sunday it observes Christmas on the
  Tuesday (Boxing Day taking the Monday). The Act knows only "the day next following" a *Sunday* New Year's
  Day, Canada Day or Christmas Day. So the package is read with ``observed=False`` and the Act's rule is
  applied here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import holidays as holidays_package

from pipeline.billing.calendar import Holiday, HolidayCalendar
from pipeline.errors import ReferenceDataError

__all__ = [
    "ADDITIONS_FILE",
    "INTERPRETATION_ACT_HOLIDAYS",
    "SUNDAY_SHIFTED_HOLIDAYS",
    "federal_holidays",
    "load_holiday_additions",
    "parse_holiday_additions",
]

PACKAGE_SOURCE = f"holidays {holidays_package.__version__}, Canada, category government"
ACT_SOURCE = "Interpretation Act, R.S.C. 1985, c. I-21, s. 35"
#: The reference data shipped in the package.
SHIPPED_DATA = Path(__file__).resolve().parent.parent / "reference" / "data"
#: The shipped additions file, relative to the package's reference data.
ADDITIONS_FILE = "billing/holiday_additions.csv"

#: The Act's named holidays, as the package's ``en_CA`` names spell them.
INTERPRETATION_ACT_HOLIDAYS = (
    "New Year's Day",
    "Good Friday",
    "Easter Monday",
    "Victoria Day",
    "Canada Day",
    "Labour Day",
    "National Day for Truth and Reconciliation",
    "Thanksgiving Day",
    "Remembrance Day",
    "Christmas Day",
)
#: Holidays whose next day is also a holiday when they fall on a Sunday.
SUNDAY_SHIFTED_HOLIDAYS = ("New Year's Day", "Canada Day", "Christmas Day")

_SUNDAY = 6
_ADDITION_COLUMNS = ("date", "name", "source")


def federal_holidays(years: Iterable[int], additions: Iterable[Holiday] = ()) -> HolidayCalendar:
    """The Interpretation Act's holidays of ``years``, built from the ``holidays`` package, plus ``additions``
    (e.g. provincial days from :func:`load_holiday_additions`)."""
    years = sorted(set(years))
    package = holidays_package.Canada(
        years=years, categories=("government",), observed=False, language="en_CA"
    )
    found: list[Holiday] = []
    dropped: set[str] = set()
    for day in sorted(package):
        for name in package.get_list(day):
            if name in INTERPRETATION_ACT_HOLIDAYS:
                found.append(Holiday(day, name, PACKAGE_SOURCE))
            else:
                dropped.add(name)
    have = {(h.on.year, h.name) for h in found}
    for good_friday in [h for h in found if h.name == "Good Friday"]:
        if (good_friday.on.year, "Easter Monday") not in have:
            found.append(
                Holiday(good_friday.on + timedelta(days=3), "Easter Monday", f"{ACT_SOURCE}; Good Friday + 3")
            )
    for year in years:
        if (year, "Good Friday") not in have:  # a package change we must hear about, not a silent gap
            raise ReferenceDataError(PACKAGE_SOURCE, None, None, f"no Good Friday in {year}")
    for holiday in list(found):
        if holiday.name in SUNDAY_SHIFTED_HOLIDAYS and holiday.on.weekday() == _SUNDAY:
            found.append(
                Holiday(holiday.on + timedelta(days=1), f"{holiday.name} (Monday after a Sunday)", ACT_SOURCE)
            )
    additions = tuple(additions)
    notes = [f"dropped from the package (not in the Act): {name}" for name in sorted(dropped)]
    notes.append(
        "added: Easter Monday (Good Friday + 3 days); Monday after a Sunday New Year's/Canada/Christmas Day"
    )
    if additions:
        notes.append(f"user additions: {len(additions)}")
    return HolidayCalendar.of(
        [*found, *additions], years, source=f"{PACKAGE_SOURCE}, held to the {ACT_SOURCE}", notes=notes
    )


def parse_holiday_additions(text: str, source_name: str) -> tuple[Holiday, ...]:
    """Rows ``date, name, source`` under a header row (ISO dates). Raises :class:`ReferenceDataError` naming
    the file, row (the file's line number, header = 1) and column of the first fault. Blank lines are skipped."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if not any(header):
        raise ReferenceDataError(source_name, 1, None, "empty file: expected a header 'date,name,source'")
    missing = [column for column in _ADDITION_COLUMNS if column not in header]
    if missing:
        raise ReferenceDataError(
            source_name, 1, missing[0], f"missing column; the header is {','.join(header)}"
        )
    position = {column: header.index(column) for column in _ADDITION_COLUMNS}
    result: list[Holiday] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        cells = {column: (row[i].strip() if i < len(row) else "") for column, i in position.items()}
        try:
            on = date.fromisoformat(cells["date"])
        except ValueError:
            raise ReferenceDataError(
                source_name, line, "date", f"not an ISO date: {cells['date']!r}"
            ) from None
        for column in ("name", "source"):
            if not cells[column]:
                raise ReferenceDataError(source_name, line, column, "empty")
        result.append(Holiday(on, cells["name"], cells["source"]))
    return tuple(result)


def load_holiday_additions(text: str | None = None, source_name: str = ADDITIONS_FILE) -> tuple[Holiday, ...]:
    """The user's additions: ``text`` when given (the caller read it from ``CARM_REFDATA_DIR``), else the file
    shipped in the package."""
    if text is None:
        text = (SHIPPED_DATA / ADDITIONS_FILE).read_text(encoding="utf-8")
    return parse_holiday_additions(text, source_name)
