"""Stock moves between the warehouse and the store, and a count finds two shirts missing.

Transfer: 12 shirts leave the warehouse (in transit: on the entity's transit location, and as in-transit
quantity on the store's balance, which replenishment sees), then arrive at the store. Inventory value stays
in inventory: the books agree at every step.

Count: the store counts 10 of the 12 it should hold; the 2 missing are issued at cost against shrinkage, the
count line feeds the stock-accuracy KPI."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from rules.periods import period_of
from tests.factories import Factory
from tests.histories import save, should_record
from tests.replenishment.shop import (
    bearer,
    books_consistent,
    eventually,
    open_shop,
    open_task,
    receive_stock,
    rows,
    today,
)

D = Decimal
HISTORIES = Path(__file__).parent / "histories"  # recorded once, replayed by tests/replay on every change


def balance(engine: Engine, item_id: int, location_id: int) -> tuple[Decimal, Decimal, Decimal]:
    """on_hand, in_transit and value."""
    found = rows(
        engine,
        "SELECT on_hand, in_transit, value FROM stock_balance WHERE item_id = :i AND location_id = :l",
        i=item_id,
        l=location_id,
    )
    return (found[0]["on_hand"], found[0]["in_transit"], found[0]["value"]) if found else (D(0), D(0), D(0))


async def test_a_transfer_moves_stock_through_in_transit_and_a_count_posts_shrinkage(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    entity_id, wh, item_id, _ = shop.ids
    store = shop.store.id
    assert store is not None
    day = today()
    receive_stock(engine, item_id, wh, "40", "5.00", day - timedelta(days=3), f"tr{entity_id}:open")
    clerk = bearer(shop.warehouse_clerk[1])

    created = api.post(
        "/transfers",
        json={
            "entity_id": entity_id,
            "from_location_id": wh,
            "to_location_id": store,
            "lines": [{"item_id": item_id, "qty": "12"}],
        },
        headers=clerk,
    )
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    early = api.post(f"/transfers/{number}/receive", json={}, headers=clerk)
    assert early.status_code in (409, 404), early.text  # not shipped yet (or not persisted yet)

    def ship() -> Any:
        answer = api.post(f"/transfers/{number}/ship", json={}, headers=clerk)
        return None if answer.status_code == 404 else answer  # 404 until the workflow persisted it

    shipped = await eventually(ship, f"transfer {number} shipped")
    assert shipped.status_code == 200, shipped.text
    assert shipped.json() == {"number": number, "status": "shipped", "value": "60.00"}
    [transit] = rows(engine, "SELECT transit_location_id FROM transfer_order WHERE number = :n", n=number)
    assert balance(engine, item_id, wh) == (D(28), D(0), D("140.00"))
    assert balance(engine, item_id, transit["transit_location_id"]) == (D(12), D(0), D("60.00"))
    assert balance(engine, item_id, store) == (D(0), D(12), D(0))
    assert books_consistent(engine, entity_id)

    received = api.post(f"/transfers/{number}/receive", json={}, headers=clerk)
    assert received.status_code == 200, received.text
    assert balance(engine, item_id, transit["transit_location_id"]) == (D(0), D(0), D("0.00"))
    assert balance(engine, item_id, store) == (D(12), D(0), D("60.00"))
    assert books_consistent(engine, entity_id)
    assert {
        r["kind"] for r in rows(engine, "SELECT kind FROM outbox_message WHERE document_id = :n", n=number)
    } == {
        "transfer_order.shipped",
        "transfer_order.received",
    }
    inventory_net = rows(
        engine,
        "SELECT COALESCE(sum(l.amount_func), 0) AS net FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id"
        " JOIN account a ON a.id = l.account_id WHERE e.source_type = 'transfer_order' AND e.source_id = :n"
        " AND a.role = 'inventory'",
        n=number,
    )
    assert inventory_net == [{"net": D(0)}]

    count = api.post(
        "/cycle-counts",
        json={"entity_id": entity_id, "location_id": store, "item_ids": [item_id]},
        headers=clerk,
    )
    assert count.status_code == 201, count.text
    cc = count.json()["number"]
    task = await eventually(lambda: open_task(engine, cc, "cycle_count"), "the count task")
    assert task["candidate_role"] == "warehouse"
    bad = api.post(
        f"/tasks/{task['id']}/decision",
        json={"decision": "submit", "payload": {"counts": {"999": "1"}}},
        headers=clerk,
    )
    assert bad.status_code == 422
    done = api.post(
        f"/tasks/{task['id']}/decision",
        json={"decision": "submit", "payload": {"counts": {str(item_id): "10"}}},
        headers=clerk,
    )
    assert done.status_code == 200, done.text

    assert balance(engine, item_id, store) == (D(10), D(0), D("50.00"))
    posted = api.get(f"/cycle-counts/{cc}", headers=clerk).json()
    assert posted["status"] == "posted"
    assert [
        (D(ln["system_qty"]), D(ln["counted_qty"]), D(ln["difference"]), D(ln["value"]))
        for ln in posted["lines"]
    ] == [(D(12), D(10), D(-2), D("-10.00"))]
    shrinkage = rows(
        engine,
        "SELECT sum(l.amount_func) AS amount FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id"
        " JOIN account a ON a.id = l.account_id WHERE e.source_type = 'cycle_count' AND e.source_id = :n"
        " AND a.role = 'shrinkage'",
        n=cc,
    )
    assert shrinkage == [{"amount": D("10.00")}]
    assert books_consistent(engine, entity_id)
    for workflow_id, name in ((f"TO-{number}", "transfer_received"), (f"CC-{cc}", "cycle_count_posted")):
        record = HISTORIES / f"{name}.json"
        if should_record(record):
            handle = temporal_dev.client.get_workflow_handle(workflow_id)
            await handle.result()
            save(await handle.fetch_history(), record)

    kpis = api.get(
        "/reports/kpis",
        params={"entity_id": entity_id, "period": period_of(day)},
        headers=bearer(shop.controller[1]),
    )
    assert kpis.status_code == 200, kpis.text
    accuracy = kpis.json()["stock_accuracy"]
    assert (accuracy["lines_counted"], accuracy["lines_matching"], D(accuracy["value_pct"])) == (1, 0, D(0))
