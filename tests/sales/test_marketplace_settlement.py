"""A marketplace may sell at most its share of the stock; its payout report is matched to shipped orders,
the fees are posted and the receivable cleared; a line matching no order goes to the controller."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.histories import save, should_record
from tests.sales.shop import account_totals, add_item, bearer, open_shop, order_body, receive

D = Decimal
HISTORY = Path(__file__).parent / "histories" / "marketplace_settlement_unmatched_dismissed.json"


async def test_marketplace_cap_settlement_and_unmatched_line(
    temporal_dev: WorkflowEnvironment, api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, market_share=D(50))
    towel = add_item(factory, shop, "towel", "25.00")
    receive(engine, towel, shop.wh1, "4", "10.00")
    sales = bearer(shop.sales)

    # Capped at 50% of the 4 on hand: 2 are reserved, 1 waits.
    greedy = api.post(
        "/orders", json=order_body(shop, shop.market, [{"sku": towel.sku, "qty": "3"}]), headers=sales
    )
    assert greedy.json()["stage"] == "backordered"
    assert [(D(ln["reserved"]), D(ln["backordered"])) for ln in greedy.json()["lines"]] == [(D(2), D(1))]
    assert (
        api.post(f"/orders/{greedy.json()['order_number']}/cancel", json={}, headers=sales).status_code == 200
    )

    body = order_body(shop, shop.market, [{"sku": towel.sku, "qty": "2"}])
    created = api.post("/orders", json=body, headers=sales).json()
    number = created["order_number"]
    shipped = api.post(
        f"/orders/{number}/warehouse-events",
        headers=bearer(shop.warehouse),
        json={"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DPD"},
    )
    assert shipped.json()["stage"] == "closed" and shipped.json()["pending_on"] == "settlement"
    # 2 x 25.00 + 19% = 59.50 owed by the marketplace.
    assert account_totals(engine, number)["ar"] == D("59.50")

    report = {
        "channel": shop.market.code,
        "reference": f"PAY-{number}",
        "payout_date": str(date.today()),
        "lines": [
            {"external_id": body["external_id"], "gross": "59.50", "fees": "7.14"},
            {"external_id": "GHOST-1", "gross": "20.00", "fees": "2.00"},
        ],
    }
    posted = api.post("/settlements", json=report, headers=bearer(shop.controller))
    assert posted.status_code == 201, posted.text
    lines = posted.json()["lines"]
    assert [(ln["external_id"], ln["status"]) for ln in lines] == [
        (body["external_id"], "matched"),
        ("GHOST-1", "unmatched"),
    ]
    totals = account_totals(engine, number)
    assert "ar" not in totals  # cleared
    assert (totals["bank_in_transit"], totals["marketplace_fees"]) == (D("52.36"), D("7.14"))
    # Sending the same report again is refused and posts nothing more.
    again = api.post("/settlements", json=report, headers=bearer(shop.controller))
    assert again.status_code == 409, again.text
    assert account_totals(engine, number) == totals

    task_id = posted.json()["open_tasks"][0]
    task = api.get(f"/tasks/{task_id}", headers=bearer(shop.controller)).json()
    assert (task["kind"], task["candidate_role"]) == ("settlement_unmatched", "controller")
    wrong = api.post(
        f"/tasks/{task_id}/decision",
        json={"decision": "match", "payload": {"external_id": "nope"}},
        headers=bearer(shop.controller),
    )
    assert wrong.status_code == 422
    done = api.post(
        f"/tasks/{task_id}/decision",
        json={"decision": "dismiss", "comment": "marketplace error"},
        headers=bearer(shop.controller),
    )
    assert done.status_code == 200, done.text
    view = api.get(f"/settlements/{posted.json()['settlement_id']}", headers=bearer(shop.controller)).json()
    assert [ln["status"] for ln in view["lines"]] == ["matched", "dismissed"]
    assert api.get(f"/orders/{number}", headers=sales).json()["settled"] is True
    handle = temporal_dev.client.get_workflow_handle(f"Settlement-{shop.market.code}-{report['reference']}")
    await handle.result()
    if should_record(HISTORY):
        save(await handle.fetch_history(), HISTORY)
