"""Apparel has 1,000 left this month: an issued PO already commits 700, so today's 480 replenishment PO would
overrun it. The run does not start procure-to-pay; a buyer reviews the draft in the inbox first. Approved,
the PO starts and waits for its approver like any other."""

from datetime import timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from rules.periods import period_of
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


async def test_over_budget_suggestions_wait_for_a_buyer(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    entity_id, wh, item_id, supplier_id = shop.ids
    day = today()
    receive_stock(engine, item_id, wh, "70", "5.00", day - timedelta(days=40), f"ob{entity_id}:open")
    sell(engine, item_id, wh, TEN_DAYS, day, f"ob{entity_id}")
    buyer = bearer(shop.buyer[1])
    budget = {"entity_id": entity_id, "category": "apparel", "period": period_of(day), "amount": "1000"}
    # Buyers are what the budget limits: they cannot set it; the controller does.
    assert api.put("/replenishment/budgets", json=budget, headers=buyer).status_code == 403
    assert (
        api.put("/replenishment/budgets", json=budget, headers=bearer(shop.controller[1])).status_code == 200
    )

    # An approved PO of 70 shirts at 10.00 is an open commitment of 700 this month.
    other = factory.item(category="apparel")
    factory.supplier_price(shop.supplier, other, D("10.00"))
    created = api.post(
        "/purchase-orders",
        json={
            "entity_id": entity_id,
            "supplier_id": supplier_id,
            "order_date": day.isoformat(),
            "lines": [{"item_id": other.id, "location_id": wh, "qty": "70"}],
        },
        headers=buyer,
    )
    assert created.status_code == 201, created.text
    committed = created.json()["number"]
    task = await eventually(
        lambda: open_task(engine, committed, "po_approval"), "approval of the committed PO"
    )
    api.post(f"/tasks/{task['id']}/decision", json={"decision": "approve"}, headers=bearer(shop.approver[1]))
    await eventually(
        lambda: rows(
            engine, "SELECT 1 FROM purchase_order WHERE number = :n AND stage = 'issued'", n=committed
        ),
        "the committed PO issued",
    )

    started = api.post(
        "/replenishment/runs", json={"entity_id": entity_id, "run_date": day.isoformat()}, headers=buyer
    )
    assert started.status_code == 201, started.text
    again = api.post(
        "/replenishment/runs", json={"entity_id": entity_id, "run_date": day.isoformat()}, headers=buyer
    )
    assert again.status_code == 409

    def awaiting() -> list[dict[str, object]] | None:
        found = rows(
            engine,
            "SELECT d.po_number, d.status, d.budget FROM replenishment_draft d JOIN replenishment_run r"
            " ON r.id = d.run_id WHERE r.entity_id = :e AND d.status = 'awaiting_buyer' AND d.task_id IS NOT NULL",
            e=entity_id,
        )
        return found or None

    [draft] = await eventually(awaiting, "a draft waiting for the buyer")
    number = str(draft["po_number"])
    assert draft["budget"] == [
        {"category": "apparel", "budget": "1000.0000", "committed": "700.00", "new": "480.00", "over": True}
    ]
    assert rows(engine, "SELECT 1 FROM purchase_order WHERE number = :n", n=number) == []  # nothing started

    review = await eventually(
        lambda: open_task(engine, number, "replenishment_review"), "the buyer's review task"
    )
    assert review["candidate_role"] == "buyer"
    refused = api.post(
        f"/tasks/{review['id']}/decision",
        json={"decision": "approve"},
        headers=bearer(shop.warehouse_clerk[1]),
    )
    assert refused.status_code == 403
    approved = api.post(f"/tasks/{review['id']}/decision", json={"decision": "approve"}, headers=buyer)
    assert approved.status_code == 200, approved.text

    po_task = await eventually(lambda: open_task(engine, number, "po_approval"), "the PO's own approval")
    assert po_task["candidate_role"] == "approver"
    [final] = rows(
        engine, "SELECT status, decided_by FROM replenishment_draft WHERE po_number = :n", n=number
    )
    assert final == {"status": "started", "decided_by": shop.buyer[0]}
