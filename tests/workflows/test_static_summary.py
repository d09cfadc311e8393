"""An operator scanning the Temporal Web UI reads, on each document's workflow, one line saying what it is:
the document, its counterparty and its amount (its static summary), not "No summary available"."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.purchasing.buyer_desk import bearer, open_desk, po_body
from tests.sales.shop import add_item, open_shop, order_body, receive


async def test_po_and_order_workflows_carry_a_summary(
    api: TestClient, temporal_dev: WorkflowEnvironment, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory, price="12.50")
    po = api.post("/purchase-orders", json=po_body(desk, "8"), headers=bearer(desk.token("buyer")))
    assert po.status_code == 201, po.text
    number = po.json()["number"]
    described = await temporal_dev.client.get_workflow_handle(f"PO-{number}").describe()
    summary = await described.static_summary()
    assert summary is not None and summary.startswith(f"PO {number} ")
    assert f"supplier #{desk.supplier.id}" in summary and "100.00 EUR" in summary, summary

    shop = open_shop(factory)
    lamp = add_item(factory, shop, "lamp", "40.00")
    receive(engine, lamp, shop.wh1, "3", "15.00")
    order = api.post(
        "/orders",
        json=order_body(shop, shop.web, [{"sku": lamp.sku, "qty": "2"}]),
        headers=bearer(shop.sales),
    )
    assert order.status_code == 201, order.text
    order_number = order.json()["order_number"]
    described = await temporal_dev.client.get_workflow_handle(f"Order-{order_number}").describe()
    summary = await described.static_summary()
    assert summary is not None and summary.startswith(f"Order {order_number} · {shop.web.code}"), summary
