"""The shirt supplier's scorecard from the purchasing ledgers: a first order arrived complete and on time
(score 85: no invoices yet, so no match credit), and a new PO needs only the approver. The next order came
9 days late with 4 of 10 shirts and the rest was cancelled: on time 50 %, fill rate 70 %, lead times 9 and 18
days. The score drops to 57.50, under the entity's threshold of 60, and the next PO needs the controller too."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.replenishment.shop import Shop, bearer, eventually, open_shop, open_task, rows, today

D = Decimal


async def _order(api: TestClient, engine: Engine, shop: Shop, ordered_days_ago: int) -> str:
    """A PO for 10 shirts placed some days ago, approved by the approver (asserting it needs no one else)."""
    entity_id, wh, item_id, supplier_id = shop.ids
    created = api.post(
        "/purchase-orders",
        json={
            "entity_id": entity_id,
            "supplier_id": supplier_id,
            "order_date": (today() - timedelta(days=ordered_days_ago)).isoformat(),
            "lines": [{"item_id": item_id, "location_id": wh, "qty": "10"}],
        },
        headers=bearer(shop.buyer[1]),
    )
    assert created.status_code == 201, created.text
    number = str(created.json()["number"])
    task = await eventually(lambda: open_task(engine, number, "po_approval"), f"approval of {number}")
    assert task["candidate_role"] == "approver"
    api.post(f"/tasks/{task['id']}/decision", json={"decision": "approve"}, headers=bearer(shop.approver[1]))
    return number


async def _receive(api: TestClient, shop: Shop, number: str, qty: str, days_ago: int) -> None:
    """A delivery; retried while the PO's workflow is still finishing its issue (409 until then)."""
    body = {
        "delivery_note": f"DN-{number}",
        "received_on": (today() - timedelta(days=days_ago)).isoformat(),
        "lines": [{"line_no": 1, "qty": qty}],
    }

    def post() -> Any:
        answer = api.post(
            f"/purchase-orders/{number}/receipts", json=body, headers=bearer(shop.warehouse_clerk[1])
        )
        return None if answer.status_code == 409 else answer

    answer = await eventually(post, f"receipt on {number}")
    assert answer.status_code == 200, answer.text


def _card(api: TestClient, shop: Shop) -> dict[str, Any]:
    card = api.get(
        "/replenishment/supplier-scorecard", params={"entity_id": shop.ids[0]}, headers=bearer(shop.buyer[1])
    ).json()
    [line] = [s for s in card["suppliers"] if s["supplier_id"] == shop.ids[3]]
    return dict(line)


async def test_a_late_short_shipping_supplier_needs_an_extra_approval_level(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, lead_days=9)

    first = await _order(api, engine, shop, ordered_days_ago=30)
    await _receive(api, shop, first, "10", days_ago=21)  # on the expected day
    good = _card(api, shop)
    assert (D(good["on_time_pct"]), D(good["fill_rate"]), D(good["score"]), good["extra_approval"]) == (
        D(100),
        D(100),
        D("85.00"),
        False,
    )

    late = await _order(api, engine, shop, ordered_days_ago=20)  # a good supplier: the approver alone
    await _receive(api, shop, late, "4", days_ago=2)  # 9 days late, 4 of 10
    cancelled = api.post(
        f"/purchase-orders/{late}/cancel",
        json={"reason": "supplier cannot deliver"},
        headers=bearer(shop.buyer[1]),
    )
    assert cancelled.status_code == 200, cancelled.text
    poor = _card(api, shop)
    assert (D(poor["on_time_pct"]), D(poor["fill_rate"]), D(poor["lead_time_mean_days"])) == (
        D(50),
        D(70),
        D("13.5"),
    )
    assert (D(poor["score"]), poor["extra_approval"]) == (D("57.50"), True)

    created = api.post(
        "/purchase-orders",
        json={
            "entity_id": shop.ids[0],
            "supplier_id": shop.ids[3],
            "lines": [{"item_id": shop.ids[2], "location_id": shop.ids[1], "qty": "10"}],
        },
        headers=bearer(shop.buyer[1]),
    )
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    task = await eventually(lambda: open_task(engine, number, "po_approval"), "the approver's task")
    assert task["candidate_role"] == "approver"
    api.post(f"/tasks/{task['id']}/decision", json={"decision": "approve"}, headers=bearer(shop.approver[1]))
    extra = await eventually(
        lambda: (t := open_task(engine, number, "po_approval")) and t["candidate_role"] == "controller" and t,
        "the extra level for a low-scoring supplier",
    )
    decided = api.post(
        f"/tasks/{extra['id']}/decision", json={"decision": "approve"}, headers=bearer(shop.controller[1])
    )
    assert decided.status_code == 200, decided.text
    await eventually(
        lambda: rows(
            engine, "SELECT 1 FROM purchase_order WHERE number = :n AND issued_at IS NOT NULL", n=number
        ),
        "the PO issued after both levels",
    )
