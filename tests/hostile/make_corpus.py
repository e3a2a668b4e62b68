"""Write the hostile corpus (issue 12): files an attacker would send, each built by mutating a real valid fixture.

Run ``python tests/hostile/make_corpus.py`` from the repository root: it rewrites ``tests/hostile/corpus/`` and
``tests/hostile/manifest.csv`` byte for byte the same on every run. Files too big to commit (``committed`` = no
in the manifest) are built by the same code when a test asks for them (``case_bytes``).

The bases are the first message of ``fixtures/edifact/clean_two_messages.edi`` and ``fixtures/xml/spec-example.xml``
less its optional item codes: both validate clean against ``registry.json`` on 2025-05-06. Each case gets its
own interchange control reference and transaction number before it is mutated, so that in one intake run every
file is judged on its own (no S13, no DU between corpus files).

Manifest columns:

- ``file``: path under ``corpus/``; ``family``: the attack family of issue 12; ``what``: the attack in words;
- ``sender``: the sender folder the file is dropped in; ``inbound_name``: the name it is dropped under
  (JSON string, for the file-name family; empty: the committed file's own name);
- ``validate``: what ``carm validate --json`` must say: ``accepted``, ``rejected-file:S03|S12`` (the file is
  rejected and one of these codes is among its errors) or ``rejected-declaration:B15`` (a declaration is
  rejected with that code, the file is not). ``|`` lists the codes the spec leaves room for;
- ``intake``: how ``carm intake`` must end the file: ``answered``, ``quarantined`` or ``answered|quarantined``
  (the spec leaves the choice to the project, but the file must end in one of them, never pending or failed);
- ``committed``: ``yes`` when the file is in the repository, ``no`` when it is built at test time.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS = HERE / "corpus"
MANIFEST = HERE / "manifest.csv"
REGISTRY = HERE / "registry.json"
FIXTURES = ROOT / "fixtures"

SENDER = "SP00042"  # the victim and the sender of every other file
ATTACKER = "SP00666"
IMPORTER = "123456782RM0001"
ATTACKER_IMPORTER = "100000009RM0001"
BUSINESS_DATE = "2025-05-06"
BASE_REFERENCE = "ICR000017"
BASE_TRANSACTION = "10207000002945"
COLUMNS = ("file", "family", "what", "sender", "inbound_name", "validate", "intake", "committed")


@dataclass(frozen=True)
class Case:
    file: str  # under corpus/: <family>/<name>
    family: str
    what: str
    build: Callable[[], bytes]
    validate: str
    intake: str = "answered"
    sender: str = SENDER
    inbound_name: str = ""
    committed: bool = True

    @property
    def inbound_key(self) -> str:
        """Where the file is dropped in the inbound bucket: unique across the corpus."""
        return f"{self.sender}/{self.inbound_name or self.file.replace('/', '-')}"

    def row(self) -> dict[str, str]:
        return {"file": self.file, "family": self.family, "what": self.what, "sender": self.sender,
                "inbound_name": json.dumps(self.inbound_name, ensure_ascii=True) if self.inbound_name else "",
                "validate": self.validate, "intake": self.intake, "committed": "yes" if self.committed else "no"}


# --- bases ------------------------------------------------------------------------------------------------------

def transaction_number(sequence: int) -> str:
    """A valid transaction number (spec/identifiers.md) of account security number 10207, like the fixtures'."""
    from pipeline.identifiers import transaction_number as checker

    digits = f"10208{sequence:08d}"
    return digits + checker.calc_check_digit(digits)


def base_edifact() -> str:
    """The first message of the clean two-message fixture, as a one-message interchange."""
    text = (FIXTURES / "edifact" / "clean_two_messages.edi").read_text("ascii")
    head, _, _ = text.partition("UNH+2+")
    return head + f"UNZ+1+{BASE_REFERENCE}'\n"


def base_xml() -> str:
    """The spec's example less the optional item codes it shows together (they do not apply to tricycles)."""
    text = (FIXTURES / "xml" / "spec-example.xml").read_text("utf-8")
    for tag in ("SpecialAuthorityCode", "GSTExemptionCode", "ExciseTaxCode", "SIMACode"):
        text = re.sub(rf"\s*<{tag}>[^<]*</{tag}>", "", text)
    return re.sub(r"\s*<DutyTaxFee>.*?</DutyTaxFee>", "", text, flags=re.S)


class Numbering:
    """Hands each case its own control reference and transaction number, in corpus order."""

    def __init__(self) -> None:
        self.next = 1

    def take(self) -> tuple[str, str]:
        sequence, self.next = self.next, self.next + 1
        return f"HOSTILE{sequence:05d}", transaction_number(sequence)


NUMBERING = Numbering()


def own(text: str) -> str:
    reference, number = NUMBERING.take()
    return text.replace(BASE_REFERENCE, reference).replace(BASE_TRANSACTION, number)


def mutated(base: Callable[[], str], mutate: Callable[[str], str], encoding: str) -> Callable[[], bytes]:
    """A builder of ``base`` with its own numbers, mutated as text, then encoded."""
    text = own(base())
    return lambda: mutate(text).encode(encoding)


def edi(mutate: Callable[[str], str] = lambda t: t, *, encoding: str = "latin-1") -> Callable[[], bytes]:
    return mutated(base_edifact, mutate, encoding)


def xml(mutate: Callable[[str], str] = lambda t: t, *, encoding: str = "utf-8") -> Callable[[], bytes]:
    return mutated(base_xml, mutate, encoding)


def edi_bytes(mutate: Callable[[bytes], bytes]) -> Callable[[], bytes]:
    """A builder of the EDIFACT base with its own numbers, mutated as bytes."""
    return mutated(base_edifact, lambda t: mutate(t.encode("ascii")).decode("latin-1"), "latin-1")


def xml_bytes(mutate: Callable[[bytes], bytes]) -> Callable[[], bytes]:
    return mutated(base_xml, lambda t: mutate(t.encode("utf-8")).decode("latin-1"), "latin-1")


