"""RPP security: 50% of the highest of the last 12 period totals, between $5,000 and $10,000,000."""

from __future__ import annotations

import pytest

from pipeline.billing.security import ReviewRow, SecurityPosition, required_security, security_review


@pytest.mark.parametrize(
    ("totals", "required"),
    [
        ([], 500_000),  # no history: the $5,000 floor
        ([999_998], 500_000),  # half is $4,999.99: floor
        ([1_000_000], 500_000),  # half is exactly $5,000.00
        ([1_000_002], 500_001),  # just above the floor
        ([1_000_001], 500_001),  # half of an odd cent count: $5,000.005 rounds half up
        ([2_000_000_000], 1_000_000_000),  # exactly the $10,000,000 cap
        ([2_000_000_002], 1_000_000_000),  # above the cap
        ([-5_000_000, -1], 500_000),  # credit periods owe nothing
        ([3_000_000, 7_000_000, 5_000_000], 3_500_000),  # the highest, not the latest
    ],
)
def test_required_security(totals: list[int], required: int) -> None:
    assert required_security(totals) == required


def test_only_the_last_twelve_periods_count() -> None:
    thirteen = [90_000_000] + [4_000_000] * 12  # the huge period is the 13th back
    assert required_security(thirteen) == 2_000_000
    assert required_security(thirteen[1:] + [90_000_000]) == 45_000_000
    assert required_security(thirteen, last=13) == 45_000_000


def test_security_review_lists_rpp_importers_below_the_requirement() -> None:
    importers = [
        SecurityPosition("222222220RM0001", 2_000_000, True, [4_000_000]),  # required 2,000,000: enough
        ("111111118RM0001", 1_999_999, True, [4_000_000]),  # one cent short
        ("333333336RM0001", 0, False, [4_000_000]),  # no RPP: pays before release, needs no security
        ("444444444RM0001", 100_000, True, []),  # floor applies
    ]
    assert security_review(importers) == [
        ReviewRow("111111118RM0001", 2_000_000, 1_999_999, 1),
        ReviewRow("444444444RM0001", 500_000, 100_000, 400_000),
    ]
