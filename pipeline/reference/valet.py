"""The Bank of Canada Valet API: the daily exchange rates of the ``FX_RATES_DAILY`` group, over HTTP.

``GET {base}/observations/group/FX_RATES_DAILY/json?start_date=YYYY-MM-DD&end_date=YYYY-MM-DD`` answers
``{"groupDetail", "terms", "seriesDetail", "observations": [{"d": "2025-06-02", "FXUSDCAD": {"v": "1.3713"},
...}]}`` (spec/reference-data.md). The base URL comes from ``CARM_VALET_URL`` (``Settings.valet_url``), so tests
and mirrors point it elsewhere. Standard library only (``urllib``): one GET per fetch needs nothing more.

Faults: the Bank unreachable, a timeout or a 5xx answer is a ``ValetUnreachable`` (transient: retried by the
DAG, one line for a user); any other answer that is not a Valet document is a ``ValetAnswerError`` (terminal).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from pipeline.errors import ConfigurationError, ReferenceDataError, TerminalError, TransientError
from pipeline.reference.codelists import currency_minor_units
from pipeline.reference.fx import add_days, exchange_rates_of, load_exchange_rates, observed_days, yearly_file
from pipeline.reference.loader import FX_FILES, SHIPPED_DATA, _Files

FX_GROUP = "FX_RATES_DAILY"
TIMEOUT_SECONDS = 30
_USER_AGENT = "carm-pipeline (Bank of Canada Valet client)"


class ValetUnreachable(TransientError):
    """The Valet API did not answer (network down, timeout, server error): retrying may help."""


class ValetAnswerError(TerminalError):
    """The Valet API answered, but not with observations (bad request, not JSON, another shape)."""


def observations_url(base_url: str, start: date, end: date, group: str = FX_GROUP) -> str:
    query = urlencode({"start_date": start.isoformat(), "end_date": end.isoformat()})
    return f"{base_url.rstrip('/')}/observations/group/{group}/json?{query}"


def fetch_observations(
    base_url: str, start: date, end: date, *, group: str = FX_GROUP, timeout: float = TIMEOUT_SECONDS
) -> dict:
    """The Valet document of ``group`` from ``start`` to ``end`` (inclusive), values as the Bank's strings."""
    url = observations_url(base_url, start, end, group)
    request = Request(url, headers={"Accept": "application/json", "User-Agent": _USER_AGENT})
    try:
        with urlopen(request, timeout=timeout) as answer:  # noqa: S310 - the URL is http(s) (config checks it)
            body = answer.read()
    except HTTPError as error:
        kind = ValetUnreachable if error.code >= 500 else ValetAnswerError
        raise kind(f"Bank of Canada Valet API answered HTTP {error.code} {error.reason} for {url}") from None
    except URLError as error:
        raise ValetUnreachable(f"cannot reach the Bank of Canada Valet API at {url}: {error.reason}") from None
    except (TimeoutError, ConnectionError) as error:
        raise ValetUnreachable(f"cannot reach the Bank of Canada Valet API at {url}: {error}") from None
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValetAnswerError(f"the Bank of Canada Valet API answered something that is not JSON for {url}") from None
    if not isinstance(document, dict) or not isinstance(document.get("observations"), list):
        raise ValetAnswerError(f"the Bank of Canada Valet API answer for {url} has no observations list")
    return document


# --- the use case: fetch what is missing and add it to the files ----------------------------------------------


@dataclass(frozen=True, slots=True)
class FetchReport:
    """What ``fetch_fx_rates`` asked the Bank for and what it added."""

    directory: Path
    start: date
    end: date
    published: tuple[date, ...]  # the days the Bank answered with
    added: Mapping[str, tuple[date, ...]]  # file name -> days added to it
    kept: tuple[date, ...]  # days answered that were already stored, left as they were
    latest: date | None  # the latest day stored after the fetch

    @property
    def added_days(self) -> tuple[date, ...]:
        return tuple(sorted(day for days in self.added.values() for day in days))

    def as_json(self) -> dict:
        return {
            "directory": str(self.directory),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "published": [day.isoformat() for day in self.published],
            "added": {name: [day.isoformat() for day in days] for name, days in sorted(self.added.items())},
            "kept": [day.isoformat() for day in self.kept],
            "latest": self.latest.isoformat() if self.latest else None,
        }

    def lines(self) -> list[str]:
        if self.start > self.end:
            return [f"exchange rates are up to date (latest {self.latest}); nothing to fetch"]
        asked = f"Bank of Canada rates {self.start} .. {self.end}: {len(self.published)} day(s) published"
        out = [asked]
        for name, days in sorted(self.added.items()):
            out.append(f"added {len(days)} day(s) to {self.directory / name}: {_span(days)}")
        if not self.added:
            out.append("added nothing")
        if self.kept:
            out.append(f"{len(self.kept)} day(s) already stored, left as they were: {_span(self.kept)}")
        out.append(f"latest rate now {self.latest}")
        return out


def _span(days: tuple[date, ...]) -> str:
    return str(days[0]) if len(days) == 1 else f"{days[0]} .. {days[-1]}"


def fetch_fx_rates(
    directory: Path, base_url: str, end: date, start: date | None = None, *, timeout: float = TIMEOUT_SECONDS
) -> FetchReport:
    """Fetch the daily rates from ``start`` (default: the day after the latest one stored, shipped or in
    ``directory``) to ``end`` and add the days not stored yet to ``directory``'s yearly ``valet_fx_daily_YYYY.json``
    files. A yearly file the directory lacks starts as a copy of the shipped file of that name (the loader lets
    a user's file replace the shipped one, so nothing shipped is lost). Files are replaced atomically, only
    after the Bank's answer is checked as the loader checks a file."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigurationError(f"{directory}: the reference data directory does not exist")
    if directory.resolve() == SHIPPED_DATA.resolve():
        raise ConfigurationError(
            f"{directory} is the package's shipped data: set CARM_REFDATA_DIR (or --dir) to your reference folder"
        )
    currencies = currency_minor_units()
    stored = observed_days(load_exchange_rates(_Files(directory).every(FX_FILES), currencies))
    latest = max(stored, default=None)
    if start is None:
        start = latest + timedelta(days=1) if latest else end
    if start > end:
        return FetchReport(directory, start, end, (), {}, (), latest)
    url = observations_url(base_url, start, end)
    answer = fetch_observations(base_url, start, end, timeout=timeout)
    try:
        published = observed_days(exchange_rates_of([(url, answer)], currencies))
        current = {name: _current(directory, name) for name in {yearly_file(day) for day in published}}
        update = add_days(answer, stored, current, url)
    except ReferenceDataError as error:
        raise ValetAnswerError(f"the Bank of Canada Valet answer is not usable: {error}") from None
    for name, document in update.documents.items():
        _write_atomically(directory / name, document)
    return FetchReport(directory, start, end, tuple(sorted(published)), update.added, tuple(sorted(update.kept)),
                       max([*stored, *published], default=None))


def _current(directory: Path, name: str) -> dict | None:
    for path in (directory / name, SHIPPED_DATA / name):
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    return None


def _write_atomically(path: Path, document: dict) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(document, indent=4, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, path)
