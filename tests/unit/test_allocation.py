"""Allocation: a web order for kettles, sourced from a store, a warehouse and a distribution centre; and
backordered coats that arrive short, shared by channel priority then age."""

from decimal import Decimal as D

import pytest

from rules.allocation import (
    Allocation,
    LocationStock,
    OrderLine,
    Pick,
    Waiter,
    allocate_line,
    allocate_order,
    hold_back,
    waiting_ahead,
)
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


# Ten coats are backordered for three orders when a delivery of six arrives at the central warehouse:
# the web shop (priority 10) and the marketplace (priority 20), oldest first within a channel.
WEB_OLD = Waiter("SO-1", priority=10, age=1, qty=D(3))
MKT_OLDEST = Waiter("SO-0", priority=20, age=0, qty=D(4))
WEB_NEW = Waiter("SO-2", priority=10, age=2, qty=D(3))
WAITERS = (WEB_OLD, MKT_OLDEST, WEB_NEW)


def test_waiters_ahead_rank_by_channel_priority_then_age() -> None:
    assert waiting_ahead(WEB_OLD, WAITERS) == 0
    assert waiting_ahead(WEB_NEW, WAITERS) == D(3)
    # The marketplace order is the oldest, but its channel ranks behind the web shop.
    assert waiting_ahead(MKT_OLDEST, WAITERS) == D(6)


def test_a_lower_priority_waiter_leaves_arriving_stock_to_those_ahead() -> None:
    central = LocationStock("central", on_hand=D(6), reserved=D(0), priority=10)
    left_for_marketplace = hold_back([central], waiting_ahead(MKT_OLDEST, WAITERS))
    assert left_for_marketplace[0].available == 0
    plan = allocate_line(D(4), left_for_marketplace)
    assert plan.picks == () and plan.backordered == D(4)
    # The newer web order takes what the older one leaves, whichever looks first.
    left_for_new_web = hold_back([central], waiting_ahead(WEB_NEW, WAITERS))
    assert allocate_line(D(3), left_for_new_web).picks == (Pick("central", D(3)),)


def test_hold_back_takes_from_the_locations_shipped_from_first() -> None:
    stocks = [
        LocationStock("store", on_hand=D(5), reserved=D(0), priority=50),
        LocationStock("central", on_hand=D(2), reserved=D(0), priority=10),
    ]
    held = {s.location: s.available for s in hold_back(stocks, D(3))}
    assert held == {"central": D(0), "store": D(4)}
    with pytest.raises(RuleViolation):
        hold_back(stocks, D(-1))
