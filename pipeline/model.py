"""The canonical model of a CAD submission, shared by both syntaxes.

Readers (``pipeline.parsers``) fill it; validation, assessment and the writers read it. It is deliberately a
model of what was *sent*, not of what is valid: every value is kept as the text the sender wrote, normalised only
in syntax (ISO ``YYYY-MM-DD`` dates where the text was a well-formed date, ``.`` as decimal mark), so that
validation can name the offending value exactly as the sender will recognise it.

Every record keeps where it came from: ``location`` is the record's own place, ``where`` maps each field name to
the place of the value. A place is ``"<segment tag>#<segment position in the message>"`` for EDIFACT (UNH is
position 1) and an XPath with positional predicates for XML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pipeline.digits import ascii_int

EMPTY: Mapping[str, str] = MappingProxyType({})

# Charge types a filer may declare per line (TAX segments / DutyTaxFee), and the totals an answer carries.
FILER_CHARGE_TYPES = ("CUD", "SUR", "ADD", "EXD", "EXT", "GST")
ANSWER_CHARGE_TYPES = ("CUD", "SUR", "ADD", "EXD", "EXT", "VFT", "GST", "TOT")
# Message function of a CAD version (BGM 1225 / FunctionCode): an original, a change or a cancellation.
ORIGINAL, CHANGE, CANCELLATION = "9", "4", "1"
# Line and version numbers are read as ints only up to 9 digits: any int64, and the ledger's INTEGER columns,
# hold them; a longer text is no line or version a CAD can have (999 lines, 99999 versions).
NUMBER_DIGITS = 9


@dataclass(frozen=True, slots=True)
class FilerAmount:
    """An amount the filer computed for one charge type of a line (optional; compared, never trusted)."""

    charge_type: str
    amount: str
    location: str
    currency: str | None = None  # XML carries currencyID; EDIFACT amounts are always CAD


@dataclass(frozen=True, slots=True)
class Party:
    """Importer, customs broker or vendor. ``id`` is a BN15/BN9 where the role has one."""

    role: str  # "IM" importer, "CB" customs broker, "SE" seller (vendor)
    name: str
    id: str | None = None
    street: str | None = None
    city: str | None = None
    postcode: str | None = None
    country: str | None = None
    location: str = ""
    where: Mapping[str, str] = field(default_factory=lambda: EMPTY)


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a CAD: one tariff classification."""

    number: str
    classification: str
    treatment: str
    description: str
    origin: str
    unit: str
    quantity: str
    value: str
    gross_weight: str | None = None
    gross_weight_unit: str | None = None
    value_currency: str | None = None  # XML ChargeAmount@currencyID; EDIFACT: the CUX currency applies
    cargo_control: str | None = None
    special_authority: str | None = None
    gst_exemption: str | None = None
    excise_code: str | None = None  # one code per line; the reference table says excise duty or excise tax
    sima: str | None = None
    filer_amounts: tuple[FilerAmount, ...] = ()
    location: str = ""
    where: Mapping[str, str] = field(default_factory=lambda: EMPTY)

    @property
    def line_number(self) -> int:
        """The line number as an int, 0 when the sender's text is not 0-9 digits (at most ``NUMBER_DIGITS``)."""
        return ascii_int(self.number, NUMBER_DIGITS) or 0


@dataclass(frozen=True, slots=True)
class Declaration:
    """One CAD version: a CUSDEC message or an XML ``Declaration``."""

    function: str  # "9" original, "4" change, "1" cancellation
    transaction_number: str
    version: str
    cad_type: str  # "AB" regular, "C" courier low-value shipment
    document_date: str
    release_date: str
    shipment_date: str
    office: str
    export_country: str
    importer: Party
    vendor: Party
    transport_mode: str
    currency: str
    lines: tuple[Line, ...]
    broker: Party | None = None
    cargo_control: str | None = None
    invoice_number: str | None = None
    change_reason: str | None = None
    declared_line_count: str | None = None  # EDIFACT CNT+5; None for XML, which has no count
    message_reference: str | None = None  # EDIFACT UNH reference; XML: the declaration's 1-based index
    location: str = ""
    where: Mapping[str, str] = field(default_factory=lambda: EMPTY)

    @property
    def version_number(self) -> int:
        """The version as an int, 0 when the sender's text is not 0-9 digits (at most ``NUMBER_DIGITS``)."""
        return ascii_int(self.version, NUMBER_DIGITS) or 0


@dataclass(frozen=True, slots=True)
class Interchange:
    """One submitted file: an EDIFACT interchange (UNB…UNZ) or an XML ``DocumentMetaData``."""

    syntax: str  # "edifact" | "xml"
    sender: str
    control_reference: str
    declarations: tuple[Declaration, ...]
    recipient: str | None = None
    prepared_at: str | None = None  # UNB date/time as sent
    charset: str | None = None  # UNOA/UNOB/UNOC/UNOY; "UTF-8" for XML
    decimal_mark: str = "."
    location: str = ""
    where: Mapping[str, str] = field(default_factory=lambda: EMPTY)
