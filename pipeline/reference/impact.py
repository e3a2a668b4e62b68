"""Which posted lines a change of reference data would assess differently (``carm refdata impact``). Pure.

Every posted line stores, in its explanation's ``versions``, the reference data it was assessed with
(``pipeline.intake.explanations``): the tariff edition and the SHA-256 of its file, the exchange rate's series,
publication day and value, and the shipment date. Against another reference directory a line is affected when

- the tariff in force there on its release date is not the very file it was assessed with (another SHA-256, or
  another edition) **and** the rate text of its classification and treatment differs there (or the
  classification, the treatment or its cell is no longer usable): an edition changed elsewhere than the line's
  row changes nothing for it;
- or the exchange rate its shipment date takes there (``ExchangeRates.rate_for``: that day's, else the latest of
  the 7 days before) is another value or another day's, or there is none.

A line posted before versions were recorded cannot be compared: it is counted, never guessed at.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pipeline.reference.types import UNIT_OF_MEASURE, WHOLE_ITEM, ReferenceData


@dataclass(frozen=True, slots=True)
class PostedLine:
    """One line of a posted declaration version, as the ledger holds it."""

    transaction_number: str
    version: int
    importer: str | None
    line: int
    classification: str
    treatment: str
    release_date: date | None
    explanation: dict[str, Any] | None


class _Changes:
    """What differs for one line, remembered per distinct question (a ledger repeats the same few)."""

    def __init__(self, reference: ReferenceData) -> None:
        self.reference = reference
        self.tariff_answers: dict[tuple, str | None] = {}
        self.fx_answers: dict[tuple, str | None] = {}

    def tariff(self, line: PostedLine, recorded: dict[str, Any], rate_text: str | None) -> str | None:
        key = (line.classification, line.treatment, line.release_date, recorded.get("edition"),
               recorded.get("sha256"), rate_text)
        if key not in self.tariff_answers:
            self.tariff_answers[key] = self._tariff_change(line, recorded, rate_text)
        return self.tariff_answers[key]

    def _tariff_change(self, line: PostedLine, recorded: dict[str, Any], rate_text: str | None) -> str | None:
        on = line.release_date
        item = self.reference.tariff.lookup(line.classification, on) if on is not None else None
        if item is None:
            return f"classification {line.classification} is not in the tariff on {on}"
        edition, sha256 = recorded.get("edition"), recorded.get("sha256")
        if item.edition == edition and sha256 and item.edition_sha256 == sha256:
            return None  # the very file the line was assessed with is still the one in force
        fault = next((item.unusable[key] for key in (line.treatment, UNIT_OF_MEASURE, WHOLE_ITEM)
                      if key in item.unusable), None)
        if fault is not None:
            return f"tariff treatment {line.treatment} of {line.classification} is unusable there: {fault}"
        rate = item.rates.get(line.treatment)
        if rate is None:
            return f"classification {line.classification} offers no tariff treatment {line.treatment} there"
        if rate.text != rate_text:
            return (f"customs duty rate of {line.classification} treatment {line.treatment}: {rate_text!r} "
                    f"(edition {edition}) → {rate.text!r} (edition {item.edition})")
        return None

    def exchange_rate(self, recorded: dict[str, Any], shipped: str | None) -> str | None:
        series = str(recorded.get("series", ""))
        if series == "CAD" or shipped is None:
            return None
        key = (series, shipped, recorded.get("published"), recorded.get("rate"))
        if key not in self.fx_answers:
            self.fx_answers[key] = self._fx_change(series[2:5], recorded, date.fromisoformat(shipped))
        return self.fx_answers[key]

    def _fx_change(self, currency: str, recorded: dict[str, Any], shipped: date) -> str | None:
        was = f"{recorded.get('rate')} published {recorded.get('published')}"
        now = self.reference.exchange_rates.rate_for(currency, shipped)
        if now is None:
            return f"{currency} rate for {shipped}: {was} → none there (B14)"
        try:
            same = now.rate == Decimal(str(recorded.get("rate"))) and now.published.isoformat() == recorded.get(
                "published")
        except InvalidOperation:
            same = False
        return None if same else f"{currency} rate for {shipped}: {was} → {now.rate} published {now.published}"


def line_changes(line: PostedLine, changes: _Changes) -> list[str] | None:
    """Why the line would be assessed differently (empty: it would not); None when it recorded no versions."""
    explanation = line.explanation or {}
    versions = explanation.get("versions")
    if not isinstance(versions, dict) or "tariff" not in versions:
        return None
    rate_text = (explanation.get("reference") or {}).get("rate")
    found = [changes.tariff(line, versions["tariff"], rate_text)]
    if "exchange_rate" in versions:
        found.append(changes.exchange_rate(versions["exchange_rate"], versions.get("shipped")))
    return [change for change in found if change is not None]


def impact_document(lines: Iterable[PostedLine], reference: ReferenceData, directory: str | None) -> dict:
    """The report of ``carm refdata impact``: the declaration versions a change to ``reference`` would affect,
    each with its affected lines and why; ``lines`` in (transaction number, version, line) order."""
    changes = _Changes(reference)
    checked = unversioned = 0
    affected: dict[tuple[str, int], dict] = {}
    for line in lines:
        checked += 1
        found = line_changes(line, changes)
        if found is None:
            unversioned += 1
        elif found:
            entry = affected.setdefault((line.transaction_number, line.version), {
                "transaction_number": line.transaction_number, "version": line.version, "importer": line.importer,
                "lines": []})
            entry["lines"].append({"line": line.line, "classification": line.classification, "changes": found})
    return {
        "directory": directory,
        "tariff_editions": [{"name": edition.name, "sha256": edition.sha256} for edition in reference.tariff.editions],
        "lines_checked": checked,
        "lines_without_versions": unversioned,
        "declarations_affected": len(affected),
        "lines_affected": sum(len(entry["lines"]) for entry in affected.values()),
        "declarations": list(affected.values()),
    }
