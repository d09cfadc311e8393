"""Card payments take the paths a real payment provider has (the sandbox provider of the shop's web channel
answers like a PSP's test cards): a declined card leaves the order reserved and waiting for a new payment -
a second declined card is refused, a good one pays it and it ships; an order nobody pays after a decline is
cancelled when the hold runs out; an authorisation that lapsed before shipment is renewed (or, renewal
declined, nothing ships and the order waits for a new payment)."""

import json
import os
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.sales.shop import (
    Shop,
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
HISTORIES = Path(__file__).parent / "histories"
DECLINED_THEN_PAID = HISTORIES / "web_order_declined_then_paid.json"
DECLINED_THEN_CANCELLED = HISTORIES / "web_order_declined_then_hold_expired.json"
LAPSED_THEN_RENEWED = HISTORIES / "web_order_lapsed_authorisation_renewed.json"


def payments(engine: Engine, number: str) -> list[tuple[str, str, str | None]]:
    """(kind, status, payment key suffix) of the order's payment events, in order."""
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT p.kind, p.status, p.payment_key FROM sales_payment p JOIN sales_order o ON o.id = p.order_id"
                " WHERE o.number = :n ORDER BY p.id"
            ),
            {"n": number},
        ).all()
    return [(r[0], r[1], r[2].split(":payment:")[-1] if ":payment:" in r[2] else None) for r in rows]


def _shop(factory: Factory, engine: Engine) -> tuple[Shop, str]:
    shop = open_shop(factory, payment_provider="sandbox")
    chair = add_item(factory, shop, "chair", "80.00")
    receive(engine, chair, shop.wh1, "6", "30.00")
    return shop, chair.sku


def _order(api: TestClient, shop: Shop, sku: str, token: str) -> str:
    body = order_body(
        shop, shop.web, [{"sku": sku, "qty": "2"}], payment_method="card", payment_reference=token
    )
    created = api.post("/orders", json=body, headers=bearer(shop.sales))
    assert created.status_code == 201, created.text
    return str(created.json()["order_number"])


def _ship(api: TestClient, shop: Shop, number: str, scan: str = "scan-1") -> Response:
    body = {"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DHL", "tracking": "1234567891"}
    answer: Response = api.post(
        f"/orders/{number}/warehouse-events",
        json={**body, "event_id": scan},
        headers=bearer(shop.warehouse),
    )
    return answer


async def test_a_declined_card_waits_and_a_second_card_pays(
    api: TestClient, erp_worker: Worker, temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory
) -> None:
    shop, sku = _shop(factory, engine)
    number = _order(api, shop, sku, "sandbox:decline")
    view = api.get(f"/orders/{number}", headers=bearer(shop.sales)).json()
    assert view["status"] == "awaiting_payment"
    assert active_reservations(engine, number) == D(2)  # the stock waits with the order
    early = _ship(api, shop, number)
    assert early.status_code == 409 and "payment" in early.text

    # 2 x 80.00 + 19 % = 190.40. Another declined card is refused; the order still waits.
    pay = {"method": "card", "amount": "190.40"}
    again = api.post(
        f"/orders/{number}/payment",
        json={**pay, "reference": "sandbox:decline-2"},
        headers=bearer(shop.sales),
    )
    assert again.status_code == 422 and "declined" in again.text, again.text
    paid = api.post(
        f"/orders/{number}/payment", json={**pay, "reference": "tok_visa"}, headers=bearer(shop.sales)
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["paid"] is True and paid.json()["stage"] == "allocated"
    shipped = _ship(api, shop, number)
    assert shipped.json()["stage"] == "closed"
    assert payments(engine, number) == [
        ("authorise", "declined", "authorise"),
        ("authorise", "declined", "authorise:attempt:2"),
        ("authorise", "approved", "authorise:attempt:3"),
        ("capture", "approved", None),
    ]

    if os.environ.get("ERP_RECORD_HISTORIES") or not DECLINED_THEN_PAID.exists():
        handle = temporal_dev.client.get_workflow_handle(view["workflow_id"])
        await handle.result()
        history = await handle.fetch_history()
        DECLINED_THEN_PAID.write_text(json.dumps(json.loads(history.to_json()), indent=1))
    assert "EVENT_TYPE_MARKER_RECORDED" in DECLINED_THEN_PAID.read_text()  # the patched path is recorded


async def test_an_order_nobody_pays_after_a_decline_is_cancelled_when_the_hold_runs_out(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    shop, sku = _shop(factory, engine)
    order = priced_order(
        engine, shop, [(sku, "2")], payment_method="card", payment_reference="sandbox:decline"
    )
    client = time_skipping.client
    async with build_worker(client, engine, task_queue):
        handle = await client.start_workflow(
            OrderWorkflow.run, order, id=f"Order-{order.order_number}", task_queue=task_queue
        )
        waiting = await handle.execute_update(OrderWorkflow.sync)
        assert waiting.stage == "awaiting_payment" and "declined" in waiting.pending_on
        final = await handle.result()  # the server skips through the 24 h hold
        if os.environ.get("ERP_RECORD_HISTORIES") or not DECLINED_THEN_CANCELLED.exists():
            history = await handle.fetch_history()
            DECLINED_THEN_CANCELLED.write_text(json.dumps(json.loads(history.to_json()), indent=1))
    assert final.stage == "cancelled" and "hold expired" in final.pending_on
    assert active_reservations(engine, order.order_number) == 0
    item = shop.items["chair"]
    assert balance(engine, item, shop.wh1) == (D(6), D(0))
    assert payments(engine, order.order_number) == [("authorise", "declined", "authorise")]  # nothing to void


async def test_a_lapsed_authorisation_is_renewed_before_shipment_or_the_order_waits(
    api: TestClient, erp_worker: Worker, temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory
) -> None:
    shop, sku = _shop(factory, engine)
    renewed = _order(api, shop, sku, "sandbox:lapsed")
    assert _ship(api, shop, renewed).json()["stage"] == "closed"
    assert payments(engine, renewed) == [
        ("authorise", "approved", "authorise"),
        ("authorise", "approved", "authorise:reauth:2"),
        ("capture", "approved", None),
    ]
    if os.environ.get("ERP_RECORD_HISTORIES") or not LAPSED_THEN_RENEWED.exists():
        handle = temporal_dev.client.get_workflow_handle(f"Order-{renewed}")
        await handle.result()
        history = await handle.fetch_history()
        LAPSED_THEN_RENEWED.write_text(json.dumps(json.loads(history.to_json()), indent=1))

    refused = _order(api, shop, sku, "sandbox:lapsed-decline")
    answer = _ship(api, shop, refused)
    assert answer.status_code == 409 and "lapsed" in answer.text
    view = api.get(f"/orders/{refused}", headers=bearer(shop.sales)).json()
    assert view["status"] == "awaiting_payment" and view["shipments"] == []
    paid = api.post(
        f"/orders/{refused}/payment",
        json={"method": "card", "amount": "190.40", "reference": "tok_visa"},
        headers=bearer(shop.sales),
    )
    assert paid.status_code == 200, paid.text
    assert _ship(api, shop, refused, "scan-2").json()["stage"] == "closed"  # a new scan, not a resend
    assert [p[:2] for p in payments(engine, refused)] == [
        ("authorise", "approved"),
        ("authorise", "declined"),
        ("authorise", "approved"),
        ("capture", "approved"),
    ]
