"""Tenant isolation at intake (SQLite and PostgreSQL): no sender touches another importer's transaction, and a
sender not authorized for a transaction learns nothing of it (issue 12, spec/codes.md B23).

A transaction belongs to the importer of its first accepted version. A change or cancellation naming another
importer is B23; so is an original reusing the number (docs/decisions.md). A02, B23 and the importer's own
codes (B01, B02) come before DU and the version checks, whose answers would tell the version, the acceptance or
the existence of someone else's transaction. Each scenario runs across batches, within one batch and within one
file.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pipeline.intake import account, run_intake
from pipeline.intake.records import load_view
from pipeline.ledger import DatabaseHistory, DeclarationStatus
from pipeline.model import Party
from pipeline.registry import Importer, Provider, Registry
from pipeline.runtime import Runtime
from tests import ledger_rows as rows
from tests.model_samples import IMPORTER, SENDER, TRANSACTION
from tests.test_intake_answers import answers_of
from tests.test_intake_support import (
    SECOND_IMPORTER,
    balance,
    cad,
    drop,
    edifact,
    make_runtime,
    outbound,
    postings,
    transaction,
    xml,
)

S1, S2, BROKER = SENDER, "SP00077", "SP00099"  # S1 files for I1 only, S2 for I2 only, BROKER for both
I1, I2 = IMPORTER, SECOND_IMPORTER
UNREGISTERED = "100000017RM0001"  # a valid BN15 no one registered
DAY1, DAY2, DAY3 = "2025-05-06T10:00", "2025-05-07T10:00", "2025-05-08T10:00"
NAMES = {I1: "Acme Imports Ltd", I2: "Second Importer Inc", UNREGISTERED: "Nobody Ltd"}


def tenants() -> Registry:
    return Registry(
        providers={s: Provider(s, f"provider {s}") for s in (S1, S2, BROKER)},
        importers={I1: Importer(I1, NAMES[I1], Decimal("5000.00"), True),
                   I2: Importer(I2, NAMES[I2], Decimal("0.00"), True)},
        authorizations=frozenset({(S1, I1), (S2, I2), (BROKER, I1), (BROKER, I2)}),
    )


@pytest.fixture
def runtime(ledger_url: str, tmp_path: Path) -> Iterator[Runtime]:
    runtime = make_runtime(tmp_path / "home", ledger_url, tenants())
    yield runtime
    runtime.engine.dispose()


def naming(importer: str, **fields: object):  # noqa: ANN201
    """The worked example's CAD, naming ``importer``."""
    return cad(importer=Party("IM", NAMES[importer], id=importer), **fields)  # type: ignore[arg-type]


def change(importer: str, version: int = 2, **fields: object):  # noqa: ANN201
    return naming(importer, version=version, function="4", value="2000.00", **fields)


def cancellation(importer: str, version: int = 2, **fields: object):  # noqa: ANN201
    return naming(importer, version=version, function="1", **fields)


def intake(runtime: Runtime, as_of: str, *files: tuple[str, bytes]) -> None:
    for key, data in files:
        drop(runtime, key, data)
    run_intake(runtime, as_of=as_of)


def told(runtime: Runtime, key: str) -> list[tuple[str, list[str]]]:
    sender, _, name = key.partition("/")
    return [(m["status"], m["codes"]) for m in answers_of(outbound(runtime), sender, name)["messages"]]


def answer_bytes(runtime: Runtime, key: str) -> bytes:
    sender, _, name = key.partition("/")
    return b"".join(data for path, data in outbound(runtime).items()
                    if path.startswith(f"{sender}/responses/{name}."))


def assert_nothing_revealed(runtime: Runtime, key: str) -> None:
    """The answer to ``key`` names neither the owning importer nor an accepted version or amount of I1's
    transaction (what the sender sent itself is its own)."""
    text = answer_bytes(runtime, key)
    assert text, f"no answer to {key}"
    assert I1.encode() not in text
    assert b"accepted version" not in text
    for message in answers_of(outbound(runtime), *key.split("/", 1))["messages"]:
        assert message["totals"] == {} and not any(message["lines"].values())


def owes(runtime: Runtime, importer: str) -> Decimal:
    return Decimal(account(runtime, importer)["balance"])


# --- the attack of issue 12, across batches, in one batch, in one file -----------------------------------------

