"""Rate cells of the Customs Tariff, as printed by CBSA, parsed into ``Rate``.

The grammar is the one of the schedule (``/work/shared/reference/tariff/README.md``)::

    cell     = "Free" | part | part connector part
    part     = PERCENT "%" | specific
    specific = ("$" AMOUNT | AMOUNT "¢") ("/" unit | "each")  (cents are turned into dollars exactly)
    connector= "but not less than" (max) | "but not more than" (min) | "plus" (sum)
    unit     = kg | litre | hl | tonne | dozen | litre of absolute ethyl alcohol
               (UN/ECE Rec 20: KGM, LTR, HLT, TNE, DZN, LPA; "each" is C62, one unit)

CBSA's export prints cells with spaces and without the slash before "each" (``8 %``, ``0.86 ¢each``,
``238 % but not less than 30.8 ¢each``, ``12.28¢/litre of absolute ethyl alcohol``): spaces around the number,
the sign and the slash mean nothing. An amount with no unit (``$1.88``, ``4.2¢``) is not a rate.
The two parts of a compound rate are of different kinds (one ad valorem, one specific), in either order.
``N/A`` is not a rate but the absence of one (the treatment is not offered): ``parse_rate_cell`` returns None
for it, ``parse_rate`` rejects it. The preferential cell ``CCCT, LDCT, UST: Free; GPT: 5%`` is parsed by
``parse_preferential_cell``. Anything else is rejected with ``RateSyntaxError`` quoting the cell.
"""

from __future__ import annotations

import re
from decimal import Decimal

from pipeline.reference.types import Rate

#: Units that occur in real rate cells, to their UN/ECE Rec 20 codes. Add a unit here only when a real cell
#: of the schedule needs it.
RATE_UNITS: dict[str, str] = {
    "kg": "KGM",
    "litre": "LTR",
    "hl": "HLT",
    "tonne": "TNE",
    "dozen": "DZN",  # eggs of heading 04.07 (within and over access commitment)
    "litre of absolute ethyl alcohol": "LPA",  # spirits of heading 22.08 (spec/reference-data.md)
    "each": "C62",  # chicks of heading 01.05 ("0.86 ¢each", spec/reference-data.md)
}
#: Units printed without a slash ("0.86 ¢each"); a slash before them is accepted too.
PER_ITEM = frozenset({"each"})
_UNIT_WORDS = {code: word for word, code in RATE_UNITS.items()}

#: The connectors of a compound rate and how its two parts combine (``Rate.combine``).
CONNECTORS: dict[str, str] = {"but not less than": "max", "but not more than": "min", "plus": "sum"}
_CONNECTOR_WORDS = {combine: words for words, combine in CONNECTORS.items()}

NOT_OFFERED = "N/A"

_NUMBER = r"(?:\d+(?:\.\d+)?|\.\d+)"
_PERCENT = re.compile(rf"(?P<percent>{_NUMBER})\s*%")
_UNIT_CHOICES = "|".join(re.escape(word) for word in sorted(RATE_UNITS, key=len, reverse=True))
_SPECIFIC = re.compile(
    rf"(?:\$\s*(?P<dollars>{_NUMBER})|(?P<cents>{_NUMBER})\s*¢)"
    rf"\s*(?:/\s*(?P<unit>{_UNIT_CHOICES})|(?P<per>{'|'.join(sorted(PER_ITEM))}))",
    re.IGNORECASE,
)
_CONNECTOR = re.compile(r"\s+(" + "|".join(re.escape(words) for words in CONNECTORS) + r")\s+", re.IGNORECASE)
_ABBREVIATION = re.compile(r"[A-Z]{2,6}")


class RateSyntaxError(ValueError):
    """A rate cell that is not in the schedule's grammar. ``cell`` is the text as given."""

    def __init__(self, cell: str, problem: str) -> None:
        super().__init__(f"rate cell {cell!r}: {problem}")
        self.cell = cell
        self.problem = problem


def _normalise(text: str) -> str:
    # Exports carry non-breaking and doubled spaces; they mean nothing in a rate.
    return " ".join(text.split())


def _part(cell: str, text: str) -> tuple[str, Decimal, str | None]:
    """One part of a rate: ("percent", value, None) or ("specific", dollars, Rec 20 unit)."""
    match = _PERCENT.fullmatch(text)
    if match:
        return "percent", Decimal(match["percent"]), None
    match = _SPECIFIC.fullmatch(text)
    if match:
        if match["dollars"] is not None:
            amount = Decimal(match["dollars"])
        else:
            amount = Decimal(match["cents"]).scaleb(-2)  # exact: 3.32¢ -> 0.0332
        return "specific", amount, RATE_UNITS[(match["unit"] or match["per"]).lower()]
    raise RateSyntaxError(
        cell, f"{text!r} is neither a percentage nor an amount per {', '.join(RATE_UNITS)}"
    )


