"""Segregation of duties around a new supplier: the person who set the supplier up may neither approve
a purchase order from it nor wave through its invoice for payment; colleagues can. (The requester
approving their own PO and the receiver clearing their own match exception are refused in
test_approval_policy.py and test_invoice_match.py.)"""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.factories import Factory
from tests.purchasing.buyer_desk import bearer, decide, open_desk, po_body, wait_stage, wait_task
from tests.temporal_fixtures import BackgroundWorker

D = Decimal


def test_whoever_creates_a_supplier_cannot_approve_its_orders_or_its_payment(
    api: TestClient, erp_worker: BackgroundWorker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    creator, token = factory.user("buyer", "approver", "ap_clerk", entities=(desk.entity,), limit=D("100000"))
    supplier = api.post(
        "/suppliers",
        json={
            "code": f"NEW-{desk.entity.code}",
            "name": "Fresh Vendor",
            "currency": "EUR",
            "payment_terms": "IMMEDIATE",
        },
        headers=bearer(token),
    )
    assert supplier.status_code == 201 and supplier.json()["created_by"] == creator.username
    supplier_id = supplier.json()["id"]
    price = api.post(
        "/supplier-prices",
        json={
            "supplier_id": supplier_id,
            "item_id": desk.item.id,
            "price": "10.00",
            "currency": "EUR",
            "valid_from": "2020-01-01",
        },
        headers=bearer(token),
    )
    assert price.status_code == 201, price.text

    created = api.post(
        "/purchase-orders",
        json=po_body(desk, "10", supplier_id=supplier_id),
        headers=bearer(desk.token("buyer")),
    )
    assert created.status_code == 201, created.text
    number = str(created.json()["number"])
    task = wait_task(engine, number, "po_approval")
    own_vendor = decide(api, token, task["id"], "approve", revision=1)
    assert own_vendor.status_code == 403 and "sod_supplier" in own_vendor.text
    assert decide(api, desk.token("approver"), task["id"], "approve", revision=1).status_code == 200
    wait_stage(engine, number, "issued")

    received = api.post(
        f"/purchase-orders/{number}/receipts",
        headers=bearer(desk.token("receiver")),
        json={"delivery_note": f"DN-{number}", "lines": [{"line_no": 1, "qty": "10"}]},
    )
    assert received.status_code == 200, received.text
    invoice = api.post(
        "/supplier-invoices",
        headers=bearer(desk.token("clerk")),
        json={
            "po_number": number,
            "supplier_id": supplier_id,
            "invoice_number": f"X-{number}",
            "invoice_date": "2026-11-20",
            "currency": "EUR",
            "lines": [{"line_no": 1, "qty": "10", "price": "11.00"}],
        },
    )
    assert invoice.status_code == 200 and invoice.json()["status"] == "exception", invoice.text
    exception = wait_task(engine, number, "match_exception")
    waved = decide(api, token, exception["id"], "accept", comment="I know them")
    assert waved.status_code == 403 and "sod_supplier" in waved.text
    assert (
        decide(api, desk.token("clerk"), exception["id"], "accept", comment="agreed surcharge").status_code
        == 200
    )
    wait_stage(engine, number, "closed")