def test_a_cancellation_naming_its_own_importer_cannot_cancel_another_tenants_transaction(runtime: Runtime) -> None:
    intake(runtime, DAY1, (f"{S1}/original.edi", edifact(naming(I1), reference="A1")))
    owed = owes(runtime, I1)
    assert owed > 0
    posted = [p.id for p in postings(runtime)]

    intake(runtime, DAY2, (f"{S2}/cancel.edi", edifact(cancellation(I2), reference="B1", sender=S2)))
    assert told(runtime, f"{S2}/cancel.edi") == [("RE", ["B23"])]
    assert_nothing_revealed(runtime, f"{S2}/cancel.edi")
    assert [p.id for p in postings(runtime)] == posted
    assert owes(runtime, I1) == owed
    assert account(runtime, I2)["postings"] == []

    # The real sender's own change is the next version, accepted (it was answered DU when the attack succeeded).
    intake(runtime, DAY3, (f"{S1}/change.edi", edifact(change(I1), reference="A2")))
    assert told(runtime, f"{S1}/change.edi") == [("AC", [])]
    assert {p.version for p in postings(runtime, TRANSACTION)} == {1, 2}
    assert owes(runtime, I1) == balance(runtime, TRANSACTION) > owed


def test_the_attack_fails_when_the_original_was_accepted_earlier_in_the_same_batch(runtime: Runtime) -> None:
    intake(runtime, DAY1, (f"{S1}/original.edi", edifact(naming(I1), reference="A1")),
           (f"{S2}/cancel.xml", xml(cancellation(I2), reference="B1", sender=S2)))
    assert told(runtime, f"{S1}/original.edi") == [("AC", [])]
    assert told(runtime, f"{S2}/cancel.xml") == [("RE", ["B23"])]
    assert_nothing_revealed(runtime, f"{S2}/cancel.xml")
    assert {(p.version, p.importer_bn15) for p in postings(runtime)} == {(1, I1)}
    assert account(runtime, I2)["postings"] == []
    intake(runtime, DAY2, (f"{S1}/change.edi", edifact(change(I1), reference="A2")))
    assert told(runtime, f"{S1}/change.edi") == [("AC", [])]


def test_a_change_naming_another_importer_is_b23_even_from_a_sender_authorized_for_both(runtime: Runtime) -> None:
    intake(runtime, DAY1, (f"{S1}/original.edi", edifact(naming(I1), reference="A1")))
    intake(runtime, DAY2, (f"{BROKER}/move.edi", edifact(change(I2), cancellation(I2, index=2), reference="C1",
                                                        sender=BROKER)))
    assert told(runtime, f"{BROKER}/move.edi") == [("RE", ["B23"]), ("RE", ["B23"])]
    assert {p.version for p in postings(runtime, TRANSACTION)} == {1}
    assert account(runtime, I2)["postings"] == []
    # The same broker naming the owner is sequenced as usual.
    intake(runtime, DAY3, (f"{BROKER}/change.edi", edifact(change(I1), reference="C2", sender=BROKER)))
    assert told(runtime, f"{BROKER}/change.edi") == [("AC", [])]


def test_within_one_file_the_original_fixes_the_owner(runtime: Runtime) -> None:
    other = transaction(77)
    intake(runtime, DAY1, (f"{BROKER}/all.edi", edifact(
        naming(I1), cancellation(I2, index=2), change(I1, index=3),
        naming(I2, number=other, index=4), change(I1, number=other, index=5),
        reference="C1", sender=BROKER)))
    assert told(runtime, f"{BROKER}/all.edi") == [
        ("AC", []), ("RE", ["B23"]), ("AC", []), ("AC", []), ("RE", ["B23"])]
    assert {(p.transaction_number, p.version, p.importer_bn15) for p in postings(runtime)} == {
        (TRANSACTION, 1, I1), (TRANSACTION, 2, I1), (other, 1, I2)}


def test_a_cancellation_with_its_own_original_in_one_file_from_an_unauthorized_sender(runtime: Runtime) -> None:
    # S2 cannot file I1's original (A02), so its cancellation has no accepted version to cancel.
    intake(runtime, DAY1, (f"{S2}/both.edi", edifact(naming(I1), cancellation(I2, index=2), reference="B1",
                                                     sender=S2)))
    assert told(runtime, f"{S2}/both.edi") == [("RE", ["A02"]), ("RE", ["B05"])]
    assert postings(runtime) == []


# --- nothing of another tenant's transaction is revealed -------------------------------------------------------

