"""The engine's batch look-ups give the same answer whichever layout they pick (dense tables for a small span of
keys or days, hashing and per-rank tables otherwise), and the answer a row-by-row reading gives."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.assess import lookups
from pipeline.assess.lookups import distinct, first_in_window


@pytest.fixture(params=["dense", "sparse"])
def layout(request, monkeypatch):
    if request.param == "sparse":  # no span is small enough for the dense tables
        monkeypatch.setattr(lookups, "DENSE_SPAN_PER_ROW", 0)
        monkeypatch.setattr(lookups, "DENSE_SPAN_MINIMUM", 0)
    return request.param


def test_distinct_numbers_keys_in_order_of_first_appearance(layout):
    rng = np.random.default_rng(7)
    codes = rng.integers(-1, 5, size=400)
    days = rng.integers(19_000, 19_030, size=400)
    keys = distinct(codes, days)
    pairs = list(zip(codes.tolist(), days.tolist(), strict=True))
    expected_order = list(dict.fromkeys(pairs))
    assert [pairs[row] for row in keys.first.tolist()] == expected_order
    assert [expected_order[key] for key in keys.inverse.tolist()] == pairs


def test_first_in_window_takes_the_first_candidate_whose_window_holds_the_day(layout):
    rng = np.random.default_rng(11)
    group = rng.integers(-1, 6, size=500)
    day = rng.integers(100, 160, size=500)
    candidates = {
        0: [(110, 120, 7), (100, 200, 8)],  # overlapping: the first wins inside its window
        1: [(lookups.OPEN_START, 130, 3)],
        2: [],
        4: [(140, lookups.OPEN_END, 5), (90, 105, 6), (150, 155, 9)],
    }

    def expected(g: int, d: int) -> int:
        return next((payload for start, end, payload in candidates.get(g, ()) if start <= d <= end), -1)

    got = first_in_window(group, day, candidates).tolist()
    assert got == [expected(g, d) for g, d in zip(group.tolist(), day.tolist(), strict=True)]
