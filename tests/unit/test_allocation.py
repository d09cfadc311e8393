"""Allocation: a web order for kettles, sourced from a store, a warehouse and a distribution centre."""

from decimal import Decimal as D

import pytest

from rules.allocation import Allocation, LocationStock, OrderLine, Pick, allocate_line, allocate_order
from rules.errors import RuleViolation

STORE = LocationStock("store", on_hand=D(5), reserved=D(0), priority=1)
WAREHOUSE = LocationStock("warehouse", on_hand=D(50), reserved=D(10), priority=2)  # 40 available
DC = LocationStock("dc", on_hand=D(30), reserved=D(0), priority=3)
STOCKS = (DC, STORE, WAREHOUSE)  # order given does not matter


def test_available_to_sell() -> None:
    # 10 on hand - 2 reserved - 3 kept back for POS = 5.
    assert LocationStock("s", D(10), D(2), 1, channel_buffer=D(3)).available == D(5)
    # The marketplace may see at most 20 of the 100 on hand.
    assert LocationStock("s", D(100), D(0), 1, channel_cap=D(20)).available == D(20)
    # Buffer larger than what is free: 0, never negative.
    assert LocationStock("s", D(5), D(5), 1, channel_buffer=D(2)).available == D(0)


def test_best_priority_location_that_fills_the_line() -> None:
    assert allocate_line(D(4), STOCKS) == Allocation((Pick("store", D(4)),), D(0))


def test_single_parcel_beats_priority_split() -> None:
    # The store has only 5 of 8: one parcel from the warehouse, not store 5 + warehouse 3.
    assert allocate_line(D(8), STOCKS) == Allocation((Pick("warehouse", D(8)),), D(0))


def test_greedy_split_and_backorder() -> None:
    # 100 wanted, 5 + 40 + 30 = 75 available: take in priority order, backorder 25.
    assert allocate_line(D(100), STOCKS) == Allocation(
        (Pick("store", D(5)), Pick("warehouse", D(40)), Pick("dc", D(30))), D(25)
    )


def test_equal_priority_prefers_most_stock() -> None:
    a = LocationStock("a", D(10), D(0), 1)
    b = LocationStock("b", D(20), D(0), 1)
    assert allocate_line(D(5), (a, b)).picks == (Pick("b", D(5)),)


def test_nothing_available_backorders_everything() -> None:
    assert allocate_line(D(3), ()) == Allocation((), D(3))


def test_invalid_inputs() -> None:
    with pytest.raises(RuleViolation) as exc:
        allocate_line(D(0), STOCKS)
    assert exc.value.field == "qty"
    with pytest.raises(RuleViolation) as exc:
        allocate_line(D(1), (STORE, STORE))
    assert exc.value.field == "stocks"


def test_order_lines_share_the_same_stock() -> None:
    # Two lines of 30: the first takes 30 of the warehouse's 40; the second cannot fit in the 10 left,
    # so it ships whole from the DC (30). A third line of 18 finds store 5 + warehouse 10: 3 backordered.
    lines = [
        OrderLine("1", "kettle", D(30)),
        OrderLine("2", "kettle", D(30)),
        OrderLine("3", "kettle", D(18)),
    ]
    result = allocate_order(lines, {"kettle": STOCKS})
    assert result == (
        Allocation((Pick("warehouse", D(30)),), D(0)),
        Allocation((Pick("dc", D(30)),), D(0)),
        Allocation((Pick("store", D(5)), Pick("warehouse", D(10))), D(3)),
    )


def test_channel_cap_is_consumed_across_lines() -> None:
    # Marketplace sees at most 20: 15 for the first line leaves 5 for the second, 10 backordered.
    capped = LocationStock("warehouse", D(100), D(0), 1, channel_cap=D(20))
    lines = [OrderLine("1", "mug", D(15)), OrderLine("2", "mug", D(15))]
    result = allocate_order(lines, {"mug": (capped,)})
    assert result == (
        Allocation((Pick("warehouse", D(15)),), D(0)),
        Allocation((Pick("warehouse", D(5)),), D(10)),
    )


def test_unknown_item_is_backordered() -> None:
    assert allocate_order([OrderLine("1", "teapot", D(2))], {}) == (Allocation((), D(2)),)
