"""How answer text is fitted to the syntax level of the file it answers (``AnswerSyntax.fit``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.answers.envelope import AnswerSyntax
from pipeline.parsers.edifact_syntax import repertoire_pattern

SYNTAXES = [AnswerSyntax(charset, version) for charset in ("UNOA", "UNOB", "UNOC", "UNOY") for version in ("3", "4")]


@pytest.mark.parametrize("syntax", SYNTAXES, ids=lambda s: f"{s.charset}:{s.version}")
@given(text=st.text(max_size=80))
def test_fitted_text_is_in_the_level_and_text_that_fits_is_left_alone(syntax: AnswerSyntax, text: str) -> None:
    fitted = syntax.fit(text)
    assert repertoire_pattern(syntax.charset, syntax.characters).search(fitted) is None
    assert syntax.fit(fitted) == fitted


@pytest.mark.parametrize(("charset", "text", "fitted"), [
    ("UNOA", "Société Générale\r\nLtd", "SOCIETE GENERALE LTD"),
    ("UNOB", "Société\tGénérale", "Societe Generale"),
    ("UNOC", "Société 東京\x07", "Société ???"),
    ("UNOY", "Société 東京\x07", "Société 東京?"),
])
def test_accents_case_breaks_and_foreign_characters(charset: str, text: str, fitted: str) -> None:
    assert AnswerSyntax(charset, "3").fit(text) == fitted
