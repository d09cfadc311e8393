"""The pure return rules: window, returnable quantity, serials, refund shares that add up, approval, spikes."""

from datetime import date
from decimal import Decimal

import pytest

from rules.errors import RuleViolation
from rules.returns import check_quantity, check_serials, check_window, is_spike, needs_approval, refund_share

D = Decimal


def test_window_counts_from_the_shipment_and_includes_its_last_day() -> None:
    check_window("line", date(2025, 1, 1), date(2025, 1, 31), 30)
    with pytest.raises(RuleViolation, match="closed on 2025-01-31"):
        check_window("line", date(2025, 1, 1), date(2025, 2, 1), 30)


def test_quantity_is_what_shipped_minus_what_came_back() -> None:
    check_quantity("qty", D(2), D(3), D(1))
    with pytest.raises(
        RuleViolation, match=r"only 2 can be returned \(3 shipped, 1 already returned\), not 3"
    ):
        check_quantity("qty", D(3), D(3), D(1))
    with pytest.raises(RuleViolation, match="positive"):
        check_quantity("qty", D(0), D(3), D(0))


def test_serials_must_be_sold_distinct_and_not_returned_twice() -> None:
    check_serials("s", D(2), ["A", "B"], {"A", "B", "C"}, set())
    for serials, taken, message in (
        (["A"], set(), "one distinct serial"),
        (["A", "A"], set(), "one distinct serial"),
        (["A", "Z"], set(), "'Z' was not sold"),
        (["A", "B"], {"B"}, "already on another return"),
    ):
        with pytest.raises(RuleViolation, match=message):
            check_serials("s", D(2), serials, {"A", "B", "C"}, taken)


def test_refund_shares_of_successive_returns_add_up_to_the_line() -> None:
    parts = [refund_share(D("100.00"), D("19.00"), D(3), D(before), D(1), "EUR") for before in range(3)]
    assert sum((p.net for p in parts), D(0)) == D("100.00")
    assert sum((p.tax for p in parts), D(0)) == D("19.00")
    assert [p.gross for p in parts] == [D("39.66"), D("39.68"), D("39.66")]


def test_approval_threshold_and_spike() -> None:
    assert not needs_approval(D("99.99"), D("100")) and needs_approval(D("100"), D("100"))
    assert is_spike(D(2), D(4), D("0.3"), D(3))
    assert not is_spike(D(1), D(2), D("0.3"), D(3))  # too few sold to mean anything
    assert not is_spike(D(1), D(4), D("0.3"), D(3))
