"""An ``Assembler`` builds the same frozen model objects as their constructor does, only faster (the readers use
it for every line and message), and refuses what would leave a field unset or a value unplaced."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.assembler import Assembler
from pipeline.model import EMPTY, Declaration, FilerAmount, Line, Party

TEXTS = ("number", "classification", "treatment", "description", "origin", "unit", "quantity", "value")
OPTIONAL = ("gross_weight", "gross_weight_unit", "value_currency", "cargo_control", "special_authority",
            "gst_exemption", "excise_code", "sima")
NEW_LINE = Assembler(Line, {**dict.fromkeys(TEXTS, ""), "where": EMPTY})

line_values = st.fixed_dictionaries(
    {},
    optional={name: st.text(max_size=5) for name in (*TEXTS, *OPTIONAL, "location")}
    | {"filer_amounts": st.lists(st.builds(FilerAmount, st.sampled_from(["CUD", "GST"]), st.text(max_size=4)),
                                 max_size=2).map(tuple),
       "where": st.dictionaries(st.sampled_from(TEXTS), st.text(max_size=6))},
)


@given(line_values)
def test_a_line_assembled_is_the_line_the_constructor_builds(values):
    built, expected = NEW_LINE(values), Line(**({**dict.fromkeys(TEXTS, ""), **values}))
    assert built == expected and repr(built) == repr(expected)
    assert [getattr(built, f.name) for f in dataclasses.fields(Line)] == [
        getattr(expected, f.name) for f in dataclasses.fields(Line)]
    assert dataclasses.replace(built, number="7") == dataclasses.replace(expected, number="7")
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.number = "8"  # type: ignore[misc]


def test_keywords_override_the_values_given():
    built = NEW_LINE({"number": "1", "location": "CST#6"}, location="CST#9")
    assert built == Line(**{**dict.fromkeys(TEXTS, ""), "number": "1", "location": "CST#9"})
    assert built.where is EMPTY and built.gross_weight is None and built.filer_amounts == ()


def test_a_declaration_assembled_is_the_declaration_the_constructor_builds():
    party = Party(role="IM", name="Acme", id="123456782RM0001")
    values = {"function": "9", "transaction_number": "10207000002945", "currency": "USD"}
    new_declaration = Assembler(Declaration, {**dict.fromkeys(
        ("function", "transaction_number", "version", "cad_type", "document_date", "release_date", "shipment_date",
         "office", "export_country", "transport_mode", "currency"), ""), "importer": party, "vendor": party,
        "lines": (), "where": EMPTY})
    built = new_declaration(values, lines=(NEW_LINE({"number": "1"}),), message_reference="1")
    assert built == Declaration(
        **dict.fromkeys(("version", "cad_type", "document_date", "release_date", "shipment_date", "office",
                         "export_country", "transport_mode"), ""),
        **values, importer=party, vendor=party, lines=(Line(**{**dict.fromkeys(TEXTS, ""), "number": "1"}),),
        message_reference="1",
    )


def test_a_value_for_no_field_is_refused():
    with pytest.raises(TypeError, match="no field colour"):
        NEW_LINE({"number": "1", "colour": "red"})


def test_every_field_needs_a_default():
    with pytest.raises(TypeError, match="no default for Line's number"):
        Assembler(Line, {**dict.fromkeys(TEXTS[1:], ""), "where": EMPTY})
    with pytest.raises(TypeError, match="Line has no field colour"):
        Assembler(Line, {**dict.fromkeys(TEXTS, ""), "where": EMPTY, "colour": ""})


def test_only_frozen_slotted_dataclasses_without_post_init():
    @dataclass(slots=True)
    class Loose:
        text: str = ""

    @dataclass(frozen=True, slots=True)
    class Checked:
        text: str = ""
        extra: dict = field(default_factory=dict)

        def __post_init__(self) -> None:
            raise AssertionError

    with pytest.raises(TypeError, match="not a frozen, slotted dataclass"):
        Assembler(Loose, {})
    with pytest.raises(TypeError, match="__post_init__"):
        Assembler(Checked, {"extra": {}})
