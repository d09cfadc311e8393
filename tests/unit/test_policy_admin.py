"""An admin writes approval policy: bands that would make a PO ambiguous (two equally specific bands at one
amount on one day) are refused when written; dated bands may follow each other; levels, escalation chains
and delegations name real roles and real periods; the default policy covers every amount."""

from datetime import date
from decimal import Decimal as D

import pytest

from rules.approval import ApprovalBand, ApprovalLevel, levels_for
from rules.errors import RuleViolation
from rules.policy_admin import (
    DEFAULT_BANDS,
    BandRange,
    check_band,
    check_delegation,
    check_escalation,
    check_levels,
)

ROLES = ("approver", "controller", "buyer")
LOW = BandRange(1, 7, None, D(0), D(5000), None, None)
HIGH = BandRange(2, 7, None, D(5000), None, None, None)


def test_adjacent_bands_and_other_categories_or_entities_do_not_overlap() -> None:
    check_band(HIGH, [LOW])
    check_band(BandRange(None, 7, "electronics", D(0), D(100), None, None), [LOW, HIGH])
    check_band(BandRange(None, 8, None, D(0), D(100), None, None), [LOW, HIGH])
    check_band(LOW, [LOW])  # a band does not overlap itself (a PATCH re-checks it)


def test_overlapping_amounts_on_overlapping_dates_are_refused() -> None:
    with pytest.raises(RuleViolation) as err:
        check_band(BandRange(None, 7, None, D(4000), D(6000), None, None), [LOW, HIGH])
    assert err.value.field == "min_amount" and "band 1" in err.value.reason


def test_a_dated_band_may_follow_one_that_ends_the_day_before() -> None:
    ending = BandRange(1, 7, None, D(0), D(5000), None, date(2030, 6, 30))
    following = BandRange(None, 7, None, D(0), D(5000), date(2030, 7, 1), None)
    check_band(following, [ending])
    with pytest.raises(RuleViolation):
        check_band(BandRange(None, 7, None, D(0), D(5000), date(2030, 6, 30), None), [ending])


def test_empty_ranges_are_refused() -> None:
    with pytest.raises(RuleViolation) as err:
        check_band(BandRange(None, 7, None, D(100), D(100), None, None), [])
    assert err.value.field == "max_amount"
    with pytest.raises(RuleViolation) as err:
        check_band(BandRange(None, 7, None, D(0), None, date(2030, 2, 1), date(2030, 1, 1)), [])
    assert err.value.field == "effective_to"


def test_levels_and_escalation_name_known_roles() -> None:
    check_levels([{"role": "approver"}, {"user": "cfo"}], ROLES)
    check_levels([], ROLES)  # auto-approved
    for levels, field in [
        ([{"role": "approver", "user": "cfo"}], "levels[0]"),
        ([{"role": "approver"}, {}], "levels[1]"),
        ([{"role": "chief"}], "levels[0].role"),
    ]:
        with pytest.raises(RuleViolation) as err:
            check_levels(levels, ROLES)
        assert err.value.field == field
    check_escalation({"approver": "controller"}, ROLES)
    with pytest.raises(RuleViolation) as err:
        check_escalation({"approver": "boss"}, ROLES)
    assert err.value.field == "escalation.approver"


def test_delegation_needs_two_people_and_a_period() -> None:
    check_delegation("ann", "carl", date(2030, 7, 1), date(2030, 7, 1))
    with pytest.raises(RuleViolation, match="other than"):
        check_delegation("ann", "ann", date(2030, 7, 1), date(2030, 7, 14))
    with pytest.raises(RuleViolation) as err:
        check_delegation("ann", "carl", date(2030, 7, 14), date(2030, 7, 1))
    assert err.value.field == "valid_to"


@pytest.mark.parametrize("amount", ["0", "4999.99", "5000", "999999999"])
def test_the_default_bands_cover_every_amount_once(amount: str) -> None:
    bands = [
        ApprovalBand(
            low, high, None, "E", tuple(ApprovalLevel(lv.get("role"), lv.get("user")) for lv in levels)
        )
        for low, high, levels in DEFAULT_BANDS
    ]
    assert levels_for(D(amount), "apparel", "E", bands)[0].role == "approver"
    ranges = [BandRange(i, 1, None, low, high, None, None) for i, (low, high, _) in enumerate(DEFAULT_BANDS)]
    for band in ranges:
        check_band(band, ranges)
