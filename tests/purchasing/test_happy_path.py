"""A buyer orders 10 shirts; the approver approves; the warehouse receives them in two deliveries; the
supplier invoices within tolerance; the invoice is paid on its due date (immediate terms) and the PO closes
with its postings, history and cycle time visible through the API."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.worker import Worker

from tests.factories import Factory
from tests.purchasing.buyer_desk import (
    account_totals,
    bearer,
    decide,
    open_desk,
    po_body,
    stock_balance,
    wait_stage,
    wait_task,
)

D = Decimal


def test_requisition_to_payment_through_the_api(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory, price="10.00")
    assert desk.item.id and desk.warehouse.id
    created = api.post(
        "/purchase-orders", json=po_body(desk, "10", landed_cost_pct="5"), headers=bearer(desk.token("buyer"))
    )
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    assert created.json()["workflow_id"] == f"PO-{number}"

    task = wait_task(engine, number, "po_approval")
    assert task["candidate_role"] == "approver"
    approved = decide(api, desk.token("approver"), task["id"], "approve", revision=1)
    assert approved.status_code == 200, approved.text
    wait_stage(engine, number, "issued")
    with engine.connect() as c:
        outbox = c.execute(
            text("SELECT kind FROM outbox_message WHERE document_id = :n ORDER BY id"), {"n": number}
        ).all()
    assert [r[0] for r in outbox] == ["purchase_order.approved", "purchase_order.issued"]
    assert stock_balance(engine, desk.item.id, desk.warehouse.id)[:2] == (D(0), D(10))

    wh = bearer(desk.token("receiver"))
    first = api.post(
        f"/purchase-orders/{number}/receipts",
        headers=wh,
        json={"delivery_note": f"DN-{number}-1", "lines": [{"line_no": 1, "qty": "4"}]},
    )
    assert first.status_code == 200, first.text
    assert stock_balance(engine, desk.item.id, desk.warehouse.id) == (D(4), D(6), D("42.00"))
    assert wait_stage(engine, number, "receiving")
    again = api.post(
        f"/purchase-orders/{number}/receipts",
        headers=wh,
        json={"delivery_note": f"DN-{number}-1", "lines": [{"line_no": 1, "qty": "4"}]},
    )
    assert again.json() == first.json()  # a retried delivery note replays, it does not receive twice
    second = api.post(
        f"/purchase-orders/{number}/receipts",
        headers=wh,
        json={"delivery_note": f"DN-{number}-2", "lines": [{"line_no": 1, "qty": "6"}]},
    )
    assert second.status_code == 200, second.text
    assert stock_balance(engine, desk.item.id, desk.warehouse.id) == (D(10), D(0), D("105.00"))
    assert account_totals(engine, number) == {
        "inventory": D("105.00"),
        "grni": D("-100.00"),
        "landed_cost_accrual": D("-5.00"),
    }

    invoice = api.post(
        "/supplier-invoices",
        headers=bearer(desk.token("clerk")),
        json={
            "po_number": number,
            "supplier_id": desk.supplier.id,
            "invoice_number": f"INV-{number}",
            "invoice_date": "2026-11-20",
            "currency": "EUR",
            "lines": [{"line_no": 1, "qty": "10", "price": "10.10"}],
        },
    )
    assert invoice.status_code == 200, invoice.text
    assert invoice.json()["status"] == "matched"
    wait_stage(engine, number, "closed")
    # GRNI cleared at PO price, 1.00 price variance, the supplier paid 101.00 from the bank.
    assert account_totals(engine, number) == {
        "inventory": D("105.00"),
        "landed_cost_accrual": D("-5.00"),
        "price_variance": D("1.00"),
        "bank": D("-101.00"),
    }

    po = api.get(f"/purchase-orders/{number}", headers=bearer(desk.token("buyer"))).json()
    assert po["stage"] == "closed" and po["cycle_time_seconds"] is not None
    assert [D(ln["received_qty"]) for ln in po["lines"]] == [D(10)]
    assert [r["delivery_note"] for r in po["receipts"]] == [f"DN-{number}-1", f"DN-{number}-2"]
    assert [(i["status"], D(i["net"])) for i in po["invoices"]] == [("paid", D("101.00"))]
    assert po["invoices"][0]["matches"][0]["status"] == "matched"
    assert len(po["postings"]) == 4  # two receipts, the matched invoice, the payment
    assert [(t["kind"], t["decision"], t["decided_by"]) for t in po["tasks"]] == [
        ("po_approval", "approve", desk.name("approver"))
    ]
    assert {"po.created", "task.approve", "po.issued", "po.received", "invoice.paid", "po.closed"} <= {
        h["action"] for h in po["history"]
    }
    listed = api.get(
        "/purchase-orders",
        params={"stage": "closed", "entity_id": desk.entity.id},
        headers=bearer(desk.token("buyer")),
    ).json()
    assert [p["number"] for p in listed] == [number]

    stranger = open_desk(factory)
    assert api.get(f"/purchase-orders/{number}", headers=bearer(stranger.token("buyer"))).status_code == 404
    assert all(
        p["number"] != number
        for p in api.get("/purchase-orders", headers=bearer(stranger.token("buyer"))).json()
    )