def parse_rate(text: str) -> Rate:
    """Parse one rate cell (``Free``, ``8%``, ``3.32¢/kg``, ``$106.50/tonne plus 7%`` …).

    Raises ``RateSyntaxError`` for anything else, ``N/A`` and the empty cell included.
    """
    cell = _normalise(text)
    if not cell:
        raise RateSyntaxError(text, "empty cell")
    if cell.upper() == NOT_OFFERED:
        raise RateSyntaxError(text, "N/A means no rate; use parse_rate_cell to accept it")
    if cell.lower() == "free":
        return Rate(text=cell)
    pieces = _CONNECTOR.split(cell)
    if len(pieces) == 1:
        kind, value, unit = _part(text, cell)
        if kind == "percent":
            return Rate(text=cell, ad_valorem=value)
        return Rate(text=cell, specific=value, specific_unit=unit)
    if len(pieces) != 3:
        raise RateSyntaxError(text, "more than two parts")
    first, connector, second = pieces
    parts = [_part(text, first), _part(text, second)]
    if parts[0][0] == parts[1][0]:
        raise RateSyntaxError(text, "a compound rate joins one percentage and one specific amount")
    percent = next(p for p in parts if p[0] == "percent")
    specific = next(p for p in parts if p[0] == "specific")
    return Rate(
        text=cell,
        ad_valorem=percent[1],
        specific=specific[1],
        specific_unit=specific[2],
        combine=CONNECTORS[connector.lower()],
    )


def parse_rate_cell(text: str) -> Rate | None:
    """Like ``parse_rate``, but ``N/A`` gives None: the treatment is not offered for the item."""
    if _normalise(text).upper() == NOT_OFFERED:
        return None
    return parse_rate(text)


def parse_preferential_cell(text: str) -> dict[str, Rate]:
    """The "applicable preferential tariffs" cell: ``GROUP[; GROUP…]``, ``GROUP = ABBR[, ABBR…]: RATE``.

    Returns treatment abbreviation -> rate; an empty cell gives ``{}`` (only MFN or the General Tariff apply).
    Abbreviations are checked for form only; the tariff loader checks they name known treatments.
    """
    cell = _normalise(text)
    rates: dict[str, Rate] = {}
    if not cell:
        return rates
    for group in cell.split(";"):
        names, colon, rate_text = group.partition(":")
        if not colon:
            raise RateSyntaxError(text, f"group {group.strip()!r} has no 'ABBREVIATIONS: RATE' form")
        if not rate_text.strip():
            raise RateSyntaxError(text, f"group {group.strip()!r} has no rate")
        try:
            rate = parse_rate(rate_text)
        except RateSyntaxError as error:
            raise RateSyntaxError(text, f"group {group.strip()!r}: {error.problem}") from None
        for name in (part.strip() for part in names.split(",")):
            if not _ABBREVIATION.fullmatch(name):
                raise RateSyntaxError(text, f"{name!r} is not a tariff treatment abbreviation")
            if name in rates:
                raise RateSyntaxError(text, f"{name} is given twice")
            rates[name] = rate
    return rates


def _number(value: Decimal) -> str:
    return format(value, "f")  # never exponent notation


def _specific_text(amount: Decimal, unit: str) -> str:
    word = _UNIT_WORDS[unit]
    cents = amount.scaleb(2)
    # The schedule prints amounts under a dollar in cents when that is exact to the hundredth of a cent.
    per = f" {word}" if word in PER_ITEM else f"/{word}"
    if amount < 1 and cents == cents.quantize(Decimal("0.01")):
        return f"{_number(cents)}¢{per}"
    return f"${_number(amount)}{per}"


def format_rate(rate: Rate) -> str:
    """The rate's canonical cell text (its ``text`` is ignored), which ``parse_rate`` reads back to it."""
    percent = None if rate.ad_valorem is None else f"{_number(rate.ad_valorem)}%"
    specific = None
    if rate.specific is not None:
        if rate.specific_unit not in _UNIT_WORDS:
            raise ValueError(f"no rate-cell unit for {rate.specific_unit!r}")
        specific = _specific_text(rate.specific, rate.specific_unit)
    if percent is None:
        return specific or "Free"
    if specific is None:
        return percent
    if rate.combine not in _CONNECTOR_WORDS:
        raise ValueError(f"a two-part rate needs combine max, min or sum, not {rate.combine!r}")
    first, second = (percent, specific) if rate.combine != "sum" else (specific, percent)
    return f"{first} {_CONNECTOR_WORDS[rate.combine]} {second}"
