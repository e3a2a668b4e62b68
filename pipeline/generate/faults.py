"""One targeted fault per validation code: the mistakes real filers make, each made so that it draws exactly its
own code and nothing else.

Three kinds:
- *declaration* faults (A02, B01–B22, and the ledger's B04, B05) change one CAD of the model, which the writer
  then serializes faithfully; the other CADs of the file stay valid (spec/codes.md: they reject one CAD);
- *envelope* faults (A01, A03, and the ledger's S13) change who sends the file or its interchange reference;
- *byte* faults (S01–S12) break the serialized file itself, since a writer never writes a broken envelope.

B04, B05 and S13 need the ledger: only processing that knows what earlier files posted (intake) reports them.
They join the cycle only when asked for (``ledger=True``). B22 and B04 change a CAD that an earlier file of the
same sender carried, so that the change is judged against an accepted original in intake too.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from types import MappingProxyType

from pipeline.generate.declarations import DeclarationFactory, Filing
from pipeline.generate.goods import GoodsCatalogue
from pipeline.generate.world import World, new_import_account
from pipeline.model import Declaration, Line
from pipeline.reference.types import ReferenceData

FILE, DECLARATION = "file", "declaration"
EDIFACT, XML = "edifact", "xml"


@dataclass(frozen=True, slots=True)
class Fault:
    code: str
    variant: str
    scope: str  # FILE: the whole file carries it; DECLARATION: one CAD does
    syntax: str | None  # the syntax it can only be made in; None: either
    what: str
    ledger: bool = False  # reported only by processing that knows the ledger (intake)
    earlier: bool = False  # changes a CAD sent in an earlier file of the same sender

    @property
    def label(self) -> str:
        return f"{self.code}:{self.variant}"


FAULTS: tuple[Fault, ...] = (
    Fault("S01", "pdf", FILE, None, "a PDF dropped in the folder instead of a CAD"),
    Fault("S02", "una", FILE, EDIFACT, "UNA whose component and element separators are the same"),
    Fault("S03", "no-unz", FILE, EDIFACT, "the UNZ trailer is missing (file cut short)"),
    Fault("S04", "unt-count", FILE, EDIFACT, "UNT counts one segment too many"),
    Fault("S05", "unz-count", FILE, EDIFACT, "UNZ counts one message too many"),
    Fault("S06", "unz-reference", FILE, EDIFACT, "UNZ control reference differs from the UNB's"),
    Fault("S06", "unt-reference", FILE, EDIFACT, "UNT message reference differs from the UNH's"),
    Fault("S07", "d97a", FILE, EDIFACT, "a message declared as CUSDEC D.97A"),
    Fault("S08", "lower-case", FILE, EDIFACT, "a lower-case letter in a UNOA interchange"),
    Fault("S09", "truncated", FILE, XML, "XML cut short: the root element is never closed"),
    Fault("S10", "doctype", FILE, XML, "XML with a DOCTYPE declaring an entity"),
    Fault("S10", "schema", FILE, XML, "XML without the mandatory ReleaseLocation"),
    Fault("S11", "oversize", FILE, None, "a file padded past the size limit"),
    Fault("S12", "unknown-segment", FILE, EDIFACT, "a segment that CUSDEC does not have"),
    Fault("A01", "unregistered", FILE, None, "a file in the folder of a sender nobody registered"),
    Fault("A03", "other-sender", FILE, None, "the file names another registered sender than its folder"),
    Fault("A02", "not-authorized", DECLARATION, None, "a CAD for an importer the sender may not file for"),
    Fault("B01", "check-digit", DECLARATION, None, "importer BN15 with a wrong check digit"),
    Fault("B02", "unregistered", DECLARATION, None, "importer BN15 valid but not registered"),
    Fault("B03", "check-digit", DECLARATION, None, "transaction number with a wrong check digit"),
    Fault("B06", "release-after-document", DECLARATION, None, "release date after the document date"),
    Fault("B07", "three-digits", DECLARATION, None, "office of release with its leading zero lost"),
    Fault("B08", "UK", DECLARATION, None, 'country of export "UK" (ISO says GB)'),
    Fault("B09", "RMB", DECLARATION, None, 'invoice currency "RMB" (ISO says CNY)'),
    Fault("B10", "not-in-tariff", DECLARATION, None, "a classification the tariff does not have"),
    Fault("B11", "abbreviation", DECLARATION, None, "tariff treatment written as its abbreviation"),
    Fault("B12", "not-entitled", DECLARATION, None, "a preference the origin is not entitled to"),
    Fault("B13", "unit", DECLARATION, None, "quantity in a unit that cannot be the tariff's"),
    Fault("B14", "no-rate", DECLARATION, None, "an invoice currency the Bank of Canada does not publish"),
    Fault("B15", "decimals", DECLARATION, None, "a value with more decimals than its currency has"),
    Fault("B16", "unknown", DECLARATION, None, "an unknown special authority code"),
    Fault("B17", "unknown", DECLARATION, None, "an unknown GST exemption code"),
    Fault("B18", "unknown", DECLARATION, None, "an unknown excise code"),
    Fault("B19", "unknown", DECLARATION, None, "an unknown SIMA code"),
    Fault("B20", "gap", DECLARATION, None, "line numbers with a gap"),
    Fault("B21", "no-ccn", DECLARATION, None, "a CLVS line without its cargo control number"),
    Fault("B22", "no-reason", DECLARATION, None, "a change without a change reason", earlier=True),
    Fault("S13", "reused-reference", FILE, None, "an interchange reference re-sent with other content",
          ledger=True),
    Fault("B04", "skipped-version", DECLARATION, None, "version 3 of a CAD whose latest version is 1",
          ledger=True, earlier=True),
    Fault("B05", "unknown-original", DECLARATION, None, "a change of a transaction number never accepted",
          ledger=True),
)
OPTIONAL = frozenset({"S11"})  # costs a file past the size limit: only when a limit is given


def catalogue(*, ledger: bool = False, oversize: bool = False) -> tuple[Fault, ...]:
    """The faults a batch may cycle through."""
    return tuple(
        f for f in FAULTS if (ledger or not f.ledger) and (oversize or f.code not in OPTIONAL)
    )


def fault_codes(*, ledger: bool = False, oversize: bool = False) -> tuple[str, ...]:
    """The distinct codes ``catalogue`` covers, in catalogue order."""
    return tuple(dict.fromkeys(f.code for f in catalogue(ledger=ledger, oversize=oversize)))


# ============================================================================================ declaration faults


@dataclass(frozen=True, slots=True)
class FaultContext:
    rng: random.Random
    reference: ReferenceData
    world: World
    catalogue: GoodsCatalogue
    factory: DeclarationFactory
    filing: Filing
    original: Declaration | None = None  # for faults that change an earlier CAD


def _release(declaration: Declaration) -> date:
    return date.fromisoformat(declaration.release_date)


def _with_line(declaration: Declaration, index: int, line: Line) -> Declaration:
    lines = list(declaration.lines)
    lines[index] = line
    return replace(declaration, lines=tuple(lines))


def _unknown(candidates: tuple[str, ...], known) -> str:  # noqa: ANN001 - any container
    return next(code for code in candidates if code not in known)


def _not_authorized(d: Declaration, ctx: FaultContext) -> Declaration | None:
    bn15 = ctx.world.unauthorized_importer(ctx.filing.provider.id, ctx.rng)
    return None if bn15 is None else replace(d, importer=ctx.factory.importer_party(bn15))


def _bad_bn_check_digit(d: Declaration, ctx: FaultContext) -> Declaration:
    bn15 = d.importer.id or ""
    wrong = str((int(bn15[8]) + 1 + ctx.rng.randint(0, 8)) % 10)  # any other digit: Luhn catches them all
    return replace(d, importer=replace(d.importer, id=bn15[:8] + wrong + bn15[9:]))


def _unregistered_importer(d: Declaration, ctx: FaultContext) -> Declaration:
    taken = {bn15[:9] for bn15 in ctx.world.registry.importers} | set(ctx.world.registry.brokers)
    return replace(d, importer=replace(d.importer, id=new_import_account(ctx.rng, taken)))


def _bad_transaction_check_digit(d: Declaration, ctx: FaultContext) -> Declaration:
    number = d.transaction_number
    wrong = str((int(number[-1]) + ctx.rng.randint(1, 9)) % 10)
    return replace(d, transaction_number=number[:-1] + wrong)


def _release_after_document(d: Declaration, ctx: FaultContext) -> Declaration:
    return replace(d, document_date=(_release(d) - timedelta(days=1)).isoformat())


def _office_without_zero(d: Declaration, ctx: FaultContext) -> Declaration:
    return replace(d, office=str(int(d.office)) if d.office.startswith("0") else d.office[:3])


def _country_uk(d: Declaration, ctx: FaultContext) -> Declaration:
    return replace(d, export_country=_unknown(("UK", "XX", "ZZ"), ctx.reference.countries))


def _currency_rmb(d: Declaration, ctx: FaultContext) -> Declaration:
    return replace(d, currency=_unknown(("RMB", "XYZ", "ZZZ"), ctx.reference.currencies))


def _not_in_tariff(d: Declaration, ctx: FaultContext) -> Declaration:
    line = d.lines[0]
    c = line.classification
    release = _release(d)
    candidates = (c[:6] + "9999", c[:4] + "999999", c[:2] + "99999999", "9999999999", "0000000000")
    bad = next(x for x in candidates if ctx.reference.tariff.lookup(x, release) is None)
    return _with_line(d, 0, _plain(replace(line, classification=bad)))


def _plain(line: Line) -> Line:
    """The line without codes whose goods or unit a fault would make wrong (they would draw a second code)."""
    return replace(line, special_authority=None, gst_exemption=None, excise_code=None, sima=None, filer_amounts=())


def _treatment_abbreviation(d: Declaration, ctx: FaultContext) -> Declaration:
    line = d.lines[0]
    treatment = ctx.reference.treatments.get(line.treatment)
    written = treatment.abbreviation if treatment is not None else "MFN"
    return _with_line(d, 0, replace(line, treatment=_unknown((written, "MFN", "99"), ctx.reference.treatments)))


def _not_entitled(d: Declaration, ctx: FaultContext) -> Declaration | None:
    reference, release = ctx.reference, _release(d)
    for index, line in enumerate(d.lines):
        item = reference.tariff.lookup(line.classification, release)
        if item is None:
            continue
        for code in sorted(item.rates, key=lambda c: int(c) if c.isdigit() else 0):
            treatment = reference.treatments.get(code)
            rate = item.rates[code]
            if treatment is None or treatment.entitled is None or treatment.is_entitled(line.origin, release):
                continue
            if rate.specific_unit and reference.units.factor(line.unit, rate.specific_unit) is None:
                continue
            return _with_line(d, index, replace(line, treatment=code, filer_amounts=()))
    return None


def _wrong_unit(d: Declaration, ctx: FaultContext) -> Declaration:
    reference, release = ctx.reference, _release(d)
    units = reference.units
    for index, line in enumerate(d.lines):
        item = reference.tariff.lookup(line.classification, release)
        if item is None or item.unit is None:
            continue
        for unit in ("MTK", "LTR", "KGM", "NMB", "MTR", "PAR"):
            if units.canonical(unit) is not None and units.factor(unit, item.unit) is None:
                return _with_line(d, index, _plain(replace(line, unit=unit)))
    return _with_line(d, 0, replace(d.lines[0], quantity="0"))  # no tariff unit on any line: no quantity


def _currency_without_rate(d: Declaration, ctx: FaultContext) -> Declaration | None:
    reference = ctx.reference
    shipment = date.fromisoformat(d.shipment_date)
    written = max(len(line.value.partition(".")[2]) for line in d.lines)
    preferred = ("THB", "MYR", "VND")
    for currency in preferred + tuple(sorted(set(reference.currencies) - set(preferred))):
        minor = reference.currencies.get(currency)
        if minor is not None and minor >= written and reference.exchange_rates.rate_for(currency, shipment) is None:
            return replace(d, currency=currency)
    return None


def _too_many_decimals(d: Declaration, ctx: FaultContext) -> Declaration:
    line = d.lines[0]
    value = line.value + ("5" if "." in line.value else ".5")
    return _with_line(d, 0, replace(line, value=value, filer_amounts=()))


def _unknown_code(field: str, candidates: tuple[str, ...], table: Callable[[ReferenceData], object]):
    def mutate(d: Declaration, ctx: FaultContext) -> Declaration:
        code = _unknown(candidates, table(ctx.reference))
        return _with_line(d, 0, replace(d.lines[0], **{field: code}))

    return mutate


def _line_gap(d: Declaration, ctx: FaultContext) -> Declaration:
    last = d.lines[-1]
    return _with_line(d, len(d.lines) - 1, replace(last, number=str(int(last.number) + 1)))


def _clvs_without_ccn(d: Declaration, ctx: FaultContext) -> Declaration:
    clvs = d if d.cad_type == "C" else ctx.factory.build(ctx.rng, ctx.filing, clvs=True)
    clvs = replace(clvs, transaction_number=d.transaction_number, message_reference=d.message_reference)
    return _with_line(clvs, len(clvs.lines) - 1, replace(clvs.lines[-1], cargo_control=None))


def _change_without_reason(d: Declaration, ctx: FaultContext) -> Declaration | None:
    if ctx.original is None:
        return None
    return _amend(ctx, version=2, reason=None, like=d)


def _skipped_version(d: Declaration, ctx: FaultContext) -> Declaration | None:
    if ctx.original is None:
        return None
    return _amend(ctx, version=3, reason=ctx.factory.change_reason(ctx.rng), like=d)


def _amend(ctx: FaultContext, *, version: int, reason: str | None, like: Declaration) -> Declaration:
    assert ctx.original is not None
    amended = ctx.factory.amendment(ctx.rng, ctx.original, version=version, reason=reason,
                                    business_date=ctx.filing.business_date)
    return replace(amended, message_reference=like.message_reference)


def _change_of_unknown(d: Declaration, ctx: FaultContext) -> Declaration:
    # The number is fresh: nothing was ever accepted under it.
    return replace(d, function="4", version="2", change_reason=ctx.factory.change_reason(ctx.rng))


DECLARATION_MUTATIONS: Mapping[str, Callable[[Declaration, FaultContext], Declaration | None]] = MappingProxyType({
    "A02": _not_authorized,
    "B01": _bad_bn_check_digit,
    "B02": _unregistered_importer,
    "B03": _bad_transaction_check_digit,
    "B06": _release_after_document,
    "B07": _office_without_zero,
    "B08": _country_uk,
    "B09": _currency_rmb,
    "B10": _not_in_tariff,
    "B11": _treatment_abbreviation,
    "B12": _not_entitled,
    "B13": _wrong_unit,
    "B14": _currency_without_rate,
    "B15": _too_many_decimals,
    "B16": _unknown_code("special_authority", ("24-25-GSTTP", "25-26-GSTTPS", "ZZ-UNKNOWN"),
                         lambda r: r.special_authorities),
    "B17": _unknown_code("gst_exemption", ("G99", "GX9", "ZZ-UNKNOWN"), lambda r: r.gst_exemptions),
    "B18": _unknown_code("excise_code", ("EX99", "XX9", "ZZ-UNKNOWN"), lambda r: r.excise),
    "B19": _unknown_code("sima", ("SIMA99", "AD-0000", "ZZ-UNKNOWN"), lambda r: r.sima),
    "B20": _line_gap,
    "B21": _clvs_without_ccn,
    "B22": _change_without_reason,
    "B04": _skipped_version,
    "B05": _change_of_unknown,
})


def mutate_declaration(fault: Fault, declaration: Declaration, ctx: FaultContext) -> Declaration | None:
    """The CAD with the fault, or None when this CAD cannot carry it (try another)."""
    return DECLARATION_MUTATIONS[fault.code](declaration, ctx)


# ============================================================================================ byte faults

# One EDIFACT segment with the default service characters ('?' releases the byte after it).
_SEGMENT = re.compile(rb"(?:[^'?]|\?.)*'", re.DOTALL)
_DEFAULT_UNA = b"UNA:+.? '"


def _segments(data: bytes) -> tuple[list[bytes], bytes]:
    """The segments (whitespace between them dropped) and the separator the file puts between them."""
    separator = b"\n" if b"'\n" in data else b""
    return [match.group().strip() for match in _SEGMENT.finditer(data)], separator


def _join(segments: list[bytes], separator: bytes) -> bytes:
    return separator.join(segments) + separator


def _first(segments: list[bytes], tag: bytes) -> int:
    return next(i for i, s in enumerate(segments) if s.startswith(tag + b"+"))


def _set_element(segment: bytes, position: int, value: bytes) -> bytes:
    """A service segment (no released characters in it) with data element ``position`` replaced."""
    elements = segment[:-1].split(b"+")
    elements[position] = value
    return b"+".join(elements) + b"'"


def _element(segment: bytes, position: int) -> bytes:
    return segment[:-1].split(b"+")[position]


def _pdf(data: bytes, rng: random.Random) -> bytes:
    while True:
        body = rng.randbytes(max(len(data) // 2, 512))
        garbage = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nstream\n" + body
        head = garbage[:4096]
        if b"UNA" not in head and b"UNB" not in head:
            return garbage


def _bad_una(data: bytes, rng: random.Random) -> bytes:
    if not data.startswith(_DEFAULT_UNA):
        raise ValueError("the S02 fault needs a file written with the default UNA")
    return b"UNA++.? '" + data[len(_DEFAULT_UNA):]


def _without_unz(data: bytes, rng: random.Random) -> bytes:
    segments, separator = _segments(data)
    del segments[_first(segments, b"UNZ")]
    return _join(segments, separator)


def _recount(tag: bytes, position: int, delta: int):
    def mutate(data: bytes, rng: random.Random) -> bytes:
        segments, separator = _segments(data)
        at = _first(segments, tag)
        count = int(_element(segments[at], position))
        segments[at] = _set_element(segments[at], position, str(count + delta).encode())
        return _join(segments, separator)

    return mutate


def _other_reference(tag: bytes, position: int):
    def mutate(data: bytes, rng: random.Random) -> bytes:
        segments, separator = _segments(data)
        at = _first(segments, tag)
        reference = _element(segments[at], position)
        segments[at] = _set_element(segments[at], position, reference + b"X")
        return _join(segments, separator)

    return mutate


def _d97a(data: bytes, rng: random.Random) -> bytes:
    segments, separator = _segments(data)
    at = _first(segments, b"UNH")
    segments[at] = segments[at].replace(b"CUSDEC:D:96B:UN", b"CUSDEC:D:97A:UN")
    return _join(segments, separator)


def _lower_case(data: bytes, rng: random.Random) -> bytes:
    if b"+UNOA:" not in data[:200]:
        raise ValueError("the S08 fault needs a UNOA interchange")
    segments, separator = _segments(data)
    at = _first(segments, b"NAD+SE")
    vendor = segments[at]
    start = len(b"NAD+SE+++")
    letter = next(i for i in range(start, len(vendor)) if 65 <= vendor[i] <= 90)
    segments[at] = vendor[:letter] + bytes([vendor[letter] + 32]) + vendor[letter + 1:]
    return _join(segments, separator)


def _unknown_segment(data: bytes, rng: random.Random) -> bytes:
    segments, separator = _segments(data)
    at = _first(segments, b"BGM")
    segments.insert(at + 1, b"ZZZ+1'")
    unt = _first(segments, b"UNT")
    segments[unt] = _set_element(segments[unt], 1, str(int(_element(segments[unt], 1)) + 1).encode())
    return _join(segments, separator)


def _truncated(data: bytes, rng: random.Random) -> bytes:
    end = data.rindex(b"</DocumentMetaData>")
    return data[:end]


def _doctype(data: bytes, rng: random.Random) -> bytes:
    declaration_end = data.index(b"?>") + 2
    doctype = b'\n<!DOCTYPE DocumentMetaData [\n  <!ENTITY vendor "Acme">\n]>'
    return data[:declaration_end] + doctype + data[declaration_end:]


def _schema_invalid(data: bytes, rng: random.Random) -> bytes:
    return re.sub(rb"\s*<ReleaseLocation>.*?</ReleaseLocation>", b"", data, count=1, flags=re.DOTALL)


BYTE_MUTATIONS: Mapping[str, Callable[[bytes, random.Random], bytes]] = MappingProxyType({
    "S01:pdf": _pdf,
    "S02:una": _bad_una,
    "S03:no-unz": _without_unz,
    "S04:unt-count": _recount(b"UNT", 1, +1),
    "S05:unz-count": _recount(b"UNZ", 1, +1),
    "S06:unz-reference": _other_reference(b"UNZ", 2),
    "S06:unt-reference": _other_reference(b"UNT", 2),
    "S07:d97a": _d97a,
    "S08:lower-case": _lower_case,
    "S09:truncated": _truncated,
    "S10:doctype": _doctype,
    "S10:schema": _schema_invalid,
    "S12:unknown-segment": _unknown_segment,
})


def mutate_bytes(fault: Fault, data: bytes, rng: random.Random, *, max_file_bytes: int | None = None) -> bytes:
    """The serialized file with a byte fault (S codes); other faults leave the bytes alone."""
    if fault.code == "S11":
        if max_file_bytes is None:
            raise ValueError("the S11 fault needs the size limit it is to exceed")
        # Whitespace after the last segment (EDIFACT) or after the root element (XML) is ignored by readers:
        # the only thing wrong with the file is its size.
        return data + b"\n" * max(max_file_bytes + 1 - len(data), 0)
    mutation = BYTE_MUTATIONS.get(fault.label)
    return data if mutation is None else mutation(data, rng)