def constant(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def sub(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        if old not in text:
            raise ValueError(f"{old!r} is not in the base")
        return text.replace(old, new, count)

    return mutate


def segment(tag_prefix: str, new: str) -> Callable[[str], str]:
    """Replace the whole segment that starts with ``tag_prefix`` (up to its terminator)."""

    def mutate(text: str) -> str:
        start = text.index(tag_prefix)
        end = text.index("'", start)
        return text[:start] + new + text[end:]

    return mutate


def between(start_tag: str, end_tag: str, new: str) -> Callable[[str], str]:
    """Replace the text of an XML element (its first occurrence)."""
    return lambda text: re.sub(rf"(<{start_tag}[^>]*>)[^<]*(</{end_tag}>)", lambda m: m.group(1) + new + m.group(2),
                               text, count=1)


# --- EDIFACT families -----------------------------------------------------------------------------------------

REJECT_TRAILING = "rejected-file:S03|S12"  # decisions.md: anything after UNZ is one S03
# White space after the last terminator: ignored like CR LF, or "anything after UNZ" (S03); never a hang.
TRAILING_BLANKS = "accepted|rejected-file:S03|S12"


def edifact_cases() -> Iterator[Case]:
    f = "edi-trailing"
    for n in (1, 2, 16, 500, 2000, 4000):
        yield Case(f"{f}/spaces-{n}.edi", f, f"{n} spaces after the last segment terminator", edi(lambda t, n=n: t + " " * n),
                   TRAILING_BLANKS)
    yield Case(f"{f}/crlf.edi", f, "CR LF after every terminator (ignored by the spec)",
               edi(lambda t: t.replace("'\n", "'\r\n") + "\r\n\r\n"), "accepted")
    yield Case(f"{f}/text.edi", f, "a word after UNZ", edi(lambda t: t + "GARBAGE"), REJECT_TRAILING)
    yield Case(f"{f}/second-unz.edi", f, "a second UNZ after UNZ", edi(lambda t: t + "UNZ+1+X'"), REJECT_TRAILING)
    yield Case(f"{f}/tabs-1000.edi", f, "1,000 tabs after UNZ", edi(lambda t: t + "\t" * 1000), TRAILING_BLANKS)
    yield Case(f"{f}/text-40k.edi", f, "40 KB of text after UNZ", edi(lambda t: t + "A" * 40_000), REJECT_TRAILING)
    yield Case(f"{f}/spaces-and-terminators.edi", f, "2,000 spaces then a terminator, repeated 20 times",
               edi(lambda t: t + (" " * 2000 + "'") * 20), "rejected-file:S03|S12")

    f = "edi-unterminated"
    yield Case(f"{f}/no-final-terminator.edi", f, "UNZ without its terminator",
               edi(lambda t: t.rstrip("\n").rstrip("'")), "rejected-file:S03|S12")
    for n in (1_000, 10_000, 40_000):
        yield Case(f"{f}/after-unz-{n}.edi", f, f"{n:,} characters of unterminated text after UNZ",
                   edi(lambda t, n=n: t + "FTX+AAA+++" + "x" * n), REJECT_TRAILING)
        yield Case(f"{f}/mid-message-{n}.edi", f, f"a description of {n:,} characters that never ends",
                   edi(lambda t, n=n: t[:t.index("FTX+AAA+++")] + "FTX+AAA+++" + "y" * n),
                   "rejected-file:S03|S12|S04")
    yield Case(f"{f}/unb-only-40k.edi", f, "UNB then 40 KB without a terminator",
               lambda: b"UNB+UNOC:3+SP00042:ZZ+CBSACARM:ZZ+261126:0930+" + b"R" * 40_000, "rejected-file:S03|S12")
    yield Case(f"{f}/release-at-end.edi", f, "the last terminator released by '?'",
               edi(lambda t: t.rstrip("\n")[:-1] + "?'"), "rejected-file:S03|S12")

    f = "edi-release"
    for n in (1, 10, 1_000, 5_000):
        yield Case(f"{f}/escaped-pairs-{n}.edi", f, f"a description of {n:,} escaped release characters",
                   edi(lambda t, n=n: t.replace("Tricycles", "??" * n)), "accepted" if n < 100 else
                   "accepted|rejected-declaration:S12")
    for n in (1, 999, 4_999):
        yield Case(f"{f}/odd-run-{n}-before-separator.edi", f, f"{n:,} release characters before '+'",
                   edi(lambda t, n=n: t.replace("FTX+AAA+++Tricycles", "FTX+AAA+" + "?" * n + "++Tricycles")),
                   "accepted|rejected-file:S12")
        yield Case(f"{f}/odd-run-{n}-before-terminator.edi", f, f"{n:,} release characters before a terminator",
                   edi(lambda t, n=n: t.replace("Tricycles'", "Tricycles" + "?" * n + "'")),
                   "rejected-file:S03|S04|S12")
    yield Case(f"{f}/release-every-char.edi", f, "every character of the description released",
               edi(lambda t: t.replace("Tricycles", "".join("?" + c for c in "Tricycles"))),
               "accepted|rejected-file:S12")
    yield Case(f"{f}/release-at-eof.edi", f, "a lone release character at the end of the file",
               edi(lambda t: t + "?"), REJECT_TRAILING)
    yield Case(f"{f}/released-terminators-40k.edi", f, "20,000 released terminators in a description",
               edi(lambda t: t.replace("Tricycles", "?'" * 20_000)), "accepted|rejected-declaration:S12|rejected-file:S12")

    f = "edi-giant"
    for n in (10_000, 100_000):
        yield Case(f"{f}/description-{n}.edi", f, f"a description of {n:,} characters",
                   edi(lambda t, n=n: t.replace("Tricycles", "T" * n)), "accepted|rejected-file:S12")
    yield Case(f"{f}/description-2mb.edi", f, "a description of 2 MB", edi(lambda t: t.replace("Tricycles", "T" * 2_000_000)),
               "accepted|rejected-file:S12", committed=False)
    yield Case(f"{f}/elements-100k.edi", f, "an FTX segment of 100,000 elements",
               edi(lambda t: t.replace("FTX+AAA+++Tricycles", "FTX+AAA+++Tricycles" + "+" * 100_000)), "rejected-file:S12")
    yield Case(f"{f}/components-100k.edi", f, "a classification of 100,000 components",
               edi(lambda t: t.replace("9503001010:108:ZZZ", "9503001010:108:ZZZ" + ":" * 100_000)), "rejected-file:S12")
    yield Case(f"{f}/repeated-ftx-10k.edi", f, "the FTX segment repeated 10,000 times",
               edi(lambda t: t.replace("FTX+AAA+++Tricycles'\n", "FTX+AAA+++Tricycles'\n" * 10_000)),
               "rejected-file:S12|S04")
    yield Case(f"{f}/empty-segments-5k.edi", f, "5,000 empty segments in the message",
               edi(lambda t: t.replace("UNS+S'", "'" * 5_000 + "UNS+S'")), "rejected-file:S12|S04")
    yield Case(f"{f}/lines-1000.edi", f, "1,000 lines (one over the limit)", edi(lines(1000)), "rejected-declaration:B20")
    yield Case(f"{f}/lines-999.edi", f, "999 lines (the limit)", edi(lines(999)), "accepted")
    yield Case(f"{f}/messages-300.edi", f, "300 messages in one interchange", edi(messages(300)),
               "accepted|rejected-declaration:B04|rejected-file:S12")
    yield Case(f"{f}/tag-100k.edi", f, "a segment tag of 100,000 letters",
               edi(lambda t: t.replace("UNS+S'", "X" * 100_000 + "+1'UNS+S'")), "rejected-file:S12|S04")

    f = "edi-una"
    bad_unas = {
        "same-separators": "UNA++.? '", "truncated": "UNA:+", "alone": "UNA", "letters": "UNAABCDEF",
        "spaces": "UNA      ", "release-is-terminator": "UNA:+.'  '", "digits": "UNA123456",
        "nul": "UNA\x00+.? '", "element-is-terminator": "UNA:'.? '", "repeated": "UNA:+.? 'UNA:+.? '",
    }
    for name, una in bad_unas.items():
        yield Case(f"{f}/{name}.edi", f, f"UNA {una!r}", edi(lambda t, una=una: una + t[9:]), "rejected-file:S02|S03|S01|S12")
    yield Case(f"{f}/non-ascii.edi", f, "UNA with Latin-1 separators", edi(lambda t: "UNA§¤.? '" + t[9:]),
               "rejected-file:S02|S03|S12|S08")
    yield Case(f"{f}/decimal-comma.edi", f, "UNA with a decimal comma, honoured",
               edi(lambda t: "UNA:+,? '" + t[9:].replace("82.5", "82,5").replace("1000.00", "1000,00")), "accepted")

    yield from non_ascii_digit_cases()
    yield from long_number_cases()
    yield from value_cases()
    yield from binary_cases()
    yield from encoding_cases()


def lines(count: int) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        start, end = text.index("CST+1+"), text.index("UNS+S'")
        group = text[start:end]
        body = "".join(group.replace("CST+1+", f"CST+{n}+") for n in range(1, count + 1))
        text = text[:start] + body + text[end:]
        return recount(text.replace("CNT+5:1'", f"CNT+5:{count}'"))

    return mutate


def recount(text: str) -> str:
    """Set every UNT count to the message's segments (UNH…UNT)."""
    out, position = [], 0
    for match in re.finditer(r"UNH\+(\d+)\+", text):
        if match.start() < position:
            continue
        end = text.index("UNT+", match.start())
        count = text[match.start():end].count("'") + 1
        stop = text.index("'", end)
        out.append(text[position:end] + f"UNT+{count}+{match.group(1)}")
        position = stop
    return "".join(out) + text[position:]


def messages(count: int) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        start, end = text.index("UNH+1+"), text.index("UNZ+")
        message = text[start:end]
        number = re.search(r"BGM\+929:::AB\+(\d{14})", message).group(1)  # type: ignore[union-attr]
        body = "".join(message.replace("UNH+1+", f"UNH+{n}+").replace("UNT+22+1'", f"UNT+22+{n}'")
                       .replace(number, transaction_number(50_000 + n)) for n in range(1, count + 1))
        return text[:start] + body + text[end:].replace("UNZ+1+", f"UNZ+{count}+")

    return mutate


DIGITS = {
    "superscript": ("²", "latin-1"),  # Latin-1 0xB2, inside UNOC's repertoire
    "arabic-indic": ("١٢", "utf-8"),
    "fullwidth": ("２", "utf-8"),
    "devanagari": ("२", "utf-8"),
}


def non_ascii_digit_cases() -> Iterator[Case]:
    f = "edi-digits"
    places = {
        "unt-count": ("UNT+22+1'", "UNT+{d}+1'", "rejected-file:S04|S12"),
        "unz-count": ("UNZ+1+", "UNZ+{d}+", "rejected-file:S03|S05|S12"),  # S03: a malformed UNZ
        "cnt": ("CNT+5:1'", "CNT+5:{d}'", "rejected-declaration:B20|rejected-file:S12"),
        "cst-line": ("CST+1+", "CST+{d}+", "rejected-declaration:B20|rejected-file:S12"),
        "bgm-version": (":00001+9'", ":0000{d}+9'", "rejected-declaration:B04|B03|rejected-file:S12"),
        "moa-value": ("MOA+123:1000.00'", "MOA+123:1{d}00.00'", "rejected-declaration:B15|rejected-file:S12"),
        "mea-quantity": ("NMB:10'", "NMB:1{d}'", "rejected-declaration:B13|rejected-file:S12"),
        "dtm-date": ("DTM+137:20250505:", "DTM+137:2025050{d}:", "rejected-declaration:B06|rejected-file:S12"),
    }
    for kind, (digit, encoding) in DIGITS.items():
        for place, (old, new, expected) in places.items():
            def mutate(text: str, old=old, new=new, digit=digit, encoding=encoding) -> str:
                if encoding == "utf-8":
                    text = text.replace("UNOC:3", "UNOY:3")
                return text.replace(old, new.format(d=digit), 1)

            yield Case(f"{f}/{place}-{kind}.edi", f, f"{kind} digit {digit!r} in the {place}", edi(mutate, encoding=encoding),
                       expected)


LONG = "9" * 5000


def long_number_cases() -> Iterator[Case]:
    f = "edi-long-numbers"
    places = {
        "unt-count": ("UNT+22+1'", f"UNT+{LONG}+1'", "rejected-file:S04|S12"),
        "unz-count": ("UNZ+1+", f"UNZ+{LONG}+", "rejected-file:S03|S05|S12"),
        "cnt": ("CNT+5:1'", f"CNT+5:{LONG}'", "rejected-declaration:B20|rejected-file:S12"),
        "cst-line": ("CST+1+", f"CST+{LONG}+", "rejected-declaration:B20|rejected-file:S12"),
        "bgm-version": (":00001+9'", f":{LONG}+9'", "rejected-declaration:B04|B03|rejected-file:S12"),
        "unh-reference": ("UNH+1+", f"UNH+{LONG}+", "rejected-file:S06|S12|S04"),
        "dtm-date": ("DTM+137:20250505:", f"DTM+137:{LONG}:", "rejected-declaration:B06|rejected-file:S12"),
        "unb-date": ("261126:0930", f"{LONG}:0930", "rejected-file:S03|S12|accepted"),
        "moa-value": ("MOA+123:1000.00'", f"MOA+123:{LONG}'", "rejected-declaration:B15"),
        "mea-quantity": ("NMB:10'", f"NMB:{LONG}'", "rejected-declaration:B13"),
        "gross-weight": ("KGM:82.5'", f"KGM:{LONG}'", "rejected-declaration:B13|B15|rejected-file:S12"),
        "filer-amount": ("MOA+123:1000.00'", f"MOA+123:1000.00'TAX+1+CUD'MOA+161:{LONG}'",
                         "rejected-declaration:B15|rejected-file:S04|S12"),
        "office": ("LOC+22+0497'", f"LOC+22+{LONG}'", "rejected-declaration:B07|rejected-file:S12"),
        "classification": ("9503001010:108", f"{LONG}:108", "rejected-declaration:B10|rejected-file:S12"),
        "treatment": ("+2:109", f"+{LONG}:109", "rejected-declaration:B11|rejected-file:S12"),
    }
    for place, (old, new, expected) in places.items():
        yield Case(f"{f}/{place}-5000-digits.edi", f, f"5,000 digits in the {place}", edi(sub(old, new)), expected)
    for digits in (20, 4_301):
        n = "1" + "0" * (digits - 1)
        yield Case(f"{f}/unt-count-{digits}-digits.edi", f, f"a {digits}-digit UNT count", edi(sub("UNT+22+1'", f"UNT+{n}+1'")),
                   "rejected-file:S04|S12")
        yield Case(f"{f}/cst-line-{digits}-digits.edi", f, f"a {digits}-digit line number", edi(sub("CST+1+", f"CST+{n}+")),
                   "rejected-declaration:B20|rejected-file:S12")
    yield Case(f"{f}/filer-amount-5000-digits-recounted.edi", f, "a filer amount of 5,000 digits, UNT right",
               edi(lambda t: recount(t.replace("MOA+123:1000.00'", f"MOA+123:1000.00'TAX+1+CUD'MOA+161:{LONG}'"))),
               "rejected-declaration:B15")


def value_cases() -> Iterator[Case]:
    """Magnitudes, decimals, exponents and special values in the value, the quantity and a filer amount."""
    f = "edi-numbers"
    values = {
        "1e16": ("10000000000000000.00", "B15"), "1e17": ("100000000000000000.00", "B15"),
        "1e20": ("100000000000000000000.00", "B15"), "1e100": ("1" + "0" * 100 + ".00", "B15"),
        "20-nines": ("99999999999999999999.99", "B15"), "300-digits": ("7" * 300, "B15"),
        "3000-decimals": ("1000." + "0" * 2999 + "1", "B15"), "3000-zero-decimals": ("1000." + "0" * 3000, "B15"),
        "exp-huge": ("1E999999", "B15"), "exp-small": ("1E-999999", "B15"), "exp-plain": ("1E3", "B15"),
        "exp-lower": ("1e5", "B15"), "nan": ("NaN", "B15"), "snan": ("sNaN", "B15"), "infinity": ("Infinity", "B15"),
        "minus-infinity": ("-Infinity", "B15"), "inf": ("inf", "B15"), "minus-zero": ("-0", "B15|accepted"),
        "minus-zero-cents": ("-0.00", "B15|accepted"),
        "underscore": ("1_000.00", "B15"), "thousands": ("1,000.00", "B15"), "hex": ("0x10", "B15"),
        "negative": ("-1000.00", "B15"), "released-plus": ("?+1000.00", "B15|accepted"), "three-decimals": ("1000.001", "B15"), "dot-only": (".", "B15"),
        "lone-minus": ("-", "B15"),
    }
    for name, (value, code) in values.items():
        expected = "accepted|rejected-declaration:B15" if code == "B15|accepted" else f"rejected-declaration:{code}"
        yield Case(f"{f}/value-{name}.edi", f, f"value {value[:40]!r}", edi(sub("MOA+123:1000.00'", f"MOA+123:{value}'")),
                   expected)
    quantities = {
        "1e16": "10000000000000000", "300-digits": "5" * 300, "3000-decimals": "10." + "0" * 2999 + "1",
        "exp-huge": "1E999999", "exp-plain": "1E+2", "nan": "NaN", "infinity": "Infinity", "negative": "-10",
        "minus-zero": "-0", "2000-digit-fraction": "0." + "3" * 2000,
    }
    for name, quantity in quantities.items():
        # 10^16 pieces is absurd but within the digits a quantity may have: a bound is the project's choice.
        expected = "accepted|rejected-declaration:B13" if name == "1e16" else "rejected-declaration:B13"
        yield Case(f"{f}/quantity-{name}.edi", f, f"quantity {quantity[:40]!r}", edi(sub("NMB:10'", f"NMB:{quantity}'")),
                   expected)
    weights = {"nan": "NaN", "exp-huge": "1E999999", "3000-decimals": "82." + "5" * 3000, "300-digits": "8" * 300}
    for name, weight in weights.items():
        yield Case(f"{f}/weight-{name}.edi", f, f"gross weight {weight[:40]!r}", edi(sub("KGM:82.5'", f"KGM:{weight}'")),
                   "accepted|rejected-declaration:B13|B15|rejected-file:S12")
    for name, amount in {"1e16": "10000000000000000.00", "exp-huge": "1E999999", "nan": "NaN",
                         "3000-decimals": "1." + "0" * 3000}.items():
        yield Case(f"{f}/filer-amount-{name}.edi", f, f"filer amount {amount[:40]!r}",
                   edi(lambda t, a=amount: recount(t.replace("MOA+123:1000.00'", f"MOA+123:1000.00'TAX+1+CUD'MOA+161:{a}'"))),
                   "rejected-declaration:B15")
    yield Case(f"{f}/two-lines-summing-over.edi", f, "two lines of 9.9e15 each: totals beyond what the ledger holds",
               edi(lambda t: lines(2)(t).replace("MOA+123:1000.00'", "MOA+123:9900000000000000.00'")),
               "rejected-declaration:B15")


def binary_cases() -> Iterator[Case]:
    f = "edi-binary"
    rng = random.Random(12)
    for size in (1, 64, 4096, 65536):
        blob = bytes(rng.randrange(256) for _ in range(size))
        yield Case(f"{f}/random-{size}.bin", f, f"{size:,} random bytes", constant(blob), "rejected-file:S01|S08|S09")
    for size in (100, 10_000):
        blob = b"UNB+" + bytes(rng.randrange(256) for _ in range(size))
        yield Case(f"{f}/unb-then-random-{size}.edi", f, f"UNB+ then {size:,} random bytes", constant(blob),
                   "rejected-file:S03|S08|S12")
    yield Case(f"{f}/xml-then-random.xml", f, "'<' then random bytes",
               constant(b"<" + bytes(rng.randrange(256) for _ in range(5000))), "rejected-file:S08|S09")
    yield Case(f"{f}/empty.edi", f, "an empty file", lambda: b"", "rejected-file:S01")
    yield Case(f"{f}/empty.xml", f, "an empty file named .xml", lambda: b"", "rejected-file:S01|S09")
    yield Case(f"{f}/one-terminator.edi", f, "a single terminator", lambda: b"'", "rejected-file:S01")
    yield Case(f"{f}/nul-1k.edi", f, "1 KB of NUL bytes", lambda: b"\x00" * 1024, "rejected-file:S01")
    yield Case(f"{f}/whitespace-only.edi", f, "only whitespace", lambda: b" \r\n\t" * 256, "rejected-file:S01")
    yield Case(f"{f}/bom-only.xml", f, "a UTF-8 byte-order mark alone", lambda: b"\xef\xbb\xbf", "rejected-file:S01|S09")
    for at in ("UNB+", "BGM+", "Tricycles", "UNZ+"):
        yield Case(f"{f}/nul-in-{at.strip('+').lower()}.edi", f, f"a NUL byte inside {at!r}",
                   edi_bytes(lambda b, at=at: b.replace(at.encode(), at[:2].encode() + b"\x00" + at[2:].encode(), 1)),
                   "rejected-file:S08|S12|S03|S01")
    yield Case(f"{f}/nul-every-other.edi", f, "a NUL byte after every byte",
               edi_bytes(lambda b: bytes(x for c in b for x in (c, 0))), "rejected-file:S08|S03|S12|S01")
    yield Case(f"{f}/gzip.edi", f, "the interchange gzip-compressed", edi_bytes(lambda b: gzip.compress(b, mtime=0)),
               "rejected-file:S01")
    yield Case(f"{f}/pdf.edi", f, "a PDF header", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
               "rejected-file:S01")
    yield Case(f"{f}/zip.xml", f, "a ZIP header", lambda: b"PK\x03\x04" + bytes(60), "rejected-file:S01")
    for fraction in range(1, 12):
        yield Case(f"{f}/truncated-{fraction:02d}-of-12.edi", f, f"cut after {fraction}/12 of its bytes",
                   edi_bytes(lambda b, k=fraction: b[: len(b) * k // 12]), "rejected-file:S01|S02|S03|S04|S05|S12")
    for fraction in (1, 3, 5, 7, 9, 11):
        yield Case(f"{f}/truncated-{fraction:02d}-of-12.xml", f, f"XML cut after {fraction}/12 of its bytes",
                   xml_bytes(lambda b, k=fraction: b[: len(b) * k // 12]), "rejected-file:S09")
    yield Case(f"{f}/duplicated.edi", f, "the interchange twice in one file", edi(lambda t: t + t), REJECT_TRAILING)
    yield Case(f"{f}/duplicated-message.edi", f, "the message twice, counts unchanged",
               edi(lambda t: t.replace("UNZ+", t[t.index("UNH+"):t.index("UNZ+")] + "UNZ+")),
               "rejected-file:S05|S12")


#: (label, codec, byte-order mark) of the encodings no CAD may use: with and without their mark.
WIDE_ENCODINGS = (("utf-16-le-bom", "utf-16-le", b"\xff\xfe"), ("utf-16-be-bom", "utf-16-be", b"\xfe\xff"),
                  ("utf-16-le", "utf-16-le", b""), ("utf-16-be", "utf-16-be", b""), ("utf-32-le", "utf-32-le", b""))


#: name → (syntax identifier, description, encoding of the file, what, expected): text against the declared level.
CHARSET_CASES = {
    "unoc-with-utf8-bytes": ("UNOC", "Tricycles à pédales", "utf-8", "UTF-8 accents in a UNOC file (valid Latin-1 bytes)",
                             "accepted"),
    "unoy-with-latin1-bytes": ("UNOY", "Tricycles à pédales", "latin-1", "Latin-1 bytes in a UNOY file", "rejected-file:S08"),
    "unoa-lower-case": ("UNOA", "Tricycles", "latin-1", "lower case in a UNOA file", "rejected-file:S08"),
    "unoc-c1-controls": ("UNOC", "\u201cTricycles\u201d", "cp1252", "Windows-1252 quotes (0x93 0x94) in a UNOC file",
                         "rejected-file:S08"),
    "unob-non-ascii": ("UNOB", "Tricyclés", "latin-1", "a Latin-1 letter in a UNOB file", "rejected-file:S08"),
    "unoy-controls": ("UNOY", "Tri\x07\x1bcycles", "utf-8", "control characters in a UNOY description", "rejected-file:S08"),
    "unknown-syntax": ("UNOZ", "Tricycles", "latin-1", "syntax identifier UNOZ", "rejected-file:S03"),
    "rtl-override": ("UNOY", "Tri\u202ecycles", "utf-8", "a right-to-left override in a UNOY description",
                     "accepted|rejected-file:S08"),
}
#: name → (description bytes, what): bytes that are no UTF-8, in a UNOY file.
INVALID_UTF8 = {"overlong": (b"Tri\xc0\xafcycles", "an overlong UTF-8 sequence"),
                "surrogate": (b"Tri\xed\xa0\x80cycles", "a UTF-8-encoded surrogate"),
                "mixed": ("é".encode() + b"\xe9", "UTF-8 then Latin-1")}


def encoding_cases() -> Iterator[Case]:
    f = "edi-encoding"
    for name, (syntax, description, encoding, what, expected) in CHARSET_CASES.items():
        yield Case(f"{f}/{name}.edi", f, what, edi(
            lambda t, s=syntax, d=description: t.replace("UNOC:3", f"{s}:3").replace("Tricycles", d), encoding=encoding),
            expected)
    for name, (description, what) in INVALID_UTF8.items():
        yield Case(f"{f}/unoy-{name}.edi", f, f"{what} in a UNOY file", edi_bytes(
            lambda b, d=description: b.replace(b"UNOC:3", b"UNOY:3").replace(b"Tricycles", d)), "rejected-file:S08")
    for label, codec, prefix in WIDE_ENCODINGS:
        yield Case(f"{f}/{label}.edi", f, f"the interchange in {label.upper()}",
                   constant(prefix + own(base_edifact()).encode(codec)), "rejected-file:S01|S08|S03")
    yield Case(f"{f}/utf8-bom.edi", f, "a UTF-8 byte-order mark before UNA",
               edi_bytes(lambda b: b"\xef\xbb\xbf" + b), "accepted|rejected-file:S08|S03")


# --- XML families ---------------------------------------------------------------------------------------------

ROOT_TAG = '<DocumentMetaData xmlns="urn:wco:datamodel:WCO:Declaration:1">'


def with_attributes(count: int) -> Callable[[str], str]:
    attributes = "".join(f' a{n}="1"' for n in range(count))
    return sub(ROOT_TAG, ROOT_TAG[:-1] + attributes + ">")


def nested(depth: int) -> Callable[[str], str]:
    return sub("<GoodsShipment>", "<GoodsShipment>" + "<x>" * depth + "</x>" * depth)


def xml_cases() -> Iterator[Case]:
    f = "xml-attributes"
    for count in (10, 1_000, 5_000):
        yield Case(f"{f}/unknown-{count}.xml", f, f"{count:,} unknown attributes on the root", xml(with_attributes(count)),
                   "rejected-file:S10")
    yield Case(f"{f}/unknown-on-item.xml", f, "2,000 unknown attributes on a goods item",
               xml(sub("<GovernmentAgencyGoodsItem>", "<GovernmentAgencyGoodsItem" + "".join(f' b{n}="x"' for n in range(2000))
                       + ">")), "rejected-file:S10")
    yield Case(f"{f}/duplicate.xml", f, "the same attribute twice", xml(sub('unitCode="NMB"', 'unitCode="NMB" unitCode="NMB"')),
               "rejected-file:S09")
    yield Case(f"{f}/long-value.xml", f, "a unit code of 100,000 characters",
               xml(sub('unitCode="NMB"', f'unitCode="{"N" * 100_000}"')), "rejected-file:S10|rejected-declaration:B13")
    yield Case(f"{f}/unknown-800k.xml", f, "800,000 unknown attributes (9.5 MB)", xml(with_attributes(800_000)),
               "rejected-file:S10", committed=False)

    f = "xml-nesting"
    for depth in (300, 1_000, 10_000):
        yield Case(f"{f}/depth-{depth}.xml", f, f"{depth:,} nested unknown elements", xml(nested(depth)), "rejected-file:S09|S10")
    yield Case(f"{f}/depth-200k.xml", f, "200,000 nested unknown elements", xml(nested(200_000)), "rejected-file:S09|S10",
               committed=False)
    yield Case(f"{f}/wide-100k.xml", f, "100,000 sibling unknown elements", xml(sub("<GoodsShipment>", "<GoodsShipment>" + "<x/>" * 100_000)),
               "rejected-file:S10")

    f = "xml-dtd"
    for name in ("billion-laughs", "external-entity", "xinclude"):
        yield Case(f"{f}/{name}.xml", f, f"fixtures/xml/{name}.xml", lambda n=name: (FIXTURES / "xml" / f"{n}.xml").read_bytes(),
                   "rejected-file:S10")
    doctypes = {
        "parameter-entity": '<!DOCTYPE DocumentMetaData [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
        "quadratic": '<!DOCTYPE DocumentMetaData [<!ENTITY a "' + "A" * 10_000 + '">]>',
        "system": '<!DOCTYPE DocumentMetaData SYSTEM "http://127.0.0.1:9/cad.dtd">',
        "public": '<!DOCTYPE DocumentMetaData PUBLIC "-//X//Y" "file:///etc/passwd">',
        "empty-subset": "<!DOCTYPE DocumentMetaData []>",
        "dev-random": '<!DOCTYPE DocumentMetaData [<!ENTITY r SYSTEM "file:///dev/random">]>',
        "lower-case": '<!doctype DocumentMetaData [<!ENTITY x "y">]>',
    }
    for name, doctype in doctypes.items():
        uses = "&a;" * 1000 if name == "quadratic" else "&r;" if name == "dev-random" else ""
        yield Case(f"{f}/{name}.xml", f, f"a DOCTYPE: {name}",
                   xml(lambda t, d=doctype, u=uses: t.replace("<!--", d + "\n<!--", 1).replace("Tricycles", "Tricycles" + u)),
                   "rejected-file:S10|S09")
    yield Case(f"{f}/stylesheet-pi.xml", f, "an xml-stylesheet processing instruction to a remote file",
               xml(lambda t: t.replace("<!--", '<?xml-stylesheet href="http://127.0.0.1:9/x.xsl"?>\n<!--', 1)),
               "accepted|rejected-file:S10")
    yield Case(f"{f}/schema-location.xml", f, "an xsi:schemaLocation to a remote schema",
               xml(sub(ROOT_TAG, ROOT_TAG[:-1] + ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                       'xsi:schemaLocation="urn:wco:datamodel:WCO:Declaration:1 http://127.0.0.1:9/evil.xsd">')),
               "accepted|rejected-file:S10")

    f = "xml-encoding"
    for label, codec, prefix in WIDE_ENCODINGS:
        yield Case(f"{f}/{label}.xml", f, f"the document in {label.upper()}",
                   constant(prefix + own(base_xml()).replace('encoding="UTF-8"', 'encoding="UTF-16"').encode(codec)),
                   "rejected-file:S08|S01|S09")
    yield Case(f"{f}/declared-latin1.xml", f, "an XML declaration naming ISO-8859-1",
               xml(sub('encoding="UTF-8"', 'encoding="ISO-8859-1"'), encoding="latin-1"), "rejected-file:S08")
    yield Case(f"{f}/latin1-bytes.xml", f, "Latin-1 bytes in a UTF-8 document",
               xml(sub("Tricycles", "Tricyclés"), encoding="latin-1"), "rejected-file:S08|S09")
    yield Case(f"{f}/nul-byte.xml", f, "a NUL byte in a description", xml(sub("Tricycles", "Tri\x00cycles")),
               "rejected-file:S08|S09")
    yield Case(f"{f}/control-char.xml", f, "a vertical tab in a description", xml(sub("Tricycles", "Tri\x0bcycles")),
               "rejected-file:S08|S09")
    yield Case(f"{f}/utf8-bom.xml", f, "a UTF-8 byte-order mark", xml_bytes(lambda b: b"\xef\xbb\xbf" + b), "accepted")

    f = "xml-text"
    for size in (100_000,):
        yield Case(f"{f}/description-{size}.xml", f, f"a description of {size:,} characters", xml(sub("Tricycles", "T" * size)),
                   "accepted|rejected-file:S10")
    yield Case(f"{f}/description-11mb.xml", f, "a description of 11 MB (over libxml2's text node limit)",
               xml(sub("Tricycles", "T" * 11_000_000)), "rejected-file:S09|S10", committed=False)
    yield Case(f"{f}/name-100k.xml", f, "an importer name of 100,000 characters",
               xml(sub("Acme Imports Ltd", "A" * 100_000)), "accepted|rejected-file:S10")
    yield Case(f"{f}/comment-1mb.xml", f, "a comment of 1 MB", xml(sub("<GoodsShipment>", "<GoodsShipment><!--" + "c" * 1_000_000 + "-->")),
               "accepted", committed=False)
    yield Case(f"{f}/cdata-100k.xml", f, "a CDATA description of 100,000 characters",
               xml(sub("Tricycles", "<![CDATA[" + "]" * 3 + "x" * 100_000 + "]]>")), "accepted|rejected-file:S10")
    yield Case(f"{f}/whitespace-100k.xml", f, "100,000 spaces between two elements",
               xml(sub("<GoodsShipment>", "<GoodsShipment>" + " " * 100_000)), "accepted")
    yield Case(f"{f}/character-references-50k.xml", f, "50,000 character references in a description",
               xml(sub("Tricycles", "&#84;" * 50_000)), "accepted|rejected-file:S10")
    yield Case(f"{f}/long-reference.xml", f, "an interchange reference of 100,000 characters",
               xml(lambda t: re.sub(r"<ApplicationReferenceID>[^<]*<", "<ApplicationReferenceID>" + "R" * 100_000 + "<", t)),
               "rejected-file:S10|S03")

    f = "xml-digits"
    for kind, (digit, _) in DIGITS.items():
        for element, expected in (("VersionID", "rejected-file:S10|rejected-declaration:B04|B03"),
                                  ("SequenceNumeric", "rejected-file:S10|rejected-declaration:B20"),
                                  ("ChargeAmount", "rejected-file:S10|rejected-declaration:B15"),
                                  ("TariffQuantity", "rejected-file:S10|rejected-declaration:B13")):
            value = {"VersionID": digit, "SequenceNumeric": digit, "ChargeAmount": f"1{digit}00.00",
                     "TariffQuantity": f"1{digit}"}[element]
            yield Case(f"{f}/{element.lower()}-{kind}.xml", f, f"{kind} digit {digit!r} in {element}",
                       xml(between(element, element, value)), expected)
        yield Case(f"{f}/issuedate-{kind}.xml", f, f"{kind} digit {digit!r} in IssueDateTime",
                   xml(between("IssueDateTime", "IssueDateTime", f"2025-05-0{digit}")), "rejected-file:S10|rejected-declaration:B06")

    f = "xml-numbers"
    numbers = {
        "version-5000-digits": ("VersionID", LONG, "rejected-file:S10|rejected-declaration:B04|B03"),
        "version-4301-digits": ("VersionID", "1" * 4301, "rejected-file:S10|rejected-declaration:B04|B03"),
        "sequence-5000-digits": ("SequenceNumeric", LONG, "rejected-file:S10|rejected-declaration:B20"),
        "sequence-negative": ("SequenceNumeric", "-1", "rejected-file:S10|rejected-declaration:B20"),
        "value-1e16": ("ChargeAmount", "10000000000000000.00", "rejected-declaration:B15"),
        "value-1e20": ("ChargeAmount", "100000000000000000000.00", "rejected-declaration:B15"),
        "value-5000-digits": ("ChargeAmount", LONG, "rejected-declaration:B15|rejected-file:S10"),
        "value-3000-decimals": ("ChargeAmount", "1000." + "0" * 2999 + "1", "rejected-declaration:B15|rejected-file:S10"),
        "value-exp-huge": ("ChargeAmount", "1E999999", "rejected-declaration:B15|rejected-file:S10"),
        "value-nan": ("ChargeAmount", "NaN", "rejected-declaration:B15|rejected-file:S10"),
        "value-inf": ("ChargeAmount", "INF", "rejected-declaration:B15|rejected-file:S10"),
        "value-minus-zero": ("ChargeAmount", "-0.00", "accepted|rejected-declaration:B15"),
        "quantity-300-digits": ("TariffQuantity", "5" * 300, "rejected-declaration:B13|rejected-file:S10"),
        "quantity-3000-decimals": ("TariffQuantity", "10." + "0" * 2999 + "1", "rejected-declaration:B13|rejected-file:S10"),
        "quantity-exp-huge": ("TariffQuantity", "1E999999", "rejected-declaration:B13|rejected-file:S10"),
        "quantity-nan": ("TariffQuantity", "NaN", "rejected-declaration:B13|rejected-file:S10"),
        "weight-5000-digits": ("GrossMassMeasure", LONG, "accepted|rejected-declaration:B13|B15|rejected-file:S10"),
    }
    for name, (element, value, expected) in numbers.items():
        yield Case(f"{f}/{name}.xml", f, f"{element} {value[:40]!r}", xml(between(element, element, value)), expected)

    f = "xml-namespaces"
    for count in (100, 10_000):
        declarations = "".join(f' xmlns:n{n}="urn:x:{n}"' for n in range(count))
        yield Case(f"{f}/declared-{count}.xml", f, f"{count:,} namespace declarations on the root",
                   xml(sub(ROOT_TAG, ROOT_TAG[:-1] + declarations + ">")), "accepted|rejected-file:S10")
    yield Case(f"{f}/wrong-default.xml", f, "another default namespace",
               xml(sub("urn:wco:datamodel:WCO:Declaration:1", "urn:evil")), "rejected-file:S10")
    yield Case(f"{f}/no-namespace.xml", f, "no namespace at all", xml(sub(' xmlns="urn:wco:datamodel:WCO:Declaration:1"', "")),
               "rejected-file:S10")
    yield Case(f"{f}/rebound-1000.xml", f, "the default namespace re-declared on 1,000 nested unknown elements",
               xml(sub("<GoodsShipment>", "<GoodsShipment>" + '<x xmlns="urn:y">' * 1000 + "</x>" * 1000)),
               "rejected-file:S09|S10")
    yield Case(f"{f}/prefixed-elements.xml", f, "every element under a prefix (same namespace)",
               xml(lambda t: re.sub(r"<(/?)(\w)", r"<\1p:\2", t).replace(' xmlns="', ' xmlns:p="')), "accepted|rejected-file:S10")

    f = "xml-malformed"
    yield Case(f"{f}/two-roots.xml", f, "two root elements", xml(lambda t: t + "<DocumentMetaData/>"), "rejected-file:S09")
    yield Case(f"{f}/unclosed.xml", f, "an unclosed element", xml(sub("</Declaration>", "")), "rejected-file:S09")
    yield Case(f"{f}/bad-entity.xml", f, "an undefined entity reference", xml(sub("Tricycles", "&undefined;")),
               "rejected-file:S09|S10")
    yield Case(f"{f}/text-after-root.xml", f, "text after the root", xml(lambda t: t + "junk" * 1000), "rejected-file:S09")
    yield Case(f"{f}/trailing-spaces.xml", f, "4,000 spaces after the root", xml(lambda t: t + " " * 4000), "accepted")


# --- file names -----------------------------------------------------------------------------------------------

NAMES = {
    "long-225": ("n" * 221 + ".edi", "quarantined"),
    "long-250": ("n" * 246 + ".edi", "quarantined"),
    "backslash": ("a\\b.edi", "quarantined"),
    "leading-dot": (".hidden.edi", "quarantined"),
    "dot-dot": ("..edi", "quarantined"),
    "control-soh": ("a\x01b.edi", "quarantined"),
    "control-del": ("a\x7fb.edi", "quarantined"),
    "tab": ("a\tb.edi", "quarantined"),
    "newline": ("a\nb.edi", "quarantined"),
    "carriage-return": ("a\rb.edi", "quarantined"),
    "escape": ("a\x1b[31mred.edi", "quarantined"),
    "spaces": (" spaced  name .edi", "answered|quarantined"),
    "unicode-accent": ("déclaration.edi", "answered|quarantined"),
    "unicode-cjk": ("申告書.edi", "answered|quarantined"),
    "emoji": ("cad-😀.edi", "answered|quarantined"),
    "rtl-override": ("cad-\u202eide.xml", "quarantined|answered"),
    "trailing-dot": ("cad.edi.", "answered|quarantined"),
    "xml-long-225": ("x" * 221 + ".xml", "quarantined"),
}


def name_cases() -> Iterator[Case]:
    f = "file-names"
    for label, (name, intake) in NAMES.items():
        builder = xml() if name.endswith(".xml") or label.startswith("xml") else edi()
        suffix = ".xml" if label.startswith("xml") or name.endswith(".xml") else ".edi"
        yield Case(f"{f}/{label}{suffix}", f, f"dropped as {name!r}", builder, "accepted", intake, inbound_name=name)


# --- tenancy --------------------------------------------------------------------------------------------------

VICTIM_TRANSACTION = transaction_number(90_000)


def tenancy_text(*, version: str, function: str, importer: str, reference: str, sender: str) -> str:
    text = base_edifact().replace(BASE_TRANSACTION, VICTIM_TRANSACTION).replace(BASE_REFERENCE, reference)
    text = text.replace(":00001+9'", f":{version}+{function}'").replace("SP00042:ZZ", f"{sender}:ZZ")
    if function != "9":
        text = text.replace("RFF+IV:INV-1'", "RFF+IV:INV-1'\nRFF+ACD:C01'")
        text = recount(text)
    return text.replace(IMPORTER, importer)


def tenancy_cases() -> Iterator[Case]:
    """The attack of issue 12 item 1, in order: the victim's original, the attacker's change and cancellation
    naming the attacker's own importer (B23 from intake; ``carm validate`` has no ledger and cannot tell), the
    attacker naming the victim's importer (A02), the victim's own change (accepted after the attack)."""
    f = "tenancy"
    files = (
        ("1-victim-original", SENDER, "00001", "9", IMPORTER, "accepted", "the victim's original"),
        ("2-attacker-cancels-own-importer", ATTACKER, "00002", "1", ATTACKER_IMPORTER, "accepted",
         "another sender cancels the victim's transaction naming its own importer"),
        ("3-attacker-changes-own-importer", ATTACKER, "00002", "4", ATTACKER_IMPORTER, "accepted",
         "another sender changes the victim's transaction naming its own importer"),
        ("4-attacker-skips-a-version", ATTACKER, "00007", "4", ATTACKER_IMPORTER, "accepted",
         "another sender files version 7 of the victim's transaction (B04 would reveal the latest version)"),
        ("5-attacker-names-victim-importer", ATTACKER, "00002", "1", IMPORTER, "rejected-declaration:A02",
         "another sender cancels naming the victim's importer, for which it is not authorized"),
        ("6-victim-change", SENDER, "00002", "4", IMPORTER, "accepted", "the victim's own change, after the attack"),
    )
    for index, (label, sender, version, function, importer, validate, what) in enumerate(files, 1):
        text = tenancy_text(version=version, function=function, importer=importer, reference=f"TENANCY{index:05d}",
                            sender=sender)
        yield Case(f"{f}/{label}.edi", f, what, lambda t=text: t.encode("ascii"), validate, sender=sender)


# --- clean files of the same shapes, to measure what a file of a given size normally costs --------------------

def clean_edifact(line_count: int) -> bytes:
    return lines(line_count)(base_edifact()).encode("ascii")


def clean_xml(item_count: int) -> bytes:
    text = base_xml()
    start = text.index("<GovernmentAgencyGoodsItem>")
    end = text.index("</GovernmentAgencyGoodsItem>") + len("</GovernmentAgencyGoodsItem>")
    item = text[start:end]
    items = "\n      ".join(item.replace("<SequenceNumeric>1<", f"<SequenceNumeric>{n}<") for n in range(1, item_count + 1))
    return (text[:start] + items + text[end:]).encode("utf-8")


# --- the corpus -----------------------------------------------------------------------------------------------

@cache
def cases() -> tuple[Case, ...]:
    NUMBERING.next = 1
    return (*edifact_cases(), *xml_cases(), *name_cases(), *tenancy_cases())


def case_bytes(case: Case) -> bytes:
    """The bytes of a case: the committed file, or the file built now when it is too big to commit."""
    return (CORPUS / case.file).read_bytes() if case.committed else case.build()


def registry_document() -> dict:
    return {
        "providers": [{"id": SENDER, "name": "Victim Filing Services"}, {"id": ATTACKER, "name": "Attacker Filing Inc"}],
        "importers": [{"bn15": IMPORTER, "name": "Acme Imports Ltd", "security": "5000.00", "rpp": True},
                      {"bn15": ATTACKER_IMPORTER, "name": "Attacker Imports Inc", "security": "0.00", "rpp": True}],
        "brokers": [],
        "authorizations": [{"provider": SENDER, "importer": IMPORTER},
                           {"provider": ATTACKER, "importer": ATTACKER_IMPORTER}],
    }


def write() -> tuple[int, int]:
    """Rewrite the committed corpus, the manifest and the registry; returns (files written, bytes)."""
    import shutil

    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    written = total = 0
    buffer = io.StringIO()
    manifest = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    manifest.writeheader()
    for case in cases():
        manifest.writerow(case.row())
        if case.committed:
            path = CORPUS / case.file
            path.parent.mkdir(parents=True, exist_ok=True)
            data = case.build()
            path.write_bytes(data)
            written, total = written + 1, total + len(data)
    MANIFEST.write_text(buffer.getvalue(), encoding="utf-8")
    REGISTRY.write_text(json.dumps(registry_document(), indent=2) + "\n", encoding="utf-8")
    return written, total


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    count, size = write()
    print(f"{count} files, {size:,} bytes under {CORPUS}; {len(cases())} cases in {MANIFEST}")
