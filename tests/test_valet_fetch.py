"""``carm refdata fetch-fx`` and the ``carm_fx_rates`` task against a local Valet server, never the internet.

The server (``http.server`` on 127.0.0.1, in a thread) replays the Bank of Canada's real answers: the shipped
2024-2025 observations (copies of spec/../reference/boc_fx, Source: Bank of Canada) in the shape of the Valet
group endpoint, cut to the requested dates. A user's reference folder holding a ``valet_fx_daily_2025.json``
cut at 2025-06-30 stands for rates not fetched since then (it replaces the shipped file of that name).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from pipeline.cli import build_app
from pipeline.config import Settings, shipped_reference_dir
from pipeline.errors import ConfigurationError, TransientError
from pipeline.orchestration.fx_task import (
    RatesNotPublished,
    bank_closure,
    fetch_day_rates,
    rates_day,
    run_fx_task,
)
from pipeline.reference import load_reference
from pipeline.reference.fx import add_days

SHIPPED = shipped_reference_dir()
YEAR_2025 = "valet_fx_daily_2025.json"
CUT = "2025-06-30"


def shipped(name: str) -> dict:
    return json.loads((SHIPPED / name).read_text(encoding="utf-8"))


def real_observations() -> dict[str, dict]:
    days: dict[str, dict] = {}
    for name in ("valet_fx_daily_2024.json", YEAR_2025):
        for observation in shipped(name)["observations"]:
            days[observation["d"]] = observation
    return dict(sorted(days.items()))


class Valet:
    """What the local server answers, and the requests it saw."""

    def __init__(self) -> None:
        self.observations = real_observations()
        self.details = shipped(YEAR_2025)["seriesDetail"]
        self.withheld: set[str] = set()  # days the Bank has not published yet
        self.fail_with: int | None = None
        self.body: bytes | None = None
        self.requests: list[str] = []

    def answer(self, path: str) -> tuple[int, bytes]:
        self.requests.append(path)
        parts = urlsplit(path)
        if self.fail_with:
            return self.fail_with, b'{"message": "Service Unavailable"}'
        if self.body is not None:
            return 200, self.body
        if parts.path != "/valet/observations/group/FX_RATES_DAILY/json":
            return 404, b'{"message": "Group not found", "docs": "https://www.bankofcanada.ca/valet/docs"}'
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        start, end = query["start_date"], query["end_date"]
        observations = [o for d, o in self.observations.items() if start <= d <= end and d not in self.withheld]
        document = {
            "groupDetail": {"name": "FX_RATES_DAILY", "label": "Daily exchange rates",
                            "description": "Daily average exchange rates - published once each business day by "
                                           "12:30 ET. All Bank of Canada exchange rates are indicative rates only.",
                            "link": "https://www.bankofcanada.ca/rates/exchange/daily-exchange-rates"},
            "terms": {"url": "https://www.bankofcanada.ca/terms/"},
            "seriesDetail": self.details,
            "observations": observations,
        }
        return 200, json.dumps(document).encode()


@pytest.fixture()
def valet() -> Iterator[tuple[Valet, str]]:
    state = Valet()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            status, body = state.answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/valet"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def refdata(tmp_path: Path) -> Path:
    """A user's reference folder whose 2025 rates stop at 2025-06-30."""
    folder = tmp_path / "refdata"
    folder.mkdir()
    document = shipped(YEAR_2025)
    document["observations"] = [o for o in document["observations"] if o["d"] <= CUT]
    (folder / YEAR_2025).write_text(json.dumps(document, indent=4), encoding="utf-8")
    return folder


def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def carm(args: list[str], env: dict[str, str]):  # noqa: ANN201
    """``carm refdata …`` as a user runs it."""
    return CliRunner().invoke(build_app(), ["refdata", *args], env={"CARM_DEBUG": "", "CARM_AS_OF": "", **env})


def usd(folder: Path, on: str) -> Decimal | None:
    rate = load_reference(folder).exchange_rates.rate_for("USD", date.fromisoformat(on))
    return rate.rate if rate else None


# -- carm refdata fetch-fx -----------------------------------------------------------------------------------------

def test_fetch_adds_the_missing_days_exactly_as_the_bank_published_them(valet, refdata: Path) -> None:
    state, url = valet
    assert usd(refdata, "2025-11-20") is None  # more than 7 days after the 2025-06-30 rate: B14 until fetched
    result = carm(["fetch-fx", "--end", "2025-12-31"], {"CARM_REFDATA_DIR": str(refdata), "CARM_VALET_URL": url})
    assert result.exit_code == 0, result.output
    # The default start is the day after the latest rate stored.
    assert state.requests == ["/valet/observations/group/FX_RATES_DAILY/json?start_date=2025-07-01"
                              "&end_date=2025-12-31"]
    assert f"added 123 day(s) to {refdata / YEAR_2025}: 2025-07-02 .. 2025-12-30" in result.output
    assert "latest rate now 2025-12-30" in result.output
    # The folder now holds what the Bank published: the same observations as the shipped real file.
    assert json.loads((refdata / YEAR_2025).read_text())["observations"] == shipped(YEAR_2025)["observations"]
    assert usd(refdata, "2025-11-20") == Decimal("1.4080")
    assert load_reference(refdata).exchange_rates.series == load_reference().exchange_rates.series


