"""Reference data and declaration builders for the assessment tests (no tests here).

``reference()`` is the project's real loaded data (``pipeline.reference.load_reference``) plus codes that are
*examples for tests* (prefix ``TA-``), never facts: SIMA measures, excise codes, a GST exemption, a surtax
remission, and one tariff classification (``9999999901``) with a "but not more than" rate, a form the real
sample lacks.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import date
from decimal import Decimal

from pipeline.model import Declaration, FilerAmount, Line, Party
from pipeline.reference import load_reference
from pipeline.reference.types import (
    ExciseCode,
    GstExemption,
    Rate,
    ReferenceData,
    SimaMeasure,
    SpecialAuthority,
    Tariff,
    TariffItem,
)

EXAMPLE = "example for the assessment tests, not a real code"

SIMA_PERCENT = "TA-SIMA-PCT"  # 7325.10 cast-iron articles from CN: 20% of VFD, 2024-01-01 onwards
SIMA_PER_TONNE = "TA-SIMA-TNE"  # 7302.30 railway switch blades from CN: $150.00 a tonne, 2024-01-01 onwards
EXCISE_AC = "AC"  # automobile air conditioners: excise tax $100 a unit (Excise Tax Act; shipped as real data)
EXCISE_SPIRITS = "TA-SPIRITS"  # excise duty $13.436 a litre (example amount), any goods
GST_EXEMPT = "TA-GSTX"  # GST exemption for chapter 95 goods
REMISSION = "TA-REMIT"  # remits the 2026 US surtax order on 7325 goods
GST_BREAK = "24-25-GSTTPS"
CAPPED = "9999999901"  # example classification: MFN "10% but not more than $2.00/kg"


@functools.cache
def reference() -> ReferenceData:
    base = load_reference()
    since = date(2024, 1, 1)
    capped = TariffItem(
        CAPPED,
        "example goods with a capped rate",
        "KGM",
        {"2": Rate("10% but not more than $2.00/kg", Decimal("10"), Decimal("2.00"), "KGM", "min")},
        since,
        None,
        EXAMPLE,
    )
    return replace(
        base,
        tariff=Tariff({**base.tariff.items, CAPPED: (capped,)}, base.tariff.source),
        sima={
            **base.sima,
            SIMA_PERCENT: SimaMeasure(
                SIMA_PERCENT, "example anti-dumping duty", frozenset({"732510"}), frozenset({"CN"}),
                Decimal("20"), None, None, since, None, EXAMPLE, True,
            ),
            SIMA_PER_TONNE: SimaMeasure(
                SIMA_PER_TONNE, "example countervailing duty", frozenset({"73023090"}), frozenset({"CN"}),
                None, Decimal("150.00"), "TNE", since, None, EXAMPLE, True,
            ),
        },
        excise={
            **base.excise,
            EXCISE_SPIRITS: ExciseCode(
                EXCISE_SPIRITS, "duty", "spirits", None, Decimal("13.436"), "LTR", since, None, EXAMPLE, True
            ),
        },
        gst_exemptions={
            **base.gst_exemptions,
            GST_EXEMPT: GstExemption(GST_EXEMPT, "example exemption", frozenset({"95"}), EXAMPLE, True),
        },
        special_authorities={
            **base.special_authorities,
            REMISSION: SpecialAuthority(
                REMISSION, "example remission order", "surtax", frozenset({"7325"}), since, None, EXAMPLE, False,
                remits_order="SOR/2026-186",
            ),
        },
    )


# -- declarations ------------------------------------------------------------------------------------------------

def line(number: int = 1, **fields: object) -> Line:
    """A line of the worked example (tricycles from CN under MFN, US$1,000.00) unless overridden."""
    values: dict[str, object] = dict(
        number=str(number), classification="9503001010", treatment="2", description="goods", origin="CN",
        unit="NMB", quantity="10", value="1000.00", location=f"/Declaration/GoodsShipment/GovernmentAgencyGoodsItem[{number}]",
    )
    values.update(fields)
    return Line(**values)  # type: ignore[arg-type]


def filed(charge: str, amount: str, place: str = "TAX#20") -> FilerAmount:
    return FilerAmount(charge, amount, place)


def declaration(*lines: Line, **fields: object) -> Declaration:
    """A declaration of the worked example: shipped 2025-05-02, released 2025-05-05, USD."""
    values: dict[str, object] = dict(
        function="9", transaction_number="10207000002945", version="1", cad_type="AB", document_date="2025-05-05",
        release_date="2025-05-05", shipment_date="2025-05-02", office="0497", export_country="US",
        importer=Party("IM", "Acme Imports Ltd", id="123456782RM0001"), vendor=Party("SE", "Vendor"),
        transport_mode="2", currency="USD", message_reference="1", location="/Declaration",
    )
    values.update(fields)
    return Declaration(lines=tuple(lines) or (line(),), **values)  # type: ignore[arg-type]
