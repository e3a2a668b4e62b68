"""Reference data and context for the validation tests.

``reference_data()`` is the project's real shipped data (``pipeline.reference.load_reference()``) plus a few
codes that are *examples for tests* (prefix ``T-``), never facts: SIMA measures, excise codes, a GST exemption
and a remission order whose goods and windows the tests control. The real facts the tests rely on:
9503.00.10.10 tricycles (counted, NMB; MFN 8%, UST Free, GPT 5%, no AUT), 0404.10.22.00 powdered whey (KGM,
a per-kg rate), USD 1.3800 on 2025-05-02 and no USD rate before 2023-12-27, Russia's loss of MFN on 2022-03-03,
the GST/HST break code ``24-25-GSTTPS`` (releases 2024-12-14 to 2025-02-15), the CLVS limit C$3,300.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import date
from decimal import Decimal

from pipeline.reference import load_reference
from pipeline.reference.types import ExciseCode, GstExemption, ReferenceData, SimaMeasure, SpecialAuthority
from pipeline.registry import Importer, Provider, Registry
from pipeline.validate.context import ValidationContext

EXAMPLE = "example for tests, not a real code"

# The example codes the tests use (never real codes).
SIMA_CODE = "T-SIMA"  # tricycles (9503.00.10.10) from CN, 2024-01-01 onwards
SIMA_EXPIRED = "T-SIMA-OLD"  # same goods, ended 2024-12-31
EXCISE_CODE = "T-EXC"  # tricycles, $1 a unit (NMB), 2024-01-01 onwards
EXCISE_EXPIRED = "T-EXC-OLD"  # same goods, ended 2024-12-31
EXCISE_PER_KG = "T-EXC-KG"  # any goods, per kilogram
GST_EXEMPTION = "T-GST"  # chapter 95 goods only
REMISSION = "T-REMIT"  # relieves surtax on whey (0404) only, 2024-01-01 onwards
GST_BREAK = "24-25-GSTTPS"  # the real code of the GST/HST break


@functools.cache
def reference_data() -> ReferenceData:
    base = load_reference()
    return replace(
        base,
        sima={**base.sima, **_example_sima()},
        excise={**base.excise, **_example_excise()},
        gst_exemptions={**base.gst_exemptions, GST_EXEMPTION: GstExemption(
            GST_EXEMPTION, "example exemption for toys", frozenset({"95"}), EXAMPLE, True)},
        special_authorities={**base.special_authorities, REMISSION: SpecialAuthority(
            REMISSION, "example remission order for whey", "surtax", frozenset({"0404"}), date(2024, 1, 1), None,
            EXAMPLE, False)},
    )


def _example_sima() -> dict[str, SimaMeasure]:
    def measure(code: str, end: date | None) -> SimaMeasure:
        return SimaMeasure(code, "example anti-dumping measure on tricycles", frozenset({"9503001010"}),
                           frozenset({"CN"}), Decimal("10"), None, None, date(2024, 1, 1), end, EXAMPLE, True)

    return {SIMA_CODE: measure(SIMA_CODE, None), SIMA_EXPIRED: measure(SIMA_EXPIRED, date(2024, 12, 31))}


def _example_excise() -> dict[str, ExciseCode]:
    def code(name: str, goods: frozenset[str] | None, unit: str, end: date | None) -> ExciseCode:
        return ExciseCode(name, "tax", "example excise tax", goods, Decimal("1"), unit, date(2024, 1, 1), end,
                          EXAMPLE, True)

    return {
        EXCISE_CODE: code(EXCISE_CODE, frozenset({"9503001010"}), "NMB", None),
        EXCISE_EXPIRED: code(EXCISE_EXPIRED, frozenset({"9503001010"}), "NMB", date(2024, 12, 31)),
        EXCISE_PER_KG: code(EXCISE_PER_KG, None, "KGM", None),
    }


# -- the rest of a validation context ----------------------------------------------------------------------------

AS_OF = date(2025, 5, 6)  # the business date of the tests: the day after the worked example's release


def registry(*, providers: tuple[str, ...] = ("SP00042",), importers: tuple[str, ...] = ("123456782RM0001",),
             authorizations: tuple[tuple[str, str], ...] = (("SP00042", "123456782RM0001"),)) -> Registry:
    return Registry(
        providers={p: Provider(p, f"provider {p}") for p in providers},
        importers={i: Importer(i, f"importer {i}") for i in importers},
        authorizations=frozenset(authorizations),
    )


class History:
    """The ledger's accepted versions and whose transaction each is, as intake would answer them."""

    def __init__(self, accepted: dict[str, int] | None = None, owners: dict[str, str] | None = None) -> None:
        self.accepted = dict(accepted or {})
        self.owners = dict(owners or {})
        self.asked: list[str] = []

    def latest_accepted_version(self, transaction_number: str) -> int | None:
        self.asked.append(transaction_number)
        return self.accepted.get(transaction_number)

    def owning_importer(self, transaction_number: str) -> str | None:
        return self.owners.get(transaction_number)


def context(**overrides: object) -> ValidationContext:
    values: dict[str, object] = {"reference": reference_data(), "as_of": AS_OF}
    values.update(overrides)
    return ValidationContext(**values)  # type: ignore[arg-type]
