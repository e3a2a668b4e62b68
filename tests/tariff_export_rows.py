"""CBSA's tariff export (table TPHS, as ``mdb-export`` writes it) generated at test time from the real grammar.

``VERBATIM_ROWS`` are the rows of spec/reference-data.md as CBSA published them (T2026-2). ``full_size_export``
writes a seeded export of about 20,000 rows with every form the real file has: grouping rows (chapter, heading,
subheading, 9-digit groups), 8-digit tariff items with every rate form (spaced, cent signs, ``¢each``,
``/litre of absolute ethyl alcohol``, compound), 10-digit rows whose rate cells are stale copies that must not be
used, ``-`` unit placeholders, descriptions quoted over several lines, characters of Windows-1252, rows given
twice, and a few unreadable cells. It returns what a correct loader must find, per classification.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field

HEADER = (
    "TARIFF,EFF_DATE,CHANGE,SUB_CHAP,DESC1,DESC2,DESC3,FOOTNOTE,UOM,MFN,AUT,NZT,CCCT,LDCT,GPT,UST,MXT,CIAT,CT,CRT,IT,"
    "NT,SLT,PT,COLT,JT,PAT,HNT,KRT,CEUT,CPTPT,UKT,row_id,UAT,General Tariff,CPUKT"
).split(",")

VERBATIM_ROWS = """\
01.01,01/01/98 00:00:00,0,,"Live horses, asses, mules and hinnies.",,,,,,,,,,,,,,,,,,,,,,,,,,,,26836,,,
0101.21.00,09/01/26 00:00:00,1,,Pure-bred breeding animals,,,,,Free,,,Free,Free,Free,Free,Free,Free,Free,Free,Free,,,Free,Free,Free,Free,Free,Free,Free,Free,Free,26838,Free,35%,Free
0101.21.00.00,01/01/12 00:00:00,0,,Pure-bred breeding animals,,,,NMB,Free,,,,,,,,,,,,,,,,,,,,,,,26839,,35%,
0105.11.21,09/01/26 00:00:00,1,, Within access commitment,,,,,0.86 ¢each,,,Free,Free,,Free,,,Free,,,,,Free,Free,Free,,,,Free,Free,Free,26884,Free,35%,Free
"""

#: Every form of rate cell the real export prints (spec/reference-data.md), with what it must parse to:
#: (ad valorem %, specific $ per unit, Rec 20 unit, combine).
RATE_FORMS: dict[str, tuple[str | None, str | None, str | None, str | None]] = {
    "Free": (None, None, None, None),
    "8 %": ("8", None, None, None),
    "2.5 %": ("2.5", None, None, None),
    "6.5%": ("6.5", None, None, None),
    "0.86 ¢each": (None, "0.0086", "C62", None),
    "2.82 ¢/kg": (None, "0.0282", "KGM", None),
    "0.51¢/kg": (None, "0.0051", "KGM", None),
    "$4.94/tonne": (None, "4.94", "TNE", None),
    "238 % but not less than 30.8 ¢each": ("238", "0.308", "C62", "max"),
    "238 % but not less than $1.25/kg": ("238", "1.25", "KGM", "max"),
    "12.28¢/litre of absolute ethyl alcohol": (None, "0.1228", "LPA", None),
    "5.62¢/kg but not less than 8.5 %": ("8.5", "0.0562", "KGM", "max"),
    "10 % but not more than $0.50/kg": ("10", "0.50", "KGM", "min"),
    "$106.50/tonne plus 7 %": ("7", "106.50", "TNE", "sum"),
    "79.9¢/dozen": (None, "0.799", "DZN", None),
}
UNREADABLE = ("4.2¢", "$1.88", "8 percent")  # an amount with no unit, a percentage in words
UNITS = ("NMB", "KGM", "LTR", "TNE", "DZN", "MTK", "PAR", "LPA", "-  ", "-")
PREFERENTIAL = ("AUT", "NZT", "CCCT", "LDCT", "GPT", "UST", "MXT", "CIAT", "CT", "CRT", "IT", "NT", "SLT", "PT",
                "COLT", "JT", "PAT", "HNT", "KRT", "CEUT", "CPTPT", "UKT", "UAT")
WORDS = ("Live", "animals", "fresh", "chilled", "frozen", "other", "of", "a", "kind", "used", "for", "the",
         "manufacture", "café", "crème", "naïve", "résumé", "’s", "“prepared”", "within access commitment",
         "over access commitment")
EFF_DATES = ("01/01/98 00:00:00", "01/01/12 00:00:00", "01/01/22 00:00:00", "01/01/26 00:00:00")


@dataclass
class Expected:
    """What the loader must find for one 10-digit classification."""

    item: str  # the tariff item's TARIFF text
    item_row: int  # the file row of the tariff item
    rates: dict[str, str]  # column -> the tariff item's cell (never the 10-digit row's)
    unit: str  # the 10-digit row's UOM
    description: str
    unreadable: dict[str, str] = field(default_factory=dict)  # column -> cell text that cannot be read


@dataclass
class Export:
    text: str
    rows: int
    headings: int
    duplicates: int
    classifications: dict[str, Expected]  # TARIFF text of the 10-digit row -> what it must load as

    def data(self, encoding: str = "cp1252") -> bytes:
        return self.text.encode(encoding)


class _Writer:
    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        self.buffer = io.StringIO()
        self.csv = csv.writer(self.buffer, lineterminator="\r\n")
        self.csv.writerow(columns)
        self.line = 1
        self.rows = 0
        self.row_id = 26000

    def write(self, values: dict[str, str]) -> int:
        """Write one row; returns the line it starts on."""
        self.row_id += 1
        values.setdefault("row_id", str(self.row_id))
        cells = [values.get(column, "") for column in self.columns]
        start = self.line + 1
        before = self.buffer.tell()
        self.csv.writerow(cells)
        self.buffer.seek(before)
        written = self.buffer.read()
        self.line += written.count("\r\n")
        self.rows += 1
        return start


def _description(rng: random.Random) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9)))
    if rng.random() < 0.04:  # Access memo fields keep their line breaks
        words += "\r\n" + " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
    if rng.random() < 0.1:
        words = f"{words}, {rng.choice(WORDS)}"  # a comma: quoted
    return words


def full_size_export(seed: int = 2026, items: int = 6100, extra_columns: tuple[str, ...] = ("IDT",)) -> Export:
    """About ``items`` tariff items with 1 to 3 classifications each (≈ 20,000 rows for the default)."""
    rng = random.Random(seed)
    columns = [*HEADER, *extra_columns]
    writer = _Writer(columns)
    expected: dict[str, Expected] = {}
    headings = duplicates = 0
    forms = list(RATE_FORMS)
    made = 0
    chapter = 0
    used: set[str] = set()
    while made < items:
        chapter = chapter % 99 + 1
        heading = rng.randint(1, 99)
        writer.write({"TARIFF": f"{chapter:02d}.{heading:02d}", "EFF_DATE": EFF_DATES[0], "DESC1": _description(rng)})
        headings += 1
        for sub in rng.sample(range(10, 99), 3):
            writer.write({"TARIFF": f"{chapter:02d}{heading:02d}.{sub}", "EFF_DATE": EFF_DATES[1],
                          "DESC1": _description(rng)})
            headings += 1
            if rng.random() < 0.3:
                writer.write({"TARIFF": f"{chapter:02d}{heading:02d}.{sub}.1", "EFF_DATE": EFF_DATES[1],
                              "DESC1": _description(rng)})
                headings += 1
            for item_number in rng.sample(range(10, 99), rng.randint(1, 3)):
                item = f"{chapter:02d}{heading:02d}.{sub}.{item_number}"
                if made >= items or item in used:
                    continue
                used.add(item)
                made += 1
                rates = {"MFN": rng.choice(forms), "General Tariff": rng.choice(("35%", "35 %"))}
                if rng.random() < 0.03:
                    rates["MFN"] = "N/A"
                for column in rng.sample(PREFERENTIAL, rng.randint(0, len(PREFERENTIAL))):
                    rates[column] = rng.choice(("Free", "Free", "Free", rng.choice(forms)))
                unreadable = {}
                if rng.random() < 0.004:
                    column = rng.choice(["MFN", *PREFERENTIAL])
                    rates[column] = unreadable[column] = rng.choice(UNREADABLE)
                values = {"TARIFF": item, "EFF_DATE": rng.choice(EFF_DATES), "CHANGE": "1",
                          "DESC1": _description(rng), "UOM": "", **rates}
                if extra_columns:
                    values[extra_columns[0]] = rng.choice(("", "Free"))  # a treatment not yet in force
                item_row = writer.write(values)
                if rng.random() < 0.01:  # the export repeats a row now and then
                    writer.write(dict(values))
                    duplicates += 1
                for suffix in rng.sample(range(10, 99), rng.randint(1, 3)):
                    classification = f"{item}.{suffix}"
                    unit = rng.choice(UNITS)
                    description = _description(rng)
                    stale = {"MFN": rng.choice(("Free", "9 %", "12 %", "")), "General Tariff": "35%"}
                    if rng.random() < 0.002:
                        stale["MFN"] = rng.choice(UNREADABLE)  # never read: the row's rates are not used
                    writer.write({"TARIFF": classification, "EFF_DATE": EFF_DATES[1], "DESC1": description,
                                  "UOM": unit, **stale})
                    expected[classification] = Expected(item, item_row, rates, unit, " ".join(description.split()),
                                                        unreadable)
    return Export(writer.buffer.getvalue(), writer.rows, headings, duplicates, expected)
