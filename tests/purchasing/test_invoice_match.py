"""Supplier invoices meet the three-way match. Within tolerance they are posted and paid; outside, a match
exception goes to the AP clerks, who accept (variance posted), reject (debit note to the supplier) or wait
for the missing receipt. The person who received the goods may not resolve the exception, and the same
supplier invoice number is refused twice."""

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.worker import Worker

from tests.factories import Factory
from tests.purchasing.buyer_desk import (
    Desk,
    account_totals,
    bearer,
    decide,
    open_desk,
    po_body,
    wait_stage,
    wait_task,
)

D = Decimal


def _issued_po(api: TestClient, engine: Engine, desk: Desk, qty: str = "10") -> str:
    created = api.post("/purchase-orders", json=po_body(desk, qty), headers=bearer(desk.token("buyer")))
    assert created.status_code == 201, created.text
    number = str(created.json()["number"])
    approved = decide(
        api, desk.token("approver"), wait_task(engine, number, "po_approval")["id"], "approve", revision=1
    )
    assert approved.status_code == 200, approved.text
    wait_stage(engine, number, "issued")
    return number


def _receive(api: TestClient, token: str, number: str, note: str, qty: str) -> None:
    answer = api.post(
        f"/purchase-orders/{number}/receipts",
        headers=bearer(token),
        json={"delivery_note": note, "lines": [{"line_no": 1, "qty": qty}]},
    )
    assert answer.status_code == 200, answer.text


def _invoice(api: TestClient, desk: Desk, number: str, invoice_no: str, qty: str, price: str) -> Any:
    return api.post(
        "/supplier-invoices",
        headers=bearer(desk.token("clerk")),
        json={
            "po_number": number,
            "supplier_id": desk.supplier.id,
            "invoice_number": invoice_no,
            "invoice_date": "2026-11-20",
            "currency": "EUR",
            "lines": [{"line_no": 1, "qty": qty, "price": price}],
        },
    )


def test_price_outside_tolerance_is_rejected_and_a_corrected_invoice_is_paid(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    _, dual_token = factory.user("warehouse", "ap_clerk", entities=(desk.entity,))
    number = _issued_po(api, engine, desk)
    _receive(api, dual_token, number, f"DN-{number}", "10")

    high = _invoice(api, desk, number, f"A-{number}", "10", "11.00")  # 10 % above the PO price
    assert high.status_code == 200 and high.json()["status"] == "exception", high.text
    assert high.json()["reasons"] == ["price_over_tolerance"]
    task = wait_task(engine, number, "match_exception")
    wait_stage(engine, number, "exception")
    assert account_totals(engine, number) == {
        "inventory": D("100.00"),
        "grni": D("-100.00"),
    }  # nothing posted
    sod = decide(api, dual_token, task["id"], "accept")
    assert sod.status_code == 403 and "sod_receipt" in sod.text
    duplicate = _invoice(api, desk, number, f"A-{number}", "10", "10.00")
    assert duplicate.status_code == 409 and duplicate.json()["detail"][0]["loc"][-1] == "invoice_number"

    assert (
        decide(api, desk.token("clerk"), task["id"], "reject", comment="price not agreed").status_code == 200
    )
    with engine.connect() as c:
        notes = (
            c.execute(
                text("SELECT kind FROM outbox_message WHERE document_id = :n ORDER BY id"), {"n": number}
            )
            .scalars()
            .all()
        )
    assert notes == [
        "purchase_order.approved",
        "purchase_order.issued",
        "goods_receipt.posted",
        "supplier_invoice.debit_note",
    ]
    wait_stage(engine, number, "matching")

    fair = _invoice(api, desk, number, f"B-{number}", "10", "10.15")  # 1.5 %: within the 2 % default
    assert fair.status_code == 200 and fair.json()["status"] == "matched", fair.text
    wait_stage(engine, number, "closed")
    assert account_totals(engine, number) == {
        "inventory": D("100.00"),
        "price_variance": D("1.50"),
        "bank": D("-101.50"),
    }
    po = api.get(f"/purchase-orders/{number}", headers=bearer(desk.token("clerk"))).json()
    assert [(i["invoice_number"], i["status"]) for i in po["invoices"]] == [
        (f"A-{number}", "rejected"),
        (f"B-{number}", "paid"),
    ]
    assert po["invoices"][0]["matches"][0]["reasons"] == ["price_over_tolerance"]
    assert po["invoices"][0]["matches"][0]["resolution"] == "reject"


def test_an_invoice_ahead_of_the_goods_waits_for_the_receipt_and_an_accepted_variance_is_posted(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    number = _issued_po(api, engine, desk)
    _receive(api, desk.token("receiver"), number, f"DN1-{number}", "5")
    early = _invoice(api, desk, number, f"W-{number}", "10", "10.00")
    assert early.json()["reasons"] == ["qty_over_received"]
    task = wait_task(engine, number, "match_exception")
    assert (
        decide(api, desk.token("clerk"), task["id"], "wait_for_receipt", payload={"days": 7}).status_code
        == 200
    )
    wait_stage(engine, number, "receiving")
    _receive(api, desk.token("receiver"), number, f"DN2-{number}", "5")
    wait_stage(engine, number, "closed")  # matched again on arrival, then paid
    assert account_totals(engine, number) == {"inventory": D("100.00"), "bank": D("-100.00")}

    other = _issued_po(api, engine, desk)
    _receive(api, desk.token("receiver"), other, f"DN-{other}", "10")
    costly = _invoice(api, desk, other, f"X-{other}", "10", "12.00")
    assert costly.json()["status"] == "exception"
    accept = decide(api, desk.token("clerk"), wait_task(engine, other, "match_exception")["id"], "accept")
    assert accept.status_code == 200, accept.text
    wait_stage(engine, other, "closed")
    assert account_totals(engine, other) == {
        "inventory": D("100.00"),
        "price_variance": D("20.00"),
        "bank": D("-120.00"),
    }