def test_a_second_fetch_adds_nothing_and_rewrites_no_day(valet, refdata: Path) -> None:
    _, url = valet
    env = {"CARM_REFDATA_DIR": str(refdata), "CARM_VALET_URL": url}
    assert carm(["fetch-fx", "--end", "2025-12-31"], env).exit_code == 0
    before = (refdata / YEAR_2025).read_bytes()
    again = carm(["fetch-fx", "--start", "2025-12-01", "--end", "2025-12-31", "--json"], env)
    assert again.exit_code == 0, again.output
    report = json.loads(again.output)
    assert report["added"] == {} and report["kept"][0] == "2025-12-01" and report["latest"] == "2025-12-30"
    assert (refdata / YEAR_2025).read_bytes() == before


def test_a_stored_day_is_never_rewritten_even_if_the_bank_answers_otherwise(valet, refdata: Path) -> None:
    _, url = valet
    document = json.loads((refdata / YEAR_2025).read_text())
    document["observations"][-1]["FXUSDCAD"]["v"] = "1.2345"  # 2025-06-30 as this folder holds it
    (refdata / YEAR_2025).write_text(json.dumps(document), encoding="utf-8")
    result = carm(["fetch-fx", "--start", "2025-06-27", "--end", "2025-07-03", "--dir", str(refdata)],
                  {"CARM_VALET_URL": url})
    assert result.exit_code == 0, result.output
    assert "2 day(s) already stored, left as they were: 2025-06-27 .. 2025-06-30" in result.output
    assert "added 2 day(s)" in result.output  # 07-02, 07-03 (07-01 is Canada Day)
    assert usd(refdata, "2025-06-30") == Decimal("1.2345")
    assert usd(refdata, "2025-07-03") == Decimal("1.3575")


def test_offline_is_one_clear_line_and_exit_code_2(refdata: Path) -> None:
    before = (refdata / YEAR_2025).read_bytes()
    url = f"http://127.0.0.1:{closed_port()}/valet"
    result = carm(["fetch-fx", "--end", "2025-07-10"], {"CARM_REFDATA_DIR": str(refdata), "CARM_VALET_URL": url})
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot reach the Bank of Canada Valet API at {url}/")
    assert "Traceback" not in result.output
    assert (refdata / YEAR_2025).read_bytes() == before


@pytest.mark.parametrize(("fail_with", "body", "words"), [
    (503, None, "answered HTTP 503"),
    (None, b"<html>captive portal</html>", "not JSON"),
    (None, b'{"observations": [{"d": "2025-07-02", "FXUSDCAD": {"v": "one"}}]}', "'one' is not a decimal number"),
])
def test_a_bad_answer_is_one_clear_line_and_changes_nothing(valet, refdata: Path, fail_with, body, words) -> None:
    state, url = valet
    state.fail_with, state.body = fail_with, body
    before = (refdata / YEAR_2025).read_bytes()
    result = carm(["fetch-fx", "--end", "2025-07-10"], {"CARM_REFDATA_DIR": str(refdata), "CARM_VALET_URL": url})
    assert result.exit_code == 2 and words in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert (refdata / YEAR_2025).read_bytes() == before


def test_the_shipped_data_is_never_the_target(valet) -> None:
    _, url = valet
    result = carm(["fetch-fx", "--end", "2026-01-10"], {"CARM_REFDATA_DIR": "", "CARM_VALET_URL": url})
    assert result.exit_code == 2 and "set CARM_REFDATA_DIR" in result.output, result.output


def test_a_year_the_folder_lacks_starts_with_the_answers_series_details() -> None:
    answer = {"terms": {"url": "https://www.bankofcanada.ca/terms/"},
              "seriesDetail": {"FXUSDCAD": {"label": "USD/CAD"}},
              "observations": [{"d": "2026-01-02", "FXUSDCAD": {"v": "1.3700"}}]}
    update = add_days(answer, frozenset(), {"valet_fx_daily_2026.json": None}, "answer")
    assert update.added == {"valet_fx_daily_2026.json": (date(2026, 1, 2),)}
    assert update.documents["valet_fx_daily_2026.json"] == answer


# -- the carm_fx_rates task --------------------------------------------------------------------------------------

