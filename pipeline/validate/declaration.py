"""Checks of one declaration: A02 and the B codes of its header, its lines, their numbering and CLVS rules.

Every check runs and every error is reported, so that a service provider can fix a CAD in one round trip.
A check whose input is already reported broken is skipped rather than piling a second, derived finding on the
first (no tariff look-up on an invalid release date, no version check on an invalid transaction number, no
"not authorized" for an importer that is not registered at all).

Tenants are isolated: a transaction belongs to the importer of its first accepted version. A declaration that
names another importer is B23, and the ledger's history (B23, B04, B05, and DU at intake) is consulted only for
a sender shown entitled to the importer it names (no B01, B02, A01 or A02): nothing of another tenant's
transaction, not even that it exists, is told to a sender not authorized for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from pipeline.digits import ascii_int, is_ascii_digits
from pipeline.findings import Finding
from pipeline.identifiers import business_number, transaction_number
from pipeline.model import CANCELLATION, CHANGE, NUMBER_DIGITS, ORIGINAL, Declaration
from pipeline.reference.types import RATE_MAX_AGE_DAYS, ExchangeRates
from pipeline.validate.clvs import CLVS_TYPE, clvs_findings
from pipeline.validate.context import ValidationContext
from pipeline.validate.ledger_fit import LedgerFit
from pipeline.validate.lines import LineChecker
from pipeline.validate.lookups import ReferenceLookups
from pipeline.validate.values import shown

MAX_LINES = 999
MAX_VERSION = 99999
OFFICE_DIGITS = 4
_LINE_NUMBERS = tuple(str(n) for n in range(MAX_LINES + 1))  # "0" … "999": the expected texts, made once
# add(code, message, *fields): a header finding, placed at the first of ``fields`` the declaration locates.
_Add = Callable[..., None]
# After these nothing of the transaction's history is told: the sender is not shown entitled to it.
WITHHOLDING_CODES = frozenset({"B01", "B02", "A02", "B23"})
_DATES = (
    ("document_date", "document date"),
    ("release_date", "release date"),
    ("shipment_date", "direct shipment date"),
)


def _no_rate_message(rates: ExchangeRates, currency: str, shipment: date) -> str:
    """B14: the currency, the day and the latest rate there is (an old one means the rates were not fetched)."""
    latest = rates.latest_published(currency, shipment)
    return (f'no Bank of Canada "{currency}" rate for {shipment} or the {RATE_MAX_AGE_DAYS} days before it '
            f"({f'latest: {latest}' if latest else 'none published'})")


class DeclarationChecker:
    """Judges the declarations of one file, each on its own.

    It remembers which versions it has passed in this file, and whose transaction each is
    (``record_accepted``), so that a file carrying an original and then its change is sequenced and owned as the
    ledger will be once the file is posted in order.
    """

    def __init__(
        self, context: ValidationContext, lookups: ReferenceLookups, sender: str, sender_registered: bool
    ) -> None:
        self.context = context
        self.lookups = lookups
        self.sender = sender
        self.sender_registered = sender_registered
        self.lines = LineChecker(lookups)
        self.ledger_fit = LedgerFit(context.reference, MAX_LINES)
        self._accepted_in_file: dict[str, int] = {}
        self._owners_in_file: dict[str, str] = {}
        self._import_account_problems: dict[str | None, str | None] = {}  # a file names few importers

    def record_accepted(self, declaration: Declaration) -> None:
        number = declaration.transaction_number
        self._accepted_in_file[number] = declaration.version_number
        if self.context.history is not None and declaration.importer.id is not None:
            self._owners_in_file[number] = self._owner(number) or declaration.importer.id

    def check(self, declaration: Declaration) -> list[Finding]:
        reference = self.context.reference
        lookups = self.lookups
        message_reference = declaration.message_reference
        findings: list[Finding] = []

        def add(code: str, message: str, *fields: str) -> None:
            where = next((declaration.where[f] for f in fields if declaration.where.get(f)), declaration.location)
            findings.append(Finding(code, message, where, 0, message_reference))

        transaction_ok = self._check_transaction_number(declaration, add)
        version_ok = self._check_version_number(declaration, add)
        if transaction_ok and version_ok and self.context.history is not None:
            self._check_history(declaration, add, findings)
        if declaration.function in (CHANGE, CANCELLATION) and not (
            declaration.change_reason and declaration.change_reason.strip()
        ):
            kind = "change" if declaration.function == CHANGE else "cancellation"
            add("B22", f'{kind} (function "{declaration.function}") of transaction number '
                f'"{declaration.transaction_number}" has no change reason code', "change_reason", "function")

        dates = self._check_dates(declaration, add)
        release, shipment = dates["release_date"], dates["shipment_date"]

        if not is_ascii_digits(declaration.office, OFFICE_DIGITS):
            add("B07", f'office of release "{declaration.office}" is not 4 digits', "office")
        if declaration.export_country not in reference.countries:
            add("B08", f'country of export "{declaration.export_country}" is not an ISO 3166-1 alpha-2 country '
                "code", "export_country")

        findings.extend(self._check_parties(declaration))

        currency = declaration.currency
        minor_units = reference.currencies.get(currency)
        exchange_rate: Decimal | None = None
        if minor_units is None:
            add("B09", f'currency "{currency}" is not an ISO 4217 currency code', "currency")
        elif shipment is not None:
            rate = lookups.exchange_rate(currency, shipment)
            if rate is None:
                add("B14", _no_rate_message(reference.exchange_rates, currency, shipment), "currency",
                    "shipment_date")
            else:
                exchange_rate = rate.rate

        facts = self.lines.facts(release, currency, minor_units, message_reference)
        check_line = self.lines.check
        for line in declaration.lines:
            findings.extend(check_line(line, facts))

        self._check_line_numbering(declaration, add, findings)
        if declaration.cad_type == CLVS_TYPE:
            findings.extend(clvs_findings(declaration, exchange_rate, reference.clvs.shipment_limit))
        if not findings:  # only a declaration that is otherwise acceptable can be assessed and posted
            findings.extend(self.ledger_fit.findings(declaration))
        return findings

    # -- transaction number and version ---------------------------------------------------------------------

    @staticmethod
    def _check_transaction_number(declaration: Declaration, add: _Add) -> bool:
        number = declaration.transaction_number
        if is_ascii_digits(number, transaction_number.LENGTH) and transaction_number.calc_check_digit(number[:-1]) == (
            number[-1]
        ):
            return True  # the common case, without python-stdnum's character folding
        try:
            compact = transaction_number.validate(number)
        except InvalidChecksum:
            digits = transaction_number.compact(number)
            expected = transaction_number.calc_check_digit(digits[:13])
            add("B03", f'transaction number "{number}" ends in {digits[-1]}, but the check digit of '
                f"{digits[:13]} is {expected}", "transaction_number")
            return False
        except InvalidLength:
            add("B03", f"transaction number {shown(number)} has {len(number):,} digits, not 14", "transaction_number")
            return False
        except InvalidFormat:
            add("B03", f"transaction number {shown(number)} is not 14 digits", "transaction_number")
            return False
        if compact != number:
            add("B03", f"transaction number {shown(number)} must be sent as 14 digits 0-9 without spaces",
                "transaction_number")
            return False
        return True

    @staticmethod
    def _check_version_number(declaration: Declaration, add: _Add) -> bool:
        """B04 for a version that is no number from 1 to 99999, which needs no ledger to tell."""
        if 1 <= declaration.version_number <= MAX_VERSION:
            return True
        add("B04", f"version {shown(declaration.version)} is not a number from 1 to {MAX_VERSION}", "version")
        return False

    def _check_history(self, declaration: Declaration, add: _Add, findings: list[Finding]) -> None:
        """B23, then B04/B05: the declaration against what the ledger (and this file) accepted before it."""
        number, text, function = declaration.transaction_number, declaration.version, declaration.function
        version = declaration.version_number
        if function not in (ORIGINAL, CHANGE, CANCELLATION):
            return  # an unknown function is a syntax error the reader reports; there is no sequence to judge
        if not self._entitled_to(declaration.importer.id):
            return  # B01, B02, A01 or A02 says why; the history is not the sender's to hear about
        owner = self._owner(number)
        if owner is not None and owner != declaration.importer.id:
            # The sender is authorized for the importer it names (A02 is decided before), so naming the owner is
            # the only way through. The message names neither the owner nor anything the ledger holds.
            importer = declaration.importer
            where = importer.where.get("id") or importer.location or declaration.location
            if function == ORIGINAL:
                message = (f'transaction number "{number}" is another importer\'s transaction, not importer '
                           f'"{importer.id}"\'s; an original needs a new transaction number')
            else:
                kind = "change" if function == CHANGE else "cancellation"
                message = (f'{kind} of transaction number "{number}" names importer "{importer.id}", which is not '
                           "the importer of the transaction; only that importer's transaction can be changed")
            findings.append(Finding("B23", message, where, 0, declaration.message_reference))
            return
        if number in self._accepted_in_file:
            latest: int | None = self._accepted_in_file[number]
        else:
            latest = self.context.history.latest_accepted_version(number)
        if function == ORIGINAL:
            if version != 1:
                add("B04", f'an original (function "9") must be version 1, not version "{text}"', "version")
            elif latest is not None:
                add("B04", f'transaction number "{number}" already has accepted version {latest}; send a change '
                    f"(function 4) as version {latest + 1}", "version")
        elif latest is None:
            kind = "change" if function == CHANGE else "cancellation"
            add("B05", f'{kind} of transaction number "{number}", which has no accepted version',
                "transaction_number")
        elif version != latest + 1:
            add("B04", f'version "{text}" of transaction number "{number}" does not follow the latest accepted '
                f"version {latest}: expected version {latest + 1}", "version")

    # -- dates ----------------------------------------------------------------------------------------------

    def _check_dates(self, declaration: Declaration, add: _Add) -> dict[str, date | None]:
        as_of = self.context.as_of
        dates: dict[str, date | None] = {}
        for field, label in _DATES:
            text = getattr(declaration, field)
            parsed = dates[field] = self.lookups.date(text)
            if not text:
                add("B06", f"{label} is missing", field)
            elif parsed is None:
                add("B06", f'{label} "{text}" is not a valid date (YYYY-MM-DD)', field)
            elif parsed > as_of:
                add("B06", f'{label} "{text}" is in the future (today is {as_of})', field)
        release, document = dates["release_date"], dates["document_date"]
        if release is not None and document is not None and release > document:
            add("B06", f'release date "{declaration.release_date}" is after the document date '
                f'"{declaration.document_date}"', "release_date")
        return dates

    def _owner(self, number: str) -> str | None:
        """The importer whose transaction ``number`` is: that of its first accepted version (this file first)."""
        if number in self._owners_in_file:
            return self._owners_in_file[number]
        return self.context.history.owning_importer(number)

    def _entitled_to(self, importer: str | None) -> bool:
        """Whether the sender is shown to file for ``importer``: a valid import account it is authorized for.
        Without a registry only the account's form can be checked."""
        if self._import_account_problem(importer) is not None:
            return False
        registry = self.context.registry
        return registry is None or (
            self.sender_registered and importer in registry.importers and registry.is_authorized(self.sender, importer)
        )

    # -- importer, vendor -----------------------------------------------------------------------------------

    def _import_account_problem(self, ident: str | None) -> str | None:
        try:
            return self._import_account_problems[ident]
        except KeyError:
            problem = self._import_account_problems[ident] = _import_account_problem(ident)
            return problem

    def _check_parties(self, declaration: Declaration) -> list[Finding]:
        findings: list[Finding] = []
        message_reference = declaration.message_reference
        importer = declaration.importer
        where = importer.where.get("id") or importer.location or declaration.location
        problem = self._import_account_problem(importer.id)
        if problem is not None:
            findings.append(Finding("B01", problem, where, 0, message_reference))
        elif (registry := self.context.registry) is not None:
            if importer.id not in registry.importers:
                findings.append(Finding("B02", f'importer "{importer.id}" is not registered', where, 0,
                                        message_reference))
            elif self.sender_registered and not registry.is_authorized(self.sender, importer.id):
                findings.append(Finding("A02", f'sender "{self.sender}" is not authorized to file for importer '
                                        f'"{importer.id}"', where, 0, message_reference))

        vendor = declaration.vendor
        # The vendor's address, country included, is optional in the XML schema: judge the country when given.
        if vendor.country is not None and vendor.country not in self.context.reference.countries:
            where = vendor.where.get("country") or vendor.location or declaration.location
            findings.append(Finding(
                "B08", f'vendor country "{vendor.country}" is not an ISO 3166-1 alpha-2 country code', where, 0,
                message_reference,
            ))
        return findings

    # -- lines as a whole -----------------------------------------------------------------------------------

    @staticmethod
    def _check_line_numbering(declaration: Declaration, add: _Add, findings: list[Finding]) -> None:
        lines = declaration.lines
        count = len(lines)
        if count == 0:
            add("B20", "the declaration has no lines", "lines")
        elif count > MAX_LINES:
            add("B20", f"the declaration has {count} lines; at most {MAX_LINES} are allowed", "lines")
        for expected, line in enumerate(lines, start=1):
            number = line.number
            if expected < len(_LINE_NUMBERS) and number == _LINE_NUMBERS[expected]:
                continue
            if line.line_number != expected:
                # Only the first break: after a gap every later number is "wrong" too, which says nothing new.
                findings.append(Finding(
                    "B20", f"line number {shown(number)} where line {expected} was expected",
                    line.where.get("number") or line.location, line.line_number, declaration.message_reference,
                ))
                break
        declared = declaration.declared_line_count
        if declared is not None and ascii_int(declared, NUMBER_DIGITS) != count:
            add("B20", f"the line count {shown(declared)} does not match the {count} lines of the message",
                "declared_line_count")


def _import_account_problem(ident: str | None) -> str | None:
    """Why ``ident`` is not an RM import account written as a CAD must carry it, or None."""
    if not ident or not ident.strip():
        return "importer business number is missing"
    quoted = f'importer business number "{ident}"'
    try:
        compact = business_number.validate_import_account(ident)
    except InvalidChecksum:
        return f'{quoted} fails the check digit of its BN9 "{business_number.compact(ident)[:9]}"'
    except InvalidComponent:
        return f'{quoted} is not an {business_number.IMPORT_PROGRAM} (import/export) program account'
    except InvalidLength:
        if business_number.is_valid(ident):
            return f"{quoted} is a BN9; a CAD names the importer's {business_number.IMPORT_PROGRAM} account (BN15)"
        return f'{quoted} is not a BN15 (9 digits, "{business_number.IMPORT_PROGRAM}", 4 digits)'
    except InvalidFormat:
        return f'{quoted} is not a BN15 (9 digits, "{business_number.IMPORT_PROGRAM}", 4 digits)'
    if compact != ident:
        return f'{quoted} must be sent as 15 characters (9 digits 0-9, "RM", 4 digits) without spaces or hyphens'
    return None
