"""The bucket layout of spec/interfaces.md: the one place that knows which key means what.

Keys are relative to their bucket (``Settings.inbound_url`` etc.), so ``inbound/<sender>/<file>`` in the spec is
the key ``<sender>/<file>`` of the inbound bucket::

    inbound   <sender_id>/<file name>
    inbound   payments/<file name>.csv                      a payments file (billing.md), never a CAD
    archive   <yyyy>/<mm>/<dd>/<sha256>                     every inbound file, byte for byte
    archive   quarantine/<yyyy>/<mm>/<dd>/<sha256>          a file never processed (see below)
    outbound  <sender_id>/responses/<file name>.contrl.edi | .cusres.edi | .response.xml
    outbound  importers/<BN15>/daily-notices/<yyyy-mm-dd>.xml
    outbound  importers/<BN15>/statements/<period>.xml | .csv | .pdf
    outbound  brokers/<BN9>/statements/<period>.xml
    outbound  finance/<period>/<name>

Quarantine (our decision; the spec only says such files are "quarantined and reported to operations"): a file
that is not inside a sender folder, or whose folder is not a registered sender, is copied byte for byte to the
archive bucket under ``quarantine/`` + the same date/hash scheme as the archive, and its inbox row records the
original key and the reason (state ``quarantined``). It stays out of ``<yyyy>/…`` so that a replay of the archive
never picks it up, and the date folders let operations purge old quarantine by prefix.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from pipeline.storage.errors import InvalidKey

RESPONSES = "responses"
QUARANTINE = "quarantine"
#: The inbound folder of payments files. Lower case, so it can never be a sender id (A-Z, 0-9).
PAYMENTS = "payments"
STATEMENT_FORMATS = ("xml", "csv", "pdf")

_SHA256 = re.compile(r"[0-9a-f]{64}")
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_BN15 = re.compile(r"[0-9]{9}[A-Z]{2}[0-9]{4}")
_BN9 = re.compile(r"[0-9]{9}")
_ARCHIVE = re.compile(r"(?P<y>[0-9]{4})/(?P<m>[0-9]{2})/(?P<d>[0-9]{2})/(?P<sha>[0-9a-f]{64})")


@dataclass(frozen=True, slots=True)
class InboundFile:
    sender_id: str
    file_name: str


@dataclass(frozen=True, slots=True)
class ArchivedFile:
    received: date
    sha256: str


@dataclass(frozen=True, slots=True)
class ResponseKeys:
    contrl: str  # EDIFACT syntax acknowledgement
    cusres: str  # EDIFACT business answers
    xml: str  # answer to an XML submission


def _segment(value: str, what: str) -> str:
    """One path segment: non-empty, no '/', not hidden (a leading '.' marks a partial write on local stores)."""
    if not isinstance(value, str) or not value or "/" in value or "\x00" in value or value.startswith("."):
        raise InvalidKey(f"{what} {value!r} cannot be a folder or file name")
    return value


def _match(pattern: re.Pattern[str], value: str, what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidKey(f"{what} {value!r} is malformed")
    return value


def _day(on: date) -> str:
    return f"{on.year:04d}/{on.month:02d}/{on.day:02d}"


# --- inbound ---------------------------------------------------------------------------------------------------

#: Longest inbound file name, in UTF-8 bytes. Local file systems hold 255 bytes per name (NAME_MAX); an answer
#: adds at most 13 (``.response.xml``) and the local store's temporary file of a write in progress 18 more
#: (``.<name>.<8 random>.partial``): 255 - 13 - 18 = 224; 200 leaves room for a suffix yet to come. S3 keys
#: (1,024 bytes) then hold ``<sender>/responses/<name><suffix>`` with room to spare.
MAX_FILE_NAME_BYTES = 200
#: Characters no file name may hold: controls (Cc: NUL, TAB, DEL, C1 …), invisible formatting (Cf: the
#: right-to-left override that makes ``x\u202eide.exe`` read as ``xexe.edi``), line and paragraph separators,
#: surrogates (bytes that are not UTF-8, as Python reads them from a local file system), private use and
#: unassigned code points.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def file_name_problem(name: str) -> str | None:
    """Why an inbound file name cannot be taken (the file is quarantined with this reason), or None.

    The answers are written under the file's name (``response_keys``) on local folders and on S3, and people
    and tools read it in listings and logs: the name must fit beside the answer suffixes, be valid UTF-8 text
    without controls or invisible characters, hold no backslash (a separator on some systems), and neither
    start with '.' (a hidden file, and the mark of partial writes) or '-' (an option to command-line tools) nor
    begin or end with whitespace."""
    if not name:
        return "the file name is empty"
    if "\ufffd" in name or any("\ud800" <= c <= "\udfff" for c in name):
        return "the file name is not valid UTF-8"
    size = len(name.encode("utf-8"))
    if size > MAX_FILE_NAME_BYTES:
        return (f"the file name is {size} bytes long (UTF-8); at most {MAX_FILE_NAME_BYTES}, so that the answers "
                "written under it fit every store")
    odd = next((c for c in name if unicodedata.category(c) in _FORBIDDEN_CATEGORIES), None)
    if odd is not None:
        return f"the file name holds the control or invisible character U+{ord(odd):04X}"
    if "\\" in name:
        return "the file name holds a backslash (a folder separator on some systems)"
    if name.startswith("."):
        return "the file name starts with '.' (a hidden file)"
    if name.startswith("-"):
        return "the file name starts with '-' (command-line tools would read it as an option)"
    if name != name.strip():
        return "the file name begins or ends with whitespace" + (" (it is only whitespace)" if not name.strip() else "")
    return None


def parse_inbound_key(key: str) -> InboundFile | None:
    """Sender and file name of an inbound key, or None when the key is not directly inside a sender folder
    (at the bucket root, or nested deeper): such a file is quarantined, never processed."""
    segments = key.split("/")
    if len(segments) != 2 or not all(segments) or any(segment.startswith(".") for segment in segments):
        return None
    return InboundFile(segments[0], segments[1])


def inbound_key(sender_id: str, file_name: str) -> str:
    return f"{_segment(sender_id, 'sender id')}/{_segment(file_name, 'file name')}"


# --- inbound payments files ------------------------------------------------------------------------------------

def is_payments_key(key: str) -> bool:
    """Whether an inbound key is inside the payments folder: such a file belongs to the payments loader and is
    never a CAD (intake neither processes nor quarantines it), whatever its name."""
    return key.split("/", 1)[0] == PAYMENTS


def payments_key(file_name: str) -> str:
    """``payments/<file name>`` of the inbound bucket."""
    return f"{PAYMENTS}/{_segment(file_name, 'file name')}"


def parse_payments_key(key: str) -> str | None:
    """The file name of a loadable payments file (``payments/<name>.csv``, not hidden, not nested), else None."""
    segments = key.split("/")
    if len(segments) != 2 or segments[0] != PAYMENTS:
        return None
    name = segments[1]
    if not name or name.startswith(".") or not name.lower().endswith(".csv"):
        return None
    return name


# --- archive and quarantine ------------------------------------------------------------------------------------

def archive_key(received: date, sha256: str) -> str:
    return f"{_day(received)}/{_match(_SHA256, sha256, 'sha256')}"


def parse_archive_key(key: str) -> ArchivedFile | None:
    """Date and hash of an archive key; None for anything else (quarantine, stray objects)."""
    found = _ARCHIVE.fullmatch(key)
    if not found:
        return None
    try:
        received = date(int(found["y"]), int(found["m"]), int(found["d"]))
    except ValueError:
        return None
    return ArchivedFile(received, found["sha"])


def archive_day_prefix(on: date) -> str:
    """The prefix listing every file archived on one day (replay by date)."""
    return _day(on) + "/"


def quarantine_key(received: date, sha256: str) -> str:
    return f"{QUARANTINE}/{archive_key(received, sha256)}"


# --- outbound --------------------------------------------------------------------------------------------------

def response_keys(sender_id: str, file_name: str) -> ResponseKeys:
    folder = f"{_segment(sender_id, 'sender id')}/{RESPONSES}/{_segment(file_name, 'file name')}"
    return ResponseKeys(f"{folder}.contrl.edi", f"{folder}.cusres.edi", f"{folder}.response.xml")


def daily_notice_key(bn15: str, on: date) -> str:
    return f"importers/{_match(_BN15, bn15, 'BN15')}/daily-notices/{on.isoformat()}.xml"


def statement_key(bn15: str, period: str, ext: str) -> str:
    if ext not in STATEMENT_FORMATS:
        raise InvalidKey(f"statement format {ext!r} is not one of {', '.join(STATEMENT_FORMATS)}")
    return f"importers/{_match(_BN15, bn15, 'BN15')}/statements/{_match(_PERIOD, period, 'period')}.{ext}"


def broker_statement_key(bn9: str, period: str) -> str:
    return f"brokers/{_match(_BN9, bn9, 'BN9')}/statements/{_match(_PERIOD, period, 'period')}.xml"


def finance_key(period: str, name: str) -> str:
    """``finance/<period>/<name>``, e.g. ``finance_key("2025-06", "reconciliation.csv")``."""
    return f"finance/{_match(_PERIOD, period, 'period')}/{_segment(name, 'file name')}"
