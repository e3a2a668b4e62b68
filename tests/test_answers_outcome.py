"""The input contract of the answers: outcomes that cannot be answered are refused when they are built."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from pipeline.answers import ENGINE_CHARGE_TYPES, DeclarationOutcome, FileOutcome, amounts_from_engine
from pipeline.answers.envelope import answer_syntax, inbound_syntax_version
from pipeline.assess.rules import AMOUNTS
from pipeline.findings import Finding
from pipeline.model import ANSWER_CHARGE_TYPES
from tests.edifact_samples import fixture, sample_interchange
from tests.model_samples import valid_declaration

ENGINE = {"vfd": 115000, "customs_duty": 9200, "surtax": 0, "sima": 1, "excise_duty": 2, "excise_tax": 3,
          "vft": 124200, "gst": 6210, "total": 15416}


def test_the_mapping_covers_every_engine_charge_and_every_answer_type():
    assert set(ENGINE_CHARGE_TYPES) == set(AMOUNTS) - {"vfd"}
    assert sorted(ENGINE_CHARGE_TYPES.values()) == sorted(ANSWER_CHARGE_TYPES)


def test_engine_amounts_become_charge_types_in_answer_order():
    assert amounts_from_engine(ENGINE) == {"CUD": 9200, "SUR": 0, "ADD": 1, "EXD": 2, "EXT": 3, "VFT": 124200,
                                           "GST": 6210, "TOT": 15416}
    assert list(amounts_from_engine(ENGINE)) == list(ANSWER_CHARGE_TYPES)
    numpy_row = {name: np.int64(value) for name, value in ENGINE.items()}
    assert amounts_from_engine(numpy_row)["TOT"] == 15416


def test_engine_amounts_must_be_complete_integer_cents():
    with pytest.raises(ValueError, match="gst"):
        amounts_from_engine({name: value for name, value in ENGINE.items() if name != "gst"})
    with pytest.raises(TypeError):
        amounts_from_engine(ENGINE | {"gst": 62.10})
    with pytest.raises(TypeError):
        amounts_from_engine(ENGINE | {"gst": Decimal("62.10")})


def test_only_an_accepted_declaration_carries_amounts():
    declaration = valid_declaration(style="edifact")
    with pytest.raises(ValueError, match="no amounts"):
        DeclarationOutcome(declaration, "RE", totals={"TOT": 1})
    with pytest.raises(ValueError, match="no findings"):
        DeclarationOutcome(declaration, "DU", (Finding("B03", "bad", "BGM#2"),))
    with pytest.raises(ValueError, match="status"):
        DeclarationOutcome(declaration, "OK")
    with pytest.raises(ValueError, match="charge type"):
        DeclarationOutcome(declaration, "AC", totals={"VFD": 1})


def test_outcome_amounts_cannot_be_changed_after_the_fact():
    totals = {"TOT": 100}
    outcome = DeclarationOutcome(valid_declaration(style="edifact"), "AC", line_amounts={2: {"TOT": 60}, 1: {}},
                                 totals=totals)
    totals["TOT"] = 5
    assert outcome.totals["TOT"] == 100
    assert list(outcome.line_amounts) == [1, 2]
    with pytest.raises(TypeError):
        outcome.totals["TOT"] = 1  # type: ignore[index]


def test_file_level_errors_reject_the_file_and_warnings_do_not():
    interchange = sample_interchange()
    warning = Finding("W02", "late", "BGM#2")
    assert not FileOutcome("f.edi", "SP00042", "edifact", interchange, (warning,)).file_rejected
    assert FileOutcome("f.edi", "SP00042", "edifact", interchange, (Finding("A03", "x", "UNB#1"),)).file_rejected
    assert FileOutcome("f.edi", "SP00042", "edifact", None, ()).file_rejected


@pytest.mark.parametrize(("name", "version"), [
    ("clean_two_messages.edi", "3"), ("unoy_utf8.edi", "4"), ("una_custom_separators.edi", "3"),
    ("crlf_tabs_junk.edi", "3"),
])
def test_the_inbound_syntax_version_is_read_from_the_raw_unb(name, version):
    assert inbound_syntax_version(fixture(name)) == version


def test_an_unreadable_syntax_version_is_none_and_the_answer_falls_back_to_unoc_3():
    assert inbound_syntax_version(b"hello") is None
    assert inbound_syntax_version(fixture("clean_two_messages.edi").replace(b"UNOC:3", b"UNOC:9")) is None
    unknown = FileOutcome("f.edi", "SP00042", "edifact", sample_interchange(charset="UNOX"), ())
    assert (answer_syntax(unknown).charset, answer_syntax(unknown).version) == ("UNOC", "3")
    utf8 = FileOutcome("f.edi", "SP00042", "edifact", sample_interchange(charset="UNOY"), ())
    assert answer_syntax(utf8).version == "4"
