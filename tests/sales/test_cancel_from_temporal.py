"""An operator cancels an allocated web order from Temporal (the Web UI's "Request Cancellation"): the
order's workflow releases the reservation and voids the card authorisation exactly as POST /orders/{n}/cancel
does, the order and its lines read cancelled, and the workflow ends as Canceled. A partly shipped order
(which the API would refuse to cancel) keeps its stage and is handed to an admin by the reconciliation."""

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from erp.settings import get_settings
from models.contracts.reconcile import ReconcileInput
from tests.conftest import scalar
from tests.factories import Factory
from tests.histories import save, should_record
from tests.sales.shop import active_reservations, add_item, balance, bearer, open_shop, order_body, receive
from workflows.operations.reconcile import ReconciliationWorkflow

D = Decimal
HISTORY = Path(__file__).parent / "histories" / "web_order_cancelled_from_temporal.json"


async def test_an_allocated_order_cancelled_from_temporal_releases_stock_and_voids_the_card(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    mug = add_item(factory, shop, "mug", "9.00")
    receive(engine, mug, shop.wh1, "10", "3.00")
    created = api.post(
        "/orders", json=order_body(shop, shop.web, [{"sku": mug.sku, "qty": "2"}]), headers=bearer(shop.sales)
    )
    assert created.status_code == 201, created.text
    number, workflow_id = created.json()["order_number"], created.json()["workflow_id"]
    assert created.json()["stage"] == "allocated"
    assert active_reservations(engine, number) == D(2)

    handle = temporal_dev.client.get_workflow_handle(workflow_id)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as ended:
        await handle.result()
    assert isinstance(ended.value.cause, CancelledError)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    if should_record(HISTORY):
        save(await handle.fetch_history(), HISTORY)

    view = api.get(f"/orders/{number}", headers=bearer(shop.sales)).json()
    assert view["status"] == "cancelled"
    assert all(ln["status"] == "cancelled" for ln in view["lines"])
    assert [(p["kind"], D(p["amount"])) for p in view["payments"]] == [
        ("authorise", D("21.42")),
        ("void", D("21.42")),
    ]
    assert active_reservations(engine, number) == 0
    assert balance(engine, mug, shop.wh1) == (D(10), D(0))
    assert (
        scalar(
            engine,
            "SELECT actor FROM audit_event WHERE subject_id = :n AND action = 'order.cancelled_from_temporal'",
            n=number,
        )
        == "temporal"
    )
    # The workflow has ended: the API says so instead of failing.
    late = api.post(f"/orders/{number}/cancel", json={"reason": "again"}, headers=bearer(shop.sales))
    assert late.status_code == 409, late.text


async def test_a_partly_shipped_order_cancelled_from_temporal_is_left_to_an_admin(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    mug = add_item(factory, shop, "mug", "9.00")
    vase = add_item(factory, shop, "vase", "30.00")
    receive(engine, mug, shop.wh1, "5", "3.00")
    receive(engine, vase, shop.wh2, "5", "12.00")
    lines = [{"sku": mug.sku, "qty": "1"}, {"sku": vase.sku, "qty": "1"}]
    created = api.post("/orders", json=order_body(shop, shop.web, lines), headers=bearer(shop.sales))
    assert created.status_code == 201, created.text
    number, workflow_id = created.json()["order_number"], created.json()["workflow_id"]
    shipped = api.post(
        f"/orders/{number}/warehouse-events",
        json={"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DHL"},
        headers=bearer(shop.warehouse),
    )
    assert shipped.status_code == 200 and shipped.json()["stage"] == "shipped", shipped.text

    # POST .../cancel refuses after a shipment, so the cancellation from Temporal compensates nothing.
    handle = temporal_dev.client.get_workflow_handle(workflow_id)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    assert api.get(f"/orders/{number}", headers=bearer(shop.sales)).json()["status"] == "shipped"
    assert active_reservations(engine, number) == D(1)

    assert shop.entity.id is not None
    result = await temporal_dev.client.execute_workflow(
        ReconciliationWorkflow.run,
        ReconcileInput(entity_code=shop.entity.code, trigger="manual"),
        id=f"Reconcile-{shop.entity.code}-partly-shipped",
        task_queue=get_settings().task_queue,
    )
    assert (result.ended_workflows, result.repaired, result.cases_opened) == (1, 0, 1)
    _, admin = factory.user("admin", entities=(shop.entity,))
    for _ in range(100):
        cases = [t for t in api.get("/tasks", headers=bearer(admin)).json() if t["subject_id"] == number]
        if cases:
            break
        await asyncio.sleep(0.1)
    [case] = cases
    assert case["kind"] == "reconciliation" and "shipped 1" in case["details"]["not_repaired"]
