"""An unpaid web order (bank transfer) holds its stock only for the hold time: unpaid, the reservations
expire and the order is cancelled; paid in time (in full) it goes on to the warehouse."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.sales.shop import (
    active_reservations,
    add_item,
    balance,
    bearer,
    open_shop,
    order_body,
    priced_order,
    receive,
)
from worker import build_worker
from workflows.sales.order import OrderWorkflow

D = Decimal


async def test_unpaid_order_releases_its_stock_after_the_hold_time(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    chair = add_item(factory, shop, "chair", "80.00")
    receive(engine, chair, shop.wh1, "4", "30.00")
    unpaid = priced_order(engine, shop, [(chair.sku, "2")], payment_method="transfer").model_copy(
        update={"hold_hours": 48}
    )
    client = time_skipping.client
    async with build_worker(client, engine, task_queue):
        handle = await client.start_workflow(
            OrderWorkflow.run, unpaid, id=f"Order-{unpaid.order_number}", task_queue=task_queue
        )
        assert (await handle.execute_update(OrderWorkflow.sync)).stage == "awaiting_payment"
        assert balance(engine, chair, shop.wh1) == (D(4), D(2))
        final = await handle.result()  # the time-skipping server fast-forwards through the 48 h hold
    assert final.stage == "cancelled" and "hold expired" in final.pending_on
    assert active_reservations(engine, unpaid.order_number) == 0
    assert balance(engine, chair, shop.wh1) == (D(4), D(0))


def test_payment_within_the_hold_sends_the_order_to_the_warehouse(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    chair = add_item(factory, shop, "chair", "80.00")
    receive(engine, chair, shop.wh1, "4", "30.00")
    body = order_body(shop, shop.web, [{"sku": chair.sku, "qty": "2"}], payment_method="transfer")
    created = api.post("/orders", json=body, headers=bearer(shop.sales)).json()
    number = created["order_number"]
    assert created["stage"] == "awaiting_payment"
    early = api.post(
        f"/orders/{number}/warehouse-events",
        json={"kind": "picked", "location_id": shop.wh1.id},
        headers=bearer(shop.warehouse),
    )
    assert early.status_code == 409 and "payment" in early.text
    # 2 x 80.00 + 19% tax = 190.40; paying less is refused.
    short = api.post(
        f"/orders/{number}/payment",
        json={"method": "transfer", "amount": "100.00"},
        headers=bearer(shop.sales),
    )
    assert short.status_code == 422 and "less than" in short.text
    paid = api.post(
        f"/orders/{number}/payment",
        json={"method": "transfer", "amount": "190.40", "reference": "BT-1"},
        headers=bearer(shop.sales),
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["stage"] == "allocated" and paid.json()["paid"] is True
    assert active_reservations(engine, number) == D(2)
