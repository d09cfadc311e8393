"""Coats are sold out. The marketplace takes an order for 4 first, then the web shop takes one for 4: both
wait. The admin ranks the web shop (allocation priority 10) ahead of the marketplace (20). Four coats arrive:
even when the marketplace order happens to look at them first, it leaves them to the web order, which is
allocated; the marketplace order keeps waiting for the next delivery, and gets it."""

import asyncio
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.inbound import InboundActivities
from models.contracts.inbound import InboundLine, InboundNotice
from tests.factories import Factory
from tests.sales.shop import active_reservations, add_item, bearer, open_shop, order_body, receive
from workflows.sales.order import OrderWorkflow

D = Decimal


def _order(api: TestClient, token: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.post("/orders", json=body, headers=bearer(token))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def test_arriving_stock_goes_to_the_higher_priority_channel_first(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    coat = add_item(factory, shop, "coat", "120.00")
    assert coat.id is not None and shop.wh1.id is not None
    _, admin = factory.user("admin", entities=(shop.entity,))
    for channel, rank in ((shop.web, 10), (shop.market, 20)):
        changed = api.patch(
            f"/channels/{channel.id}", json={"allocation_priority": rank}, headers=bearer(admin)
        )
        assert changed.status_code == 200, changed.text

    market = _order(api, shop.sales, order_body(shop, shop.market, [{"sku": coat.sku, "qty": "4"}]))
    web = _order(api, shop.sales, order_body(shop, shop.web, [{"sku": coat.sku, "qty": "4"}]))
    assert market["stage"] == "backordered" and web["stage"] == "backordered"
    client = temporal_dev.client
    market_wf = client.get_workflow_handle(market["workflow_id"])
    web_wf = client.get_workflow_handle(web["workflow_id"])

    receive(engine, coat, shop.wh1, "4", "60.00")
    arrived = InboundNotice(
        kind="arrived",
        po_number=None,
        lines=[InboundLine(item_id=coat.id, location_id=shop.wh1.id, qty=D(4))],
    )
    # The marketplace order hears of the goods first (signals race): it must leave them to the web order.
    await market_wf.signal(OrderWorkflow.inbound_changed, arrived)
    status = await market_wf.execute_update(OrderWorkflow.sync)
    assert status.stage == "backordered" and status.lines[0].backordered == D(4)
    assert active_reservations(engine, market["order_number"]) == 0

    await InboundActivities(engine, client).notify(arrived)
    for _ in range(100):
        if (await web_wf.execute_update(OrderWorkflow.sync)).stage != "backordered":
            break
        await asyncio.sleep(0.1)
    assert active_reservations(engine, web["order_number"]) == D(4)
    assert (await market_wf.execute_update(OrderWorkflow.sync)).lines[0].backordered == D(4)

    # The next delivery: nobody ranks ahead of the marketplace order any more.
    receive(engine, coat, shop.wh1, "4", "60.00")
    await InboundActivities(engine, client).notify(arrived)
    for _ in range(100):
        if active_reservations(engine, market["order_number"]) == D(4):
            break
        await asyncio.sleep(0.1)
    assert active_reservations(engine, market["order_number"]) == D(4)
