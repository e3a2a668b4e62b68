"""EDIFACT test helpers: fixture files, interchanges to write, and value-only comparison of models.

Declarations come from ``tests.model_samples`` (the one home of valid sample CADs); this module adds what only
the EDIFACT tests need.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pipeline.model import Declaration, FilerAmount, Interchange, Party
from tests.model_samples import valid_declaration, valid_line

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "edifact"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_text(name: str) -> str:
    """A fixture that is plain ASCII, as text, for tests that alter one segment of it."""
    return fixture(name).decode("ascii")


def sample_interchange(*declarations: Declaration, **changes: object) -> Interchange:
    """An EDIFACT interchange ready for ``write_interchange`` (it needs ``prepared_at``)."""
    interchange = Interchange(
        syntax="edifact",
        sender="SP00042",
        recipient="CBSACARM",
        control_reference="ICR000017",
        prepared_at="261126:0930",
        charset="UNOC",
        declarations=declarations or (valid_declaration(style="edifact"),),
    )
    return dataclasses.replace(interchange, **changes)


def rich_declaration(index: int = 1) -> Declaration:
    """Every optional field of the spec filled in: broker, header references, GIS codes, filer amounts."""
    first = valid_line(
        1,
        gross_weight="82.5",
        gross_weight_unit="KGM",
        cargo_control="ABCD7654321",
        special_authority="24-25-GSTTPS",
        gst_exemption="G01",
        excise_code="AC",
        sima="S01",
        filer_amounts=(FilerAmount("CUD", "110.40", ""), FilerAmount("GST", "55.52", "")),
    )
    second = valid_line(2, description="Spare wheels", quantity="4", value="80.00")
    return valid_declaration(
        style="edifact",
        index=index,
        lines=(first, second),
        function="4",
        version="00002",
        cad_type="C",
        cargo_control="ABCD1234567",
        change_reason="C01",
        broker=Party(role="CB", name="Border Brokers Inc", id="864015219"),
    )


def values_only(value: object) -> object:
    """The model with every ``location`` and ``where`` blanked, to compare what was sent, not where."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, object] = {}
        for field in dataclasses.fields(value):
            if field.name == "location":
                changes[field.name] = ""
            elif field.name == "where":
                changes[field.name] = {}
            else:
                changes[field.name] = values_only(getattr(value, field.name))
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(values_only(item) for item in value)
    return value
