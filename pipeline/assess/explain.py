"""Explanations (``carm assess --explain``): for every amount of a line, the inputs that produced it.

Built on request, one line at a time, from the engine's own trail (the reference rows it looked up and the exact
values it computed before rounding), so an explanation can never disagree with the amount it explains. Each
step names the rate text, the base, the reference row, the exchange rate with its publication date and series,
the order or measure applied, and the rounding (the exact value and the rounded one): enough to redo the
arithmetic by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pipeline.assess.checks import CHARGE_LABELS
from pipeline.assess.result import Assessment
from pipeline.assess.rules import CLVS_RELIEVED_DUTIES, DUTIES
from pipeline.money import CENT, MONEY_CONTEXT, ROUNDING, from_cents

LABELS = {"vfd": "value for duty", **CHARGE_LABELS, "vft": "value for tax", "total": "line total"}


@dataclass(frozen=True, slots=True)
class Step:
    """How one amount of a line was reached."""

    charge: str  # a key of rules.AMOUNTS
    amount: Decimal  # the assessed amount, rounded to the cent
    exact: Decimal  # the value before rounding (equal to ``amount`` where nothing was rounded)
    formula: str  # the arithmetic with its numbers
    inputs: tuple[tuple[str, str], ...]  # (what, value): rate text, base, reference row, exchange rate, order…

    @property
    def rounded(self) -> bool:
        return self.exact != self.amount

    @property
    def rounding(self) -> str:
        if not self.rounded:
            return "exact, no rounding"
        return f"{self.exact} rounded to the cent ({ROUNDING.lower().replace('_', ' ')}): {self.amount}"

    def as_json(self) -> dict:
        return {
            "charge": self.charge,
            "amount": f"{self.amount:.2f}",
            "exact": str(self.exact),
            "rounding": self.rounding,
            "formula": self.formula,
            "inputs": {name: value for name, value in self.inputs},
        }


@dataclass(frozen=True, slots=True)
class LineExplanation:
    transaction_number: str
    line: int
    classification: str
    treatment: str
    origin: str
    steps: tuple[Step, ...]

    def step(self, charge: str) -> Step:
        return next(step for step in self.steps if step.charge == charge)

    def as_json(self) -> dict:
        return {
            "transaction_number": self.transaction_number,
            "line": self.line,
            "classification": self.classification,
            "tariff_treatment": self.treatment,
            "origin": self.origin,
            "steps": [step.as_json() for step in self.steps],
        }


def _exact(value: object, exponent: int) -> Decimal:
    """An exact engine value, shown with its significant decimals and never fewer than cents."""
    exact = Decimal(int(value)).scaleb(-exponent, context=MONEY_CONTEXT).normalize(MONEY_CONTEXT)
    return exact.quantize(CENT) if exact.as_tuple().exponent > -2 else exact


def _percent(value: Decimal) -> str:
    return f"{value.normalize(MONEY_CONTEXT):f}%"


def _source(row: object) -> str:
    text = getattr(row, "source", "")
    example = " (example for tests and demos, not a real measure)" if getattr(row, "example", False) else ""
    return f"{text}{example}"


class _Reader:
    """The trail of one row, read column by column."""

    def __init__(self, assessment: Assessment, row: int) -> None:
        self.assessment, self.row = assessment, row
        self.trail = assessment.trail
        self.amounts = assessment.lines.iloc[row]
        self.declaration = assessment.declarations[int(self.amounts["declaration"])]
        self.line = self.declaration.lines[int(self.amounts["position"])]

    def column(self, name: str, default: int = -1) -> object:
        columns = self.trail.columns
        return columns[name].iat[self.row] if name in columns else default

    def exact(self, name: str) -> Decimal:
        return _exact(self.column(name, 0), self.trail.exponents[name])

    def table_row(self, table: str, id_column: str) -> object | None:
        index = int(self.column(id_column))
        return self.trail.tables[table][index] if index >= 0 else None

    def amount(self, charge: str) -> Decimal:
        return from_cents(int(self.amounts[charge]))


def explain_line(assessment: Assessment, declaration_index: int, line_number: int) -> LineExplanation:
    """The explanation of one line of one declaration of the batch (by the line number the filer gave)."""
    return explain_row(assessment, assessment.row_of(declaration_index, line_number))


def explain_declaration(assessment: Assessment, declaration_index: int) -> tuple[LineExplanation, ...]:
    start, end = int(assessment.starts[declaration_index]), int(assessment.starts[declaration_index + 1])
    return tuple(explain_row(assessment, row) for row in range(start, end))


def explain_row(assessment: Assessment, row: int) -> LineExplanation:
    reader = _Reader(assessment, row)
    relief = reader.table_row("clvs", "clvs_threshold")
    steps = [
        _vfd(reader),
        _customs_duty(reader),
        _surtax(reader),
        _sima(reader),
        *_excise(reader),
        _vft(reader),
        _gst(reader),
        _total(reader),
    ]
    if relief is not None and relief.duty_free:
        steps = [_clvs_relieved(reader, step, relief) if step.charge in CLVS_RELIEVED_DUTIES else step for step in steps]
    line = reader.line
    return LineExplanation(
        reader.declaration.transaction_number,
        line.line_number,
        str(reader.amounts["classification"]),
        line.treatment,
        line.origin,
        tuple(steps),
    )


def _vfd(reader: _Reader) -> Step:
    fx = reader.table_row("fx", "fx_id")
    line, declaration = reader.line, reader.declaration
    currency = line.value_currency or declaration.currency
    exact = reader.exact("vfd_exact")
    return Step(
        "vfd",
        reader.amount("vfd"),
        exact,
        f"{line.value} {currency} × {fx.rate} = {exact}",
        (
            ("value for currency conversion", f"{line.value} {currency}"),
            ("exchange rate", f"{fx.rate} CAD per {currency}"),
            ("rate series", fx.series),
            ("rate published", fx.published.isoformat()),
            ("direct shipment date", declaration.shipment_date),
            ("source", "Bank of Canada, rate of the shipment date or the latest published before it"
                       if currency != "CAD" else "CAD invoice: rate 1"),
        ),
    )


def _quantity_text(reader: _Reader, conversion: tuple | None) -> str:
    line = reader.line
    if conversion is None:
        return f"{line.quantity} {line.unit}"
    declared, target, factor, _ = conversion
    if factor == 1:
        return f"{line.quantity} {declared}"
    return f"{line.quantity} {declared} × {factor} = {MONEY_CONTEXT.multiply(Decimal(line.quantity), factor)} {target}"


def _customs_duty(reader: _Reader) -> Step:
    rate = reader.table_row("rates", "rate_id")
    item = reader.table_row("items", "item_id")
    vfd = reader.amount("vfd")
    exponent = reader.trail.exponents["duty_exact"]
    exact = _exact(reader.column("duty_exact", 0), exponent)
    inputs = [
        ("rate", rate.text),
        ("tariff treatment", reader.line.treatment),
        ("reference row", f"Customs Tariff {item.classification} (row {item.row}, in force from "
                          f"{item.effective_from}{' to ' + str(item.effective_to) if item.effective_to else ''}; "
                          f"{item.source})"),
        ("tariff edition", _edition(item)),
        ("release date", reader.declaration.release_date),
    ]
    parts = []
    if rate.ad_valorem is not None:
        ad_valorem = _exact(reader.column("ad_valorem_exact", 0), exponent)
        parts.append(f"{vfd} × {_percent(rate.ad_valorem)} = {ad_valorem}")
        inputs.append(("base (ad valorem)", f"VFD {vfd}"))
    if rate.specific is not None:
        conversion = reader.table_row("specific", "specific_id")
        specific = _exact(reader.column("specific_exact", 0), exponent)
        parts.append(f"{_quantity_text(reader, conversion)} × ${rate.specific}/{rate.specific_unit} = {specific}")
        inputs.append(("base (specific)", _quantity_text(reader, conversion)))
    if not parts:
        formula = "Free: 0"
    elif len(parts) == 1:
        formula = parts[0]
    else:
        how = {"max": "the greater of", "min": "the lesser of", "sum": "the sum of"}[rate.combine]
        formula = f"{how} {parts[0]} and {parts[1]} = {exact}"
    return Step("customs_duty", reader.amount("customs_duty"), exact, formula, tuple(inputs))


def _edition(item: object) -> str:
    """The edition, the tariff item row whose rates were used and its EFF_DATE (when its rates last changed)."""
    changed = f", EFF_DATE {item.changed}" if item.changed else ""
    rates_row = f"tariff item row {item.rates_row}{changed}" if item.rates_row else "no tariff item row"
    return f"{item.edition or 'unnamed'} ({rates_row})"


def _surtax(reader: _Reader) -> Step:
    rule = reader.table_row("surtax_rules", "surtax_rule")
    if rule is None:
        return Step("surtax", reader.amount("surtax"), Decimal("0"), "no surtax order covers these goods and origin "
                    "on the release date", ())
    inputs = (
        ("order", f"{rule.order} schedule {rule.schedule}"),
        ("reference row", f"row {rule.row} of {rule.source}"),
        ("rate", _percent(rule.rate)),
        ("base", f"VFD {reader.amount('vfd')}"),
        ("in force", f"{rule.start}{' to ' + str(rule.end) if rule.end else ' onwards'}"),
    )
    remission = reader.table_row("surtax_remissions", "surtax_remission")
    if remission is not None:
        return Step("surtax", reader.amount("surtax"), Decimal("0"),
                    f"remitted by special authority {remission.code}: 0", inputs + (("remission", remission.description),))
    exact = reader.exact("surtax_exact")
    return Step("surtax", reader.amount("surtax"), exact, f"{reader.amount('vfd')} × {_percent(rule.rate)} = {exact}", inputs)


def _sima(reader: _Reader) -> Step:
    measure = reader.table_row("sima_measures", "sima_measure")
    if measure is None:
        return Step("sima", reader.amount("sima"), Decimal("0"), "no SIMA measure covers these goods and origin", ())
    exact = reader.exact("sima_exact")
    parts = []
    if measure.percent is not None:
        parts.append(f"{reader.amount('vfd')} × {_percent(measure.percent)}")
    if measure.per_unit is not None:
        conversion = reader.table_row("sima_unit", "sima_unit_id")
        parts.append(f"{_quantity_text(reader, conversion)} × ${measure.per_unit}/{measure.unit}")
    named = (
        "named by the line's SIMA code"
        if reader.line.sima
        else "covers the goods and origin; the line has no SIMA code (W03 where the duty is due)"
    )
    inputs = (
        ("measure", f"{measure.code}: {measure.description}"),
        ("applied because", named),
        ("reference row", f"row {measure.row} of {_source(measure)}"),
        ("in force", f"{measure.start}{' to ' + str(measure.end) if measure.end else ' onwards'}"),
    )
    return Step("sima", reader.amount("sima"), exact, " + ".join(parts) + f" = {exact}", inputs)


def _excise(reader: _Reader) -> list[Step]:
    code = reader.line.excise_code
    steps: list[Step] = []
    found = reader.table_row("excise", "excise_id") if code else None
    for charge, kind in (("excise_duty", "duty"), ("excise_tax", "tax")):
        if found is None or found.kind != kind:
            steps.append(Step(charge, reader.amount(charge), Decimal("0"), f"no excise {kind} code on the line", ()))
            continue
        conversion = reader.table_row("excise_unit", "excise_unit_id")
        exact = reader.exact("excise_exact")
        steps.append(Step(
            charge,
            reader.amount(charge),
            exact,
            f"{_quantity_text(reader, conversion)} × ${found.per_unit}/{found.unit} = {exact}",
            (
                ("excise code", f"{found.code}: {found.description}"),
                ("reference row", f"row {found.row} of {_source(found)}"),
                ("base", _quantity_text(reader, conversion)),
            ),
        ))
    return steps


def _vft(reader: _Reader) -> Step:
    terms = [reader.amount("vfd"), *(reader.amount(charge) for charge in DUTIES)]
    vft = reader.amount("vft")
    return Step("vft", vft, vft, " + ".join(str(term) for term in terms) + f" = {vft}",
                (("rule", "VFD + customs duty + surtax + SIMA duty + excise duty + excise tax"),))


def _gst(reader: _Reader) -> Step:
    relief = reader.table_row("gst_reliefs", "gst_relief")
    threshold = reader.table_row("clvs", "clvs_threshold")
    gst_rate = reader.trail.tables["gst_rate"][0]
    vft = reader.amount("vft")
    if relief is not None:
        approximate = " (its goods list is an approximation)" if getattr(relief, "approximate_goods", False) else ""
        window = f", releases {relief.start} to {relief.end}" if hasattr(relief, "start") else ""
        return Step("gst", reader.amount("gst"), Decimal("0"), f"relieved by {relief.code}: 0",
                    (("relief", f"{relief.code}: {relief.description}{window}{approximate}"),
                     ("source", _source(relief))))
    if threshold is not None and threshold.gst_free:
        return Step("gst", reader.amount("gst"), Decimal("0"), "courier low-value shipment: no GST", _clvs_inputs(reader, threshold))
    exact = reader.exact("gst_exact")
    return Step("gst", reader.amount("gst"), exact, f"{vft} × {_percent(gst_rate)} = {exact}",
                (("rate", _percent(gst_rate)), ("base", f"VFT {vft}")))


def _total(reader: _Reader) -> Step:
    charges = [*DUTIES, "gst"]
    total = reader.amount("total")
    return Step("total", total, total, " + ".join(str(reader.amount(c)) for c in charges) + f" = {total}",
                (("rule", "customs duty + surtax + SIMA duty + excise duty + excise tax + GST"),))


def _clvs_inputs(reader: _Reader, threshold: object) -> tuple[tuple[str, str], ...]:
    shipment = from_cents(int(reader.column("shipment_vfd", 0)))
    where = "from " + ", ".join(sorted(threshold.countries)) if threshold.countries else "from any other origin"
    return (
        ("shipment", reader.line.cargo_control or f"line {reader.line.number}"),
        ("shipment VFD", f"{shipment}"),
        ("threshold", f"at most C${threshold.max_vfd} {where}"),
        ("source", threshold.source),
    )


def _clvs_relieved(reader: _Reader, step: Step, threshold: object) -> Step:
    before = f" (before relief: {step.formula})" if step.exact else ""
    return Step(step.charge, step.amount, Decimal("0"), f"courier low-value shipment: no duty{before}",
                _clvs_inputs(reader, threshold) + step.inputs)
