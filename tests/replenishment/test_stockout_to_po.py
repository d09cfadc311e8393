"""The daily schedule fires for the shop: the T-shirt will run out within the supplier's lead time, so the run
groups the suggestion into a draft PO for its supplier, within budget, and starts procure-to-pay. The PO waits
for the approver like any other; approved, it is issued and the 48 shirts show as inbound."""

from datetime import timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.client import ScheduleOverlapPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from erp import replenishment_schedules as schedules
from erp.settings import get_settings
from models.contracts.close import EntityInfo
from tests.factories import Factory
from tests.replenishment.shop import (
    TEN_DAYS,
    bearer,
    eventually,
    open_shop,
    open_task,
    receive_stock,
    rows,
    sell,
    today,
)

D = Decimal


async def test_the_schedule_orders_a_stock_out_bound_item_and_the_po_goes_through_approval(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    entity_id, wh, item_id, supplier_id = shop.ids
    day = today()
    receive_stock(engine, item_id, wh, "70", "5.00", day - timedelta(days=40), f"so{entity_id}:open")
    sell(engine, item_id, wh, TEN_DAYS, day, f"so{entity_id}")

    info = EntityInfo(entity_id=entity_id, entity_code=shop.entity.code, currency="EUR", time_zone="UTC")
    client = temporal_dev.client
    assert await schedules.ensure_schedule(client, info, get_settings().task_queue) == "created"
    assert await schedules.ensure_schedule(client, info, get_settings().task_queue) == "updated"
    handle = client.get_schedule_handle(schedules.schedule_id(shop.entity.code))
    described = (await handle.describe()).schedule
    assert described.policy.overlap == ScheduleOverlapPolicy.SKIP and described.policy.pause_on_failure
    await handle.trigger()

    def drafted() -> list[dict[str, object]] | None:
        found = rows(
            engine,
            "SELECT d.po_number, d.status, d.over_budget, d.total_func FROM replenishment_draft d"
            " JOIN replenishment_run r ON r.id = d.run_id WHERE r.entity_id = :e AND d.status = 'started'",
            e=entity_id,
        )
        return found or None

    [draft] = await eventually(drafted, "a started replenishment PO")
    number = str(draft["po_number"])
    assert (draft["over_budget"], draft["total_func"]) == (False, D("480.0000"))
    [suggestion] = rows(
        engine,
        "SELECT s.safety_stock, s.reorder_point, s.projected, s.order_qty, s.po_number FROM replenishment_suggestion s"
        " JOIN replenishment_run r ON r.id = s.run_id WHERE r.entity_id = :e AND r.run_date = :d",
        e=entity_id,
        d=day,
    )
    assert suggestion == {
        "safety_stock": D("13.1592"),
        "reorder_point": D("49.1592"),
        "projected": D(30),
        "order_qty": D(48),
        "po_number": number,
    }

    task = await eventually(lambda: open_task(engine, number, "po_approval"), "the PO's approval task")
    assert task["candidate_role"] == "approver"
    po = api.get(f"/purchase-orders/{number}", headers=bearer(shop.buyer[1])).json()
    assert (po["supplier_id"], po["requested_by"]) == (supplier_id, "replenishment")
    assert [(ln["item_id"], D(ln["qty"])) for ln in po["lines"]] == [(item_id, D(48))]

    decided = api.post(
        f"/tasks/{task['id']}/decision",
        json={"decision": "approve", "revision": 1},
        headers=bearer(shop.approver[1]),
    )
    assert decided.status_code == 200, decided.text

    def inbound() -> bool:
        [bal] = rows(
            engine,
            "SELECT inbound FROM stock_balance WHERE item_id = :i AND location_id = :l",
            i=item_id,
            l=wh,
        )
        return bool(bal["inbound"] == D(48))

    await eventually(inbound, "48 shirts inbound")
    runs = api.get(
        "/replenishment/runs", params={"entity_id": entity_id}, headers=bearer(shop.buyer[1])
    ).json()
    assert [(r["run_date"], r["suggestions"]) for r in runs] == [(day.isoformat(), 1)]
