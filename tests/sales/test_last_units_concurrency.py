"""Eight shoppers order the last five units at the same moment: five get one, three are backordered,
and the warehouse never promises a unit twice."""

import asyncio
from decimal import Decimal

from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from erp.settings import get_settings
from models.contracts.sales import OrderInput, OrderStatus
from tests.factories import Factory
from tests.sales.shop import add_item, balance, open_shop, priced_order, receive
from workflows.sales.order import OrderWorkflow

D = Decimal


async def test_concurrent_orders_for_the_last_units_never_oversell(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    lamp = add_item(factory, shop, "lamp", "50.00")
    receive(engine, lamp, shop.wh1, "3", "20.00")
    receive(engine, lamp, shop.wh2, "2", "20.00")
    orders = [priced_order(engine, shop, [(lamp.sku, "1")]) for _ in range(8)]
    client = temporal_dev.client

    async def place(order: OrderInput) -> OrderStatus:
        handle = await client.start_workflow(
            OrderWorkflow.run, order, id=f"Order-{order.order_number}", task_queue=get_settings().task_queue
        )
        return await handle.execute_update(OrderWorkflow.sync)

    results = await asyncio.gather(*(place(o) for o in orders))
    stages = sorted(r.stage for r in results)
    assert stages == ["allocated"] * 5 + ["backordered"] * 3
    assert sum(r.lines[0].reserved for r in results) == D(5)
    assert balance(engine, lamp, shop.wh1) == (D(3), D(3))
    assert balance(engine, lamp, shop.wh2) == (D(2), D(2))
    with engine.connect() as c:
        active = c.execute(
            text("SELECT count(*), sum(qty) FROM reservation WHERE item_id = :i AND status = 'active'"),
            {"i": lamp.id},
        ).one()
        waiting = c.execute(
            text(
                "SELECT count(DISTINCT workflow_id) FROM stock_waiter WHERE item_id = :i"
                " AND status = 'waiting'"
            ),
            {"i": lamp.id},
        ).scalar()
    assert (active[0], D(active[1])) == (5, D(5))
    assert waiting == 3
    for order in orders:  # leave no open workflows behind
        await client.get_workflow_handle(f"Order-{order.order_number}").terminate("test done")
