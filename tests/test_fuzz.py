"""A bounded fuzzing run (issue 12): byte-level mutations of valid EDIFACT and XML files (flips, inserted
separators, release characters, digits and non-ASCII bytes, cut and duplicated slices, a number replaced by a
hostile one, trailing text) go through read, validate,
assess and the answers. Whatever the bytes, nothing escapes as an exception, the findings stay within the cap,
and no file costs more than a generous multiple of a clean one. CI runs the same examples every time (the
``ci`` profile of conftest.py is derandomized)."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pipeline.checking import check_bytes
from pipeline.reference import load_reference
from pipeline.validate import ValidationContext
from tests.hostile import make_corpus as corpus
from tests.hostile.harness import finding_codes, guard, offline_answers, within_cap
from tests.test_intake_support import test_registry

REFERENCE = load_reference()
CONTEXT = ValidationContext(REFERENCE, date(2025, 5, 6), sender_folder=corpus.SENDER, registry=test_registry())
SEEDS = {
    "base.edi": corpus.base_edifact().encode("ascii"),
    "two-messages.edi": (corpus.FIXTURES / "edifact" / "clean_two_messages.edi").read_bytes(),
    "custom-separators.edi": (corpus.FIXTURES / "edifact" / "una_custom_separators.edi").read_bytes(),
    "utf8.edi": (corpus.FIXTURES / "edifact" / "unoy_utf8.edi").read_bytes(),
    "base.xml": corpus.base_xml().encode("utf-8"),
    "two-declarations.xml": (corpus.FIXTURES / "xml" / "two-declarations.xml").read_bytes(),
}
#: What a mutation inserts: every service character, release runs, digit runs (ASCII and not), non-ASCII text.
INSERTS = [b"'", b"+", b":", b"?", b"??", b"?" * 999, b"?'", b"UNA:+.? '", b"UNZ+1+X'", b" " * 2000, b"\r\n",
           b"9" * 5000, b"1E999999", b"NaN", b"-0", b"." + b"0" * 3000, "²".encode(), "١٢٣".encode(),
           "١".encode("utf-16-le"), b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\xc0\xaf", "é".encode("latin-1"),
           b"<", b">", b"</x>", b"<x>" * 300, b"&lol;", b"<!DOCTYPE x>", b' a="1"' * 2000, b"]]>"]
#: What replaces a run of digits (a count, a line number, a version, an amount, a date): issue 12's numbers.
NUMBERS = [b"9" * 5000, b"1" + b"0" * 4300, "²".encode(), "١٢".encode(), "２".encode(), b"1E999999", b"NaN",
           b"10000000000000000.00", b"0." + b"1" * 3000, b"5" * 300, b"-0", b"", b"0"]
#: What may follow the last byte: trailing blanks and unterminated text.
TAILS = [b" " * 4000, b"\t" * 1000, b"x" * 40_000, b"FTX+AAA+++" + b"y" * 20_000, b"?" * 999, b"<x>" * 1000]
DIGIT_RUN = re.compile(rb"\d+")
EXAMPLES = 150
#: A mutated file may cost this many times the slowest clean seed before it counts as a hang.
HANG_FACTOR = 200


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "insert", "cut", "truncate", "duplicate", "number", "tail"]))
        runs = list(DIGIT_RUN.finditer(data))
        if kind == "number" and runs:
            run = draw(st.sampled_from(runs))
            data[run.start():run.end()] = draw(st.sampled_from(NUMBERS))
        elif kind == "tail":
            data += draw(st.sampled_from(TAILS))
        elif kind == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(INSERTS))
        elif kind == "cut":
            del data[at:at + draw(st.integers(1, 200))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "duplicate":
            data[at:at] = data[at:at + draw(st.integers(1, 2000))]
    return name, bytes(data)


def check_and_answer(data: bytes) -> list[str]:
    """Read, validate, assess and answer ``data`` as intake would; the codes of its findings."""
    checked = check_bytes(data, "fuzzed", CONTEXT)
    answers = offline_answers(checked, data, REFERENCE, corpus.SENDER)
    assert answers and all(answers.values())
    return finding_codes(checked)


@pytest.fixture(scope="module")
def allowance() -> float:
    slowest = 0.0
    for data in SEEDS.values():
        check_and_answer(data)  # warm caches
        started = time.perf_counter()
        check_and_answer(data)
        slowest = max(slowest, time.perf_counter() - started)
    return HANG_FACTOR * slowest


def test_every_seed_passes_the_syntax_checks() -> None:
    """Mutations start from files the readers accept whole, so that they reach every later stage."""
    for name, data in SEEDS.items():
        assert check_bytes(data, name, CONTEXT).verdict.file_findings == (), name


@settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(mutation=mutations())
def test_no_mutated_file_escapes_as_an_exception_or_floods_findings(mutation: tuple[str, bytes], allowance: float) -> None:
    name, data = mutation
    with guard(allowance, f"a mutation of {name} ({len(data):,} bytes)"):
        codes = check_and_answer(data)
    assert within_cap(codes), f"{len(codes)} findings"