@pytest.mark.parametrize("same_batch", [False, True], ids=["later-batch", "same-batch"])
def test_an_unauthorized_sender_resending_the_exact_original_is_not_told_it_exists(
    runtime: Runtime, same_batch: bool,
) -> None:
    original = (f"{S1}/original.edi", edifact(naming(I1), reference="A1"))
    resent = (f"{S2}/resent.edi", edifact(naming(I1), reference="B1", sender=S2))
    reused = (f"{S2}/reused.edi", edifact(naming(I2), reference="B2", sender=S2))
    if same_batch:
        intake(runtime, DAY1, original, resent, reused)
    else:
        intake(runtime, DAY1, original)
        intake(runtime, DAY2, resent, reused)
    assert told(runtime, original[0]) == [("AC", [])]
    assert told(runtime, resent[0]) == [("RE", ["A02"])]  # not DU: DU would confirm the acceptance
    # Its own importer on another's transaction number: B23 (decisions.md), not DU nor B04.
    assert told(runtime, reused[0]) == [("RE", ["B23"])]
    assert b"accepted version" not in answer_bytes(runtime, resent[0])  # it named I1 itself: A02 may say so
    assert_nothing_revealed(runtime, reused[0])
    assert {(p.version, p.importer_bn15) for p in postings(runtime)} == {(1, I1)}


def test_version_checks_answer_only_a_sender_entitled_to_the_transaction(runtime: Runtime) -> None:
    intake(runtime, DAY1, (f"{S1}/original.edi", edifact(naming(I1), reference="A1")))
    intake(runtime, DAY2,
           (f"{S2}/v5-own.edi", edifact(change(I2, version=5), reference="B1", sender=S2)),
           (f"{S2}/v5-owner.edi", edifact(change(I1, version=5), reference="B2", sender=S2)),
           (f"{S2}/nobody.edi", edifact(naming(UNREGISTERED), reference="B3", sender=S2)),
           (f"{S2}/broken.edi", edifact(cad(importer=Party("IM", "X", id="123456789RM0001")),
                                        reference="B4", sender=S2)),
           (f"{S1}/v5.edi", edifact(change(I1, version=5), reference="A2")))
    assert told(runtime, f"{S2}/v5-own.edi") == [("RE", ["B23"])]
    assert told(runtime, f"{S2}/v5-owner.edi") == [("RE", ["A02"])]
    assert told(runtime, f"{S2}/nobody.edi") == [("RE", ["B02"])]
    assert told(runtime, f"{S2}/broken.edi") == [("RE", ["B01"])]
    for name in ("v5-own.edi", "nobody.edi", "broken.edi"):
        assert_nothing_revealed(runtime, f"{S2}/{name}")
    assert b"accepted version" not in answer_bytes(runtime, f"{S2}/v5-owner.edi")
    # The owner's sender is still told where its sequence stands.
    assert told(runtime, f"{S1}/v5.edi") == [("RE", ["B04"])]
    assert b"latest accepted version 1" in answer_bytes(runtime, f"{S1}/v5.edi")


# --- the ledger's history carries the owner --------------------------------------------------------------------

def test_the_owner_is_the_importer_of_the_first_accepted_version(ledger_engine: Engine) -> None:
    """A ledger written before B23 may hold a hijacking version 2: the owner stays version 1's importer."""
    other = transaction(5)
    with Session(ledger_engine) as session, session.begin():
        interchange_id = rows.interchange(session).id
        rows.declaration(session, interchange_id, version=2, function="1", importer_bn15=I2)
        rows.declaration(session, interchange_id, version=1, importer_bn15=I1)
        rows.declaration(session, interchange_id, version=3, function="4", importer_bn15=I2,
                         status=DeclarationStatus.REJECTED)
        rows.declaration(session, interchange_id, transaction_number=other, version=1, importer_bn15=I2,
                         status=DeclarationStatus.REJECTED)
    with Session(ledger_engine) as session:
        view = load_view(session, [TRANSACTION, other], [], [])
        history = DatabaseHistory(session)
        assert (view.latest_accepted_version(TRANSACTION), view.owning_importer(TRANSACTION)) == (2, I1)
        assert (history.latest_accepted_version(TRANSACTION), history.owning_importer(TRANSACTION)) == (2, I1)
        assert (view.latest_accepted_version(other), view.owning_importer(other)) == (None, None)
        assert history.owning_importer(other) is None


def test_carm_validate_says_it_did_not_check_b23(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import build_app

    path = tmp_path / "change.edi"
    path.write_bytes(edifact(change(I2)))
    result = CliRunner().invoke(build_app(), ["validate", "--as-of", "2025-05-07", str(path)])
    assert result.exit_code == 0, result.output
    (note,) = [line for line in result.output.splitlines() if line.startswith("Not checked")]
    assert "B23" in note
