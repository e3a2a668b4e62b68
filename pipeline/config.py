"""Configuration: the environment variables of spec/interfaces.md, each with its embedded default.

``Settings.from_env()`` is the only place that reads them (with ``debug_requested()``, see there): commands and DAG
tasks build one at their edge and hand it down, and a test keeps every other module off ``os.environ``. Values
are checked here, once, so that a typo stops a command before it touches a store or the database, with a message
naming the variable (exit code 2 in the CLI).
An empty variable counts as unset: ``CARM_DB_URL= carm intake`` means "the default", as shells make it easy to
blank a variable but awkward to unset it for one command.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pipeline.errors import ConfigurationError

#: The business clock of the whole system: CBSA's Eastern time (billing.md, payment cut-offs; interfaces.md).
EASTERN = ZoneInfo("America/Toronto")

DEFAULT_HOME = "./var"
DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024  # S11 (codes.md): 50 MiB
#: The Bank of Canada Valet API (spec/reference-data.md); ``CARM_VALET_URL`` points elsewhere (a mirror, tests).
DEFAULT_VALET_URL = "https://www.bankofcanada.ca/valet"
#: Inbound files per mapped ``process_batch`` task of the intake DAG (``CARM_INTAKE_BATCH_SIZE``). Mapping per
#: batch keeps a run far below Airflow's ``max_map_length`` (1024) and the scheduler's comfort zone (a few hundred
#: mapped instances) even for tens of thousands of files, while one batch still finishes in seconds to minutes.
DEFAULT_INTAKE_BATCH_SIZE = 50
MAX_INTAKE_BATCH_SIZE = 10_000
#: CBSA's CARM transition waiver: no arrears interest or late-payment penalty for a day before this one
#: (``CARM_INTEREST_WAIVER_UNTIL``). The billing core's ``DEFAULT_WAIVER_UNTIL`` is this date (config is
#: standard library only, so every command starts without numpy).
DEFAULT_INTEREST_WAIVER_UNTIL = date(2026, 1, 31)

_AS_OF_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M")
_DB_URL = re.compile(r"^[a-z][a-z0-9]*(\+[a-z0-9_]+)?://", re.IGNORECASE)


def shipped_reference_dir() -> Path:
    """The reference data shipped inside the package (the default of ``CARM_REFDATA_DIR``)."""
    return Path(__file__).resolve().parent / "reference" / "data"


def parse_as_of(text: str, variable: str = "CARM_AS_OF") -> datetime:
    """``YYYY-MM-DD[THH:MM]`` as an aware datetime in Eastern time; a bare date means the start of that day.

    The CLI's ``--as-of`` uses this too (``variable="--as-of"``), so both spellings accept exactly the same text.
    """
    for pattern in _AS_OF_FORMATS:
        try:
            naive = datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
        return naive.replace(tzinfo=EASTERN)
    raise ConfigurationError(f"{variable}={text!r}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM (Eastern time)")


def debug_requested(environ: Mapping[str, str] | None = None) -> bool:
    """``CARM_DEBUG`` set to anything: the CLI lets an internal error's traceback through instead of one line.

    Read here on its own besides ``Settings.from_env`` (``Settings.debug``) because the CLI's last line of defence
    needs it whatever else is wrong: a mistyped variable elsewhere must not hide the traceback that was asked for.
    """
    return bool((os.environ if environ is None else environ).get("CARM_DEBUG"))


def check_store_url(url: str, variable: str) -> str:
    """A bucket URL must be ``file://`` (a local folder) or ``s3://bucket[/prefix]``."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ConfigurationError(f"{variable}={url!r}: a file URL needs an absolute path (file:///srv/carm/…)")
    elif parts.scheme == "s3":
        if not parts.netloc:
            raise ConfigurationError(f"{variable}={url!r}: an s3 URL needs a bucket (s3://bucket[/prefix])")
    else:
        raise ConfigurationError(f"{variable}={url!r}: only file:// and s3:// URLs are supported")
    return url


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path
    db_url: str
    inbound_url: str
    outbound_url: str
    archive_url: str
    refdata_dir: Path
    aws_endpoint_url: str | None = None
    as_of: datetime | None = None  # None: "now", read by the command at the moment it acts
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    valet_url: str = DEFAULT_VALET_URL
    intake_batch_size: int = DEFAULT_INTAKE_BATCH_SIZE  # read by the intake DAG's discovery task, at run time
    interest_waiver_until: date = DEFAULT_INTEREST_WAIVER_UNTIL  # what a period close uses unless told otherwise
    debug: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name)
            return value if value not in (None, "") else None

        # Relative homes are resolved once, here, so every derived URL is absolute and means the same thing
        # whatever folder a later task runs in.
        home = Path(os.path.abspath(os.path.expanduser(get("CARM_HOME") or DEFAULT_HOME)))
        buckets = home / "buckets"

        db_url = get("CARM_DB_URL") or f"sqlite:///{home / 'carm.db'}"
        if not _DB_URL.match(db_url):
            raise ConfigurationError(
                f"CARM_DB_URL={db_url!r}: expected a database URL such as sqlite:///path or "
                "postgresql+psycopg://user@host/db"
            )

        urls = {}
        for variable, folder in (
            ("CARM_INBOUND_URL", "inbound"),
            ("CARM_OUTBOUND_URL", "outbound"),
            ("CARM_ARCHIVE_URL", "archive"),
        ):
            urls[variable] = check_store_url(get(variable) or (buckets / folder).as_uri(), variable)

        refdata = get("CARM_REFDATA_DIR")
        refdata_dir = Path(os.path.abspath(os.path.expanduser(refdata))) if refdata else shipped_reference_dir()

        endpoint = get("AWS_ENDPOINT_URL")
        if endpoint is not None:
            parts = urlsplit(endpoint)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigurationError(f"AWS_ENDPOINT_URL={endpoint!r}: expected http(s)://host[:port]")

        valet_url = get("CARM_VALET_URL") or DEFAULT_VALET_URL
        parts = urlsplit(valet_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(f"CARM_VALET_URL={valet_url!r}: expected http(s)://host[:port][/path]")

        as_of_text = get("CARM_AS_OF")
        as_of = parse_as_of(as_of_text) if as_of_text else None

        max_text = get("CARM_MAX_FILE_BYTES")
        max_file_bytes = DEFAULT_MAX_FILE_BYTES
        if max_text is not None:
            if not re.fullmatch(r"[0-9]+", max_text.strip()) or int(max_text) <= 0:
                raise ConfigurationError(f"CARM_MAX_FILE_BYTES={max_text!r}: expected a positive whole number of bytes")
            max_file_bytes = int(max_text)

        batch_text = (get("CARM_INTAKE_BATCH_SIZE") or "").strip()
        intake_batch_size = DEFAULT_INTAKE_BATCH_SIZE
        if batch_text:
            if not re.fullmatch(r"[0-9]+", batch_text) or not 1 <= int(batch_text) <= MAX_INTAKE_BATCH_SIZE:
                raise ConfigurationError(
                    f"CARM_INTAKE_BATCH_SIZE={batch_text!r}: expected a whole number from 1 to {MAX_INTAKE_BATCH_SIZE}"
                )
            intake_batch_size = int(batch_text)

        waiver_text = get("CARM_INTEREST_WAIVER_UNTIL")
        interest_waiver_until = DEFAULT_INTEREST_WAIVER_UNTIL
        if waiver_text is not None:
            try:
                interest_waiver_until = date.fromisoformat(waiver_text)
            except ValueError:
                raise ConfigurationError(
                    f"CARM_INTEREST_WAIVER_UNTIL={waiver_text!r}: expected a date YYYY-MM-DD"
                ) from None

        return cls(
            home=home,
            db_url=db_url,
            inbound_url=urls["CARM_INBOUND_URL"],
            outbound_url=urls["CARM_OUTBOUND_URL"],
            archive_url=urls["CARM_ARCHIVE_URL"],
            refdata_dir=refdata_dir,
            aws_endpoint_url=endpoint,
            as_of=as_of,
            max_file_bytes=max_file_bytes,
            valet_url=valet_url,
            intake_batch_size=intake_batch_size,
            interest_waiver_until=interest_waiver_until,
            debug=debug_requested(env),
        )

    @property
    def business_date(self) -> date | None:
        """The date part of ``as_of`` (Eastern), or None when the command should act on today."""
        return self.as_of.date() if self.as_of is not None else None

    @property
    def user_refdata_dir(self) -> Path | None:
        """The user's reference folder (``CARM_REFDATA_DIR``), or None when the shipped data is used."""
        return None if self.refdata_dir == shipped_reference_dir() else self.refdata_dir
