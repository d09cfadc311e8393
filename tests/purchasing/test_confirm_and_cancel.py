"""The supplier confirms a later date (the PO's expected date moves); a PO cancelled before any receipt
releases its inbound quantity and ends; after a partial receipt, cancelling closes the rest and the PO
finishes with what arrived."""

from datetime import date, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.purchasing.buyer_desk import (
    Desk,
    bearer,
    decide,
    open_desk,
    po_body,
    stock_balance,
    wait_stage,
    wait_task,
)

D = Decimal


def _issued(api: TestClient, engine: Engine, desk: Desk, qty: str) -> str:
    created = api.post("/purchase-orders", json=po_body(desk, qty), headers=bearer(desk.token("buyer")))
    number = str(created.json()["number"])
    task = wait_task(engine, number, "po_approval")
    assert decide(api, desk.token("approver"), task["id"], "approve", revision=1).status_code == 200
    wait_stage(engine, number, "issued")
    return number


def test_confirmation_moves_the_date_and_cancellation_releases_inbound(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    assert desk.item.id and desk.warehouse.id
    buyer = bearer(desk.token("buyer"))
    number = _issued(api, engine, desk, "10")
    later = date.today() + timedelta(days=30)
    confirmed = api.post(
        f"/purchase-orders/{number}/confirmations",
        headers=buyer,
        json={"reference": f"OC-{number}", "confirmed_date": later.isoformat(), "lines": {"1": "10"}},
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["expected_date"] == later.isoformat()
    po = api.get(f"/purchase-orders/{number}", headers=buyer).json()
    assert po["expected_date"] == later.isoformat() and D(po["lines"][0]["confirmed_qty"]) == D(10)
    assert stock_balance(engine, desk.item.id, desk.warehouse.id)[1] == D(10)

    cancelled = api.post(
        f"/purchase-orders/{number}/cancel", headers=buyer, json={"reason": "season cancelled"}
    )
    assert cancelled.status_code == 200, cancelled.text
    wait_stage(engine, number, "cancelled")
    assert stock_balance(engine, desk.item.id, desk.warehouse.id)[1] == D(0)
    again = api.post(f"/purchase-orders/{number}/cancel", headers=buyer, json={"reason": "again"})
    assert again.status_code == 409, again.text

    partial = _issued(api, engine, desk, "8")
    received = api.post(
        f"/purchase-orders/{partial}/receipts",
        headers=bearer(desk.token("receiver")),
        json={"delivery_note": f"DN-{partial}", "lines": [{"line_no": 1, "qty": "3"}]},
    )
    assert received.status_code == 200, received.text
    over = api.post(
        f"/purchase-orders/{partial}/receipts",
        headers=bearer(desk.token("receiver")),
        json={"delivery_note": f"DN2-{partial}", "lines": [{"line_no": 1, "qty": "6"}]},
    )
    assert over.status_code == 422 and over.json()["detail"][0]["loc"][-1] == "lines[0].qty"  # 9 > 8 + 10 %
    assert (
        api.post(f"/purchase-orders/{partial}/cancel", headers=buyer, json={"reason": "short"}).status_code
        == 200
    )
    wait_stage(engine, partial, "matching")  # 3 received, 5 cancelled: waiting for the invoice of 3
    assert stock_balance(engine, desk.item.id, desk.warehouse.id)[:2] == (D(3), D(0))
    po = api.get(f"/purchase-orders/{partial}", headers=buyer).json()
    assert (D(po["lines"][0]["received_qty"]), D(po["lines"][0]["cancelled_qty"])) == (D(3), D(5))
