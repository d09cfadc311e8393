"""The buyer's worked example: a T-shirt sells 4 a day on average over ten days (three of them without a
sale), with a sample standard deviation of 8/3; the supplier delivers in 9 days; 95 % service.

  safety stock  = 1.6449 x sqrt(9 x (8/3)^2)          = 1.6449 x 8 = 13.1592
  reorder point = 4 x 9 + 13.1592                      = 49.1592
  order         = 49.1592 + 4 x 7 (review) - 30 (projected) = 47.1592 -> 8 packs of 6 = 48

The pure rule computes it, and the set-based planning statement over the real stock ledger agrees."""

from datetime import timedelta
from decimal import Decimal
from statistics import mean, stdev

from sqlalchemy import Engine
from sqlmodel import Session

from rules.replenishment import order_quantity, reorder_point, safety_stock, z_for_service_level
from services.replenishment.settings import load_setting
from services.replenishment.stats import statistics
from tests.factories import Factory
from tests.replenishment.shop import TEN_DAYS, open_shop, receive_stock, sell, today

D = Decimal


def test_the_rule_on_the_worked_example() -> None:
    z = z_for_service_level(D("0.95"))
    assert z == D("1.6449")
    sigma = D(8) / D(3)
    ss = safety_stock(z, sigma, D(9))
    assert ss == D("13.1592")
    rop = reorder_point(D(4), D(9), ss)
    assert rop == D("49.1592")
    assert order_quantity(D(30), rop, D(4), D(7), D(0), D(6)) == D("48.0000")
    # At or above the reorder point nothing is ordered; a minimum order lifts a small need.
    assert order_quantity(D("49.1593"), rop, D(4), D(7), D(0), D(6)) == 0
    assert order_quantity(D(70), rop, D(4), D(7), D(50), D(6)) == 0
    assert order_quantity(D(49), rop, D(4), D(7), D(50), D(6)) == D("54.0000")


def test_the_planning_sql_agrees_with_the_rule(engine: Engine, factory: Factory) -> None:
    shop = open_shop(factory)
    entity_id, wh, item_id, supplier_id = shop.ids
    day = today()
    receive_stock(engine, item_id, wh, "90", "5.00", day - timedelta(days=40), f"wx{entity_id}:open")
    # Twenty units sold before the ten-day window do not count as demand.
    sell(engine, item_id, wh, [20], day - timedelta(days=11), f"wx{entity_id}:old")
    sell(engine, item_id, wh, TEN_DAYS, day, f"wx{entity_id}")

    with Session(engine) as s:
        [row] = statistics(s, entity_id, day, load_setting(s, entity_id), item_id)
    demand = [D(q) for q in TEN_DAYS]
    assert row.supplier_id == supplier_id
    assert row.mean == mean(demand) == D(4)
    assert abs(row.sigma - stdev(demand)) < D("1e-12")
    assert (row.lt, row.ltv) == (D(9), D(0))  # no receipts yet: the supplier's lead time, no variance
    assert row.projected == D(30)
    z = z_for_service_level(D("0.95"))
    ss = safety_stock(z, stdev(demand), D(9))
    rop = reorder_point(mean(demand), D(9), ss)
    assert (row.ss, row.rop) == (ss, rop) == (D("13.1592"), D("49.1592"))
    assert row.order_qty == order_quantity(D(30), rop, D(4), D(7), D(0), D(6)) == D(48)
