"""``CARM_INTEREST_WAIVER_UNTIL``: the CARM transition waiver's end, read by ``Settings`` so that ``carm
close-period`` and the carm_close_period DAG close with the same date."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.billing import DEFAULT_WAIVER_UNTIL
from pipeline.config import Settings
from pipeline.errors import ConfigurationError


def test_the_waiver_ends_on_2026_01_31_unless_configured() -> None:
    assert Settings.from_env({}).interest_waiver_until == date(2026, 1, 31)
    assert Settings.from_env({"CARM_INTEREST_WAIVER_UNTIL": ""}).interest_waiver_until == date(2026, 1, 31)
    # The default of Settings is the one the billing core falls back to, so no caller sees two different waivers.
    assert Settings.from_env({}).interest_waiver_until == DEFAULT_WAIVER_UNTIL


def test_a_configured_waiver_date_is_read_as_an_iso_date() -> None:
    assert Settings.from_env({"CARM_INTEREST_WAIVER_UNTIL": "2026-03-01"}).interest_waiver_until == date(2026, 3, 1)


@pytest.mark.parametrize("value", ["31/01/2026", "2026-02-30", "tomorrow", "2026-01"])
def test_a_malformed_waiver_date_names_the_variable_and_the_form_expected(value: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env({"CARM_INTEREST_WAIVER_UNTIL": value})
    assert str(raised.value) == f"CARM_INTEREST_WAIVER_UNTIL={value!r}: expected a date YYYY-MM-DD"
