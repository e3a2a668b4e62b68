"""The assessment rules that are decisions rather than arithmetic, each written once.

Both the vectorized engine and the Decimal oracle call these (the engine once per distinct key), so a reading
of spec/assessment.md lives in one place:

- which charges a courier low-value shipment is relieved of, and which threshold applies (a shipment is a
  cargo control number within a declaration: its lines' VFDs are summed; each line is judged by its own origin);
- when a special authority code relieves surtax, and when a GST exemption or special authority relieves GST.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pipeline.reference.types import (
    Clvs,
    ClvsThreshold,
    GstExemption,
    ReferenceData,
    SpecialAuthority,
    SurtaxRule,
    covers,
    in_window,
)

#: The charges that end a line's amounts, in the spec's order (assessment.md, "Order of computation").
DUTIES = ("customs_duty", "surtax", "sima", "excise_duty", "excise_tax")
AMOUNTS = ("vfd", *DUTIES, "vft", "gst", "total")

#: Filer charge types (FilerAmount.charge_type) and the assessed amount each is compared with (W01).
FILER_CHARGES = {
    "CUD": "customs_duty",
    "SUR": "surtax",
    "ADD": "sima",
    "EXD": "excise_duty",
    "EXT": "excise_tax",
    "GST": "gst",
}

#: What "no duty" relieves for a courier low-value shipment. The spec says "no duty and no GST" for the lowest
#: thresholds and "no customs duty but GST" for C$150 from the US or Mexico; the reference table has one
#: ``duty_free`` flag for both. Our reading: a duty-free CLVS shipment owes none of the duties (customs duty,
#: surtax, SIMA duty, excise duty, excise tax), so its value for tax is its value for duty.
CLVS_RELIEVED_DUTIES = DUTIES

SURTAX_RELIEF = "surtax"
GST_RELIEF = "gst"


def clvs_thresholds_for(clvs: Clvs, origin: str) -> tuple[ClvsThreshold, ...]:
    """The thresholds an origin is judged by, lowest first: those naming the origin, else those for any other
    origin (``countries is None``)."""
    named = [t for t in clvs.thresholds if t.countries is not None and origin in t.countries]
    chosen = named or [t for t in clvs.thresholds if t.countries is None]
    return tuple(sorted(chosen, key=lambda t: t.max_vfd))


def clvs_threshold(clvs: Clvs, origin: str, shipment_vfd: Decimal) -> ClvsThreshold | None:
    """The threshold a shipment of that VFD (C$) from that origin falls under: the lowest it does not exceed."""
    for threshold in clvs_thresholds_for(clvs, origin):
        if shipment_vfd <= threshold.max_vfd:
            return threshold
    return None


def remission_for_goods(
    reference: ReferenceData, special_authority: str | None, rule: SurtaxRule, classification: str
) -> SpecialAuthority | None:
    """The line's special authority if it remits this surtax order for these goods (its window aside)."""
    authority = reference.special_authorities.get(special_authority) if special_authority else None
    if (
        authority is not None
        and authority.relieves == SURTAX_RELIEF
        and (authority.remits_order is None or authority.remits_order == rule.order)
        and covers(authority.goods, classification)
    ):
        return authority
    return None


def surtax_remission(
    reference: ReferenceData, special_authority: str | None, rule: SurtaxRule, classification: str, released: date
) -> SpecialAuthority | None:
    """The special authority that remits this surtax for these goods on that release date, if the line has one."""
    authority = remission_for_goods(reference, special_authority, rule, classification)
    return authority if authority is not None and in_window(released, authority.start, authority.end) else None


def gst_exemption_for_goods(reference: ReferenceData, gst_exemption: str | None, classification: str) -> GstExemption | None:
    """The line's GST exemption code if it applies to the goods."""
    exemption = reference.gst_exemptions.get(gst_exemption) if gst_exemption else None
    return exemption if exemption is not None and covers(exemption.goods, classification) else None


def gst_authority_for_goods(
    reference: ReferenceData, special_authority: str | None, classification: str
) -> SpecialAuthority | None:
    """The line's special authority if it relieves GST (e.g. ``24-25-GSTTPS``) on these goods (its window aside)."""
    authority = reference.special_authorities.get(special_authority) if special_authority else None
    if authority is not None and authority.relieves == GST_RELIEF and covers(authority.goods, classification):
        return authority
    return None


def gst_relief(
    reference: ReferenceData,
    gst_exemption: str | None,
    special_authority: str | None,
    classification: str,
    released: date,
) -> GstExemption | SpecialAuthority | None:
    """What relieves the line of GST: a GST exemption code that applies to the goods, or a special authority
    relieving GST whose window holds the release date and whose goods list covers them."""
    exemption = gst_exemption_for_goods(reference, gst_exemption, classification)
    if exemption is not None:
        return exemption
    authority = gst_authority_for_goods(reference, special_authority, classification)
    return authority if authority is not None and in_window(released, authority.start, authority.end) else None