def test_the_rates_day_is_today_after_1630_eastern_else_yesterday() -> None:
    assert rates_day(datetime(2025, 7, 8, 21, 0, tzinfo=UTC)) == date(2025, 7, 8)  # 17:00 EDT
    assert rates_day(datetime(2025, 7, 8, 20, 0, tzinfo=UTC)) == date(2025, 7, 7)  # 16:00 EDT
    assert rates_day(datetime(2025, 12, 9, 22, 0)) == date(2025, 12, 9)  # naive = UTC; 17:00 EST


def test_the_bank_closure_calendar_is_the_real_one() -> None:
    """Every weekday of 2024-2025 without real rates is a closure, and no closure has rates (2025-12-31 is the
    day after the archive was taken)."""
    published = set(real_observations())
    day, mismatches = date(2024, 1, 1), []
    while day < date(2025, 12, 31):
        if (bank_closure(day) is None) != (day.isoformat() in published):
            mismatches.append(day)
        day = day.fromordinal(day.toordinal() + 1)
    assert mismatches == []
    assert bank_closure(date(2025, 8, 4)) == "Civic Holiday" and bank_closure(date(2025, 7, 5)) == "Saturday"


def test_the_task_catches_up_to_its_day(valet, refdata: Path) -> None:
    _, url = valet
    result = fetch_day_rates(date(2025, 7, 8), refdata, url)
    assert result["added"] == {YEAR_2025: ["2025-07-02", "2025-07-03", "2025-07-04", "2025-07-07", "2025-07-08"]}
    assert result["closed"] is None and result["latest"] == "2025-07-08"


def test_the_task_fails_clearly_when_the_bank_was_open_and_published_nothing(valet, refdata: Path) -> None:
    state, url = valet
    state.withheld = {"2025-07-08"}
    with pytest.raises(RatesNotPublished) as failure:
        fetch_day_rates(date(2025, 7, 8), refdata, url)
    assert isinstance(failure.value, TransientError)  # the Bank may be late: Airflow retries first
    assert str(failure.value).startswith("the Bank of Canada has published no exchange rates for 2025-07-08, a "
                                         "business day")
    assert "latest stored: 2025-07-07" in str(failure.value)  # what it did get is kept
    assert usd(refdata, "2025-07-07") == Decimal("1.3656")


@pytest.mark.parametrize(("day", "closed"), [("2025-07-01", "Canada Day"), ("2025-07-05", "Saturday")])
def test_no_publication_on_a_day_the_bank_is_closed_is_not_an_error(valet, refdata: Path, day, closed) -> None:
    _, url = valet
    result = fetch_day_rates(date.fromisoformat(day), refdata, url)
    assert result["closed"] == closed and result["day"] == day


def test_the_task_body_reads_its_folder_and_the_bank_from_the_configuration(valet, refdata: Path, monkeypatch,
                                                                             caplog) -> None:
    state, url = valet
    monkeypatch.setenv("CARM_REFDATA_DIR", str(refdata))
    monkeypatch.setenv("CARM_VALET_URL", url)
    caplog.set_level("INFO", logger="carm.dags")
    result = run_fx_task(datetime(2025, 7, 4, 21, 0, tzinfo=UTC))  # the 17:00 Eastern run of Friday 2025-07-04
    assert result["day"] == "2025-07-04" and result["latest"] == "2025-07-04"
    assert "rates day 2025-07-04: 3 day(s) added, latest 2025-07-04" in caplog.text
    state.withheld = {"2025-07-07"}
    with pytest.raises(RatesNotPublished):  # re-raised unchanged: Airflow retries it with backoff
        run_fx_task(datetime(2025, 7, 7, 21, 0, tzinfo=UTC))
    assert run_fx_task(datetime(2025, 7, 7, 12, 0, tzinfo=UTC), "2025-07-05")["closed"] == "Saturday"


def test_the_valet_url_is_configurable_and_checked() -> None:
    assert Settings.from_env({}).valet_url == "https://www.bankofcanada.ca/valet"
    assert Settings.from_env({"CARM_VALET_URL": "http://127.0.0.1:8080/valet"}).valet_url.endswith(":8080/valet")
    with pytest.raises(ConfigurationError, match="CARM_VALET_URL='ftp://mirror/valet'"):
        Settings.from_env({"CARM_VALET_URL": "ftp://mirror/valet"})


def test_the_default_end_is_the_business_date(valet, refdata: Path) -> None:
    state, url = valet
    env = {"CARM_REFDATA_DIR": str(refdata), "CARM_VALET_URL": url, "CARM_AS_OF": "2025-07-04T18:00"}
    result = carm(["fetch-fx"], env)
    assert result.exit_code == 0, result.output
    assert state.requests == ["/valet/observations/group/FX_RATES_DAILY/json?start_date=2025-07-01"
                              "&end_date=2025-07-04"]
    assert "added 3 day(s)" in result.output  # 07-02, 07-03, 07-04 (07-01 is Canada Day)
    assert carm(["fetch-fx", "--start", "2025-07-05", "--end", "2025-07-04"], env).exit_code == 2
