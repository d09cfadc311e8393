"""The reconciliation schedule is installed per entity (every 15 minutes). After an operator terminates
an allocated card order and a return awaiting its goods, a run of the schedule repairs both through the
services the cancellations use: the reservation is released, the card authorisation voided, the order
and the RMA read cancelled, and nothing is left for an admin."""

import asyncio
from collections.abc import Callable
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.client import ScheduleOverlapPolicy, ScheduleRange
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from erp import reconcile_schedules
from erp.settings import get_settings
from models.contracts.close import EntityInfo
from tests.conftest import scalar
from tests.factories import Factory
from tests.returns.desk import count, open_desk, raise_return, ship_through_api
from tests.sales.shop import active_reservations, add_item, balance, bearer, order_body, receive

D = Decimal


async def _until(probe: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll without blocking the event loop (the schedule's run is asynchronous)."""
    for _ in range(int(timeout / 0.1)):
        if probe():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_scheduled_run_repairs_a_terminated_order_and_return(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    shop = desk.shop
    mug = add_item(factory, shop, "mug", "9.00")
    receive(engine, mug, shop.wh1, "10", "3.00")
    shipped = ship_through_api(api, shop, [{"sku": mug.sku, "qty": "1"}])
    rma = raise_return(api, shop.sales, shipped, [{"line_no": 1, "qty": "1", "reason_code": "defective"}])
    assert rma.status_code == 201 and rma.json()["stage"] == "awaiting_goods", rma.text
    created = api.post(
        "/orders", json=order_body(shop, shop.web, [{"sku": mug.sku, "qty": "2"}]), headers=bearer(shop.sales)
    )
    assert created.status_code == 201 and created.json()["stage"] == "allocated", created.text
    number = created.json()["order_number"]
    for workflow_id in (created.json()["workflow_id"], rma.json()["workflow_id"]):
        await temporal_dev.client.get_workflow_handle(workflow_id).terminate(reason="operator test")
    assert active_reservations(engine, number) == D(2)

    assert shop.entity.id is not None
    info = EntityInfo(entity_id=shop.entity.id, entity_code=shop.entity.code, currency="EUR", time_zone="UTC")
    client, queue = temporal_dev.client, get_settings().task_queue
    assert await reconcile_schedules.ensure_schedules(client, [info], queue) == {shop.entity.code: "created"}
    handle = client.get_schedule_handle(reconcile_schedules.schedule_id(shop.entity.code))
    described = (await handle.describe()).schedule
    [calendar] = described.spec.calendars
    assert calendar.minute == (ScheduleRange(0, 59, 15),)  # every 15 minutes
    assert described.policy.overlap == ScheduleOverlapPolicy.SKIP and described.policy.pause_on_failure
    await handle.trigger()

    sales = bearer(shop.sales)
    await _until(
        lambda: api.get(f"/orders/{number}", headers=sales).json()["status"] == "cancelled", "order cancelled"
    )
    await _until(
        lambda: api.get(f"/returns/{rma.json()['rma_number']}", headers=sales).json()["stage"] == "cancelled",
        "return cancelled",
    )
    await handle.delete()

    view = api.get(f"/orders/{number}", headers=sales).json()
    assert all(ln["status"] == "cancelled" for ln in view["lines"])
    assert [(p["kind"], D(p["amount"])) for p in view["payments"]] == [
        ("authorise", D("21.42")),
        ("void", D("21.42")),
    ]
    assert active_reservations(engine, number) == 0
    assert balance(engine, mug, shop.wh1) == (D(9), D(0))
    assert (
        count(
            engine,
            "SELECT count(*) FROM task WHERE kind = 'reconciliation' AND entity_id = :e",
            e=shop.entity.id,
        )
        == 0
    )
    assert scalar(
        engine,
        "SELECT closed_reason FROM return_authorisation WHERE rma_number = :n",
        n=rma.json()["rma_number"],
    )
