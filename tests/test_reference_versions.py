"""Reference versions (issue 10, item 6): a reference load knows the SHA-256 of every file it read, every posted
line records the tariff edition and file digest and the exchange rate (series, day, value) it was assessed with,
and ``carm refdata impact DIR`` lists exactly the posted declarations a change in DIR would assess differently
(SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.assess import assess_declarations
from pipeline.intake import run_intake
from pipeline.intake.explanations import line_explanations
from pipeline.ledger import DeclarationRecord, LineAssessment
from pipeline.reference import SHIPPED_DATA, load_reference
from pipeline.runtime import Runtime
from tests.model_samples import SENDER, valid_line
from tests.test_intake_support import cad, drop, edifact, runtime_on, transaction

AS_OF = "2025-05-06T17:00"
TRICYCLES, DOLLS = "9503001010", "9503009011"
#: transaction → (classification, currency, shipment date): two goods × two currencies × two shipment days
SHIPMENTS = {
    transaction(1): (TRICYCLES, "USD", "2025-05-01"),
    transaction(2): (DOLLS, "USD", "2025-05-02"),
    transaction(3): (DOLLS, "EUR", "2025-05-01"),
    transaction(4): (TRICYCLES, "EUR", "2025-05-02"),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def declarations() -> list:
    return [
        cad(number=number, index=index, currency=currency, shipment_date=shipped,
            lines=(valid_line(1, classification=classification),))
        for index, (number, (classification, currency, shipped)) in enumerate(SHIPMENTS.items(), 1)
    ]


@pytest.fixture
def runtime(ledger_url: str, tmp_path: Path) -> Iterator[Runtime]:
    yield from runtime_on(ledger_url, tmp_path)


@pytest.fixture
def posted(runtime: Runtime, carm) -> Runtime:  # noqa: ANN001 - conftest's command-line fixture
    """The four declarations posted with the shipped reference data."""
    drop(runtime, f"{SENDER}/four.edi", edifact(*declarations()))
    summary = run_intake(runtime, as_of=AS_OF)
    assert summary.failed == 0
    with Session(runtime.engine) as session:
        accepted = session.scalars(select(DeclarationRecord.transaction_number)
                                   .where(DeclarationRecord.status == "accepted")).all()
    assert sorted(accepted) == sorted(SHIPMENTS), "every sample declaration must be accepted and posted"
    return runtime


@pytest.fixture
def copy_of_shipped(tmp_path: Path) -> Path:
    """A reference directory holding copies of the shipped tariff and exchange-rate files."""
    directory = tmp_path / "refdata"
    directory.mkdir()
    for name in ("tariff.csv", "valet_fx_daily_2024.json", "valet_fx_daily_2025.json"):
        shutil.copyfile(SHIPPED_DATA / name, directory / name)
    return directory


def impact(carm, directory: Path) -> tuple[int, dict]:  # noqa: ANN001
    code, out, err = carm("refdata", "impact", str(directory), "--json")
    assert code in (0, 1), err
    return code, json.loads(out)


def affected(document: dict) -> set[str]:
    return {declaration["transaction_number"] for declaration in document["declarations"]}


def change_fx(directory: Path, day: str, series: str, value: str) -> None:
    path = directory / f"valet_fx_daily_{day[:4]}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    (observation,) = [o for o in document["observations"] if o["d"] == day]
    observation[series] = {"v": value}
    path.write_text(json.dumps(document), encoding="utf-8")


# --- a load knows its versions -----------------------------------------------------------------------------


def test_a_load_records_the_sha256_of_every_file_it_read(copy_of_shipped: Path) -> None:
    reference = load_reference(copy_of_shipped)
    (edition,) = reference.tariff.editions
    assert (edition.name, edition.sha256) == ("tariff.csv", sha256(copy_of_shipped / "tariff.csv"))
    assert reference.tariff.lookup(TRICYCLES, date(2025, 5, 5)).edition_sha256 == edition.sha256
    fx = {Path(file.path).name: file.sha256 for file in reference.files["exchange_rates"]}
    assert fx == {name: sha256(copy_of_shipped / name) for name in ("valet_fx_daily_2024.json",
                                                                      "valet_fx_daily_2025.json")}
    assert Path(reference.exchange_rates.file_of("USD", date(2025, 5, 1)).path).name == "valet_fx_daily_2025.json"
    assert reference.files["sima"][0].sha256 == sha256(SHIPPED_DATA / "sima_measures.csv")
    assert set(reference.files) >= {"tariff", "exchange_rates", "treatments", "units", "surtaxes", "gst_rate"}


def test_the_explanation_of_a_batch_names_the_valet_file_when_given_the_reference() -> None:
    reference = load_reference(None)
    assessment = assess_declarations(tuple(declarations()), reference)
    first = line_explanations(assessment, reference)[0]["versions"]
    assert first["exchange_rate"] == {
        "series": "FXUSDCAD", "published": "2025-05-01", "rate": str(reference.exchange_rates.rate_for(
            "USD", date(2025, 5, 1)).rate), "file": "valet_fx_daily_2025.json",
        "sha256": sha256(SHIPPED_DATA / "valet_fx_daily_2025.json")}
    assert first["tariff"] == {"edition": "tariff.csv", "sha256": sha256(SHIPPED_DATA / "tariff.csv")}


# --- posted lines record them ------------------------------------------------------------------------------


def test_every_posted_line_records_the_tariff_edition_digest_and_exchange_rate_day(posted: Runtime) -> None:
    with Session(posted.engine) as session:
        rows = session.execute(select(DeclarationRecord.transaction_number, LineAssessment.explanation)
                               .join(LineAssessment, LineAssessment.declaration_id == DeclarationRecord.id)).all()
    assert len(rows) == len(SHIPMENTS)
    for number, explanation in rows:
        classification, currency, shipped = SHIPMENTS[number]
        versions = explanation["versions"]
        assert versions["tariff"] == {"edition": "tariff.csv", "sha256": sha256(SHIPPED_DATA / "tariff.csv")}
        assert versions["shipped"] == shipped
        assert (versions["exchange_rate"]["series"], versions["exchange_rate"]["published"]) == (
            f"FX{currency}CAD", shipped)
        rates_file = f"valet_fx_daily_{shipped[:4]}.json"
        assert (versions["exchange_rate"]["file"], versions["exchange_rate"]["sha256"]) == (
            rates_file, sha256(SHIPPED_DATA / rates_file))


# --- carm refdata impact ------------------------------------------------------------------------------------


def test_an_unchanged_copy_of_the_reference_data_affects_no_declaration(posted: Runtime, carm,  # noqa: ANN001
                                                                        copy_of_shipped: Path) -> None:
    code, document = impact(carm, copy_of_shipped)
    assert code == 0
    assert (document["lines_checked"], document["declarations_affected"], document["declarations"]) == (4, 0, [])


def test_a_changed_tariff_rate_lists_exactly_the_declarations_using_it(posted: Runtime, carm,  # noqa: ANN001
                                                                       copy_of_shipped: Path) -> None:
    tariff = copy_of_shipped / "tariff.csv"
    text = tariff.read_text(encoding="utf-8")
    assert text.count("9503.00.10.10,Tricycles (wheeled toys ridden by children),NMB,8%,") == 1
    tariff.write_text(text.replace("9503.00.10.10,Tricycles (wheeled toys ridden by children),NMB,8%,",
                                   "9503.00.10.10,Tricycles (wheeled toys ridden by children),NMB,9%,"),
                      encoding="utf-8")
    code, document = impact(carm, copy_of_shipped)
    assert code == 1
    assert affected(document) == {transaction(1), transaction(4)}
    (line,) = document["declarations"][0]["lines"]
    assert "'8%' (edition tariff.csv) → '9%'" in line["changes"][0]
    assert document["declarations"][0]["importer"] and document["declarations"][0]["version"] == 1
    _, out, _ = carm("refdata", "impact", str(copy_of_shipped))
    assert f"{transaction(1)} version 1" in out and transaction(2) not in out


def test_a_changed_exchange_rate_lists_exactly_those_shipped_that_day_in_that_currency(
        posted: Runtime, carm, copy_of_shipped: Path) -> None:  # noqa: ANN001
    change_fx(copy_of_shipped, "2025-05-01", "FXUSDCAD", "1.5000")
    change_fx(copy_of_shipped, "2025-05-02", "FXEURCAD", "1.6000")
    code, document = impact(carm, copy_of_shipped)
    assert code == 1
    assert affected(document) == {transaction(1), transaction(4)}
    changes = {d["transaction_number"]: d["lines"][0]["changes"] for d in document["declarations"]}
    assert changes[transaction(1)] == [changes[transaction(1)][0]] and "→ 1.5000 published 2025-05-01" in \
        changes[transaction(1)][0]


def test_impact_of_a_directory_that_cannot_be_loaded_is_one_line_and_exit_code_2(carm, tmp_path: Path) -> None:  # noqa: ANN001
    code, out, err = carm("refdata", "impact", str(tmp_path / "missing"))
    assert code == 2 and "does not exist" in err and len(err.strip().splitlines()) == 1
