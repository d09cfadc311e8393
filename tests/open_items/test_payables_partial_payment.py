"""An AP clerk's month with one supplier on NET30: ten shirts received and invoiced at 10.00 (100.00 owed,
due in 30 days). The treasurer pays 40.00 now and the rest later, the way a payment run posts (AP -> bank,
the payment allocated to the invoice it names). The open items show 60.00 open on the invoice, the aging
moves it from current to 1-30 days overdue, the open items equal the AP control account; then a freight
bill booked to AP without a document makes them differ, and the reconciliation names that entry."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.worker import Worker

from services.core import ledger, open_items
from services.core.ledger import LineIn, PostingRequest
from tests.factories import Factory
from tests.purchasing.buyer_desk import Desk, bearer, decide, open_desk, po_body, wait_stage, wait_task

D = Decimal


def _post(engine: Engine, desk: Desk, key: str, lines: list[LineIn]) -> int:
    assert desk.entity.id is not None
    with Session(engine) as s:
        entry = ledger.post(
            s,
            PostingRequest(
                entity_id=desk.entity.id,
                idempotency_key=key,
                posting_date=date.today(),
                source_type="payment" if "pay" in key else "manual_journal",
                source_id=key,
                currency="EUR",
                lines=lines,
            ),
        )
        s.commit()
        return entry.entry_id


def _pay(engine: Engine, desk: Desk, key: str, amount: str, invoice: str) -> None:
    """A supplier payment as the payment services post it: AP -> bank, recorded and allocated at once."""
    supplier = str(desk.supplier.id)
    entry = _post(
        engine, desk, key, [LineIn("ap", D(amount), "", "supplier", supplier), LineIn("bank", -D(amount))]
    )
    with Session(engine) as s:
        open_items.record(s, entry, "payment", key, against=invoice)
        s.commit()


def _get(api: TestClient, desk: Desk, path: str, **params: Any) -> Any:
    answer = api.get(
        path, params={"entity_id": desk.entity.id, **params}, headers=bearer(desk.token("clerk"))
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_partial_payment_leaves_the_rest_open_and_aging(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory, price="10.00", terms="NET30")
    created = api.post("/purchase-orders", json=po_body(desk, "10"), headers=bearer(desk.token("buyer")))
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    task = wait_task(engine, number, "po_approval")
    assert decide(api, desk.token("approver"), task["id"], "approve", revision=1).status_code == 200
    wait_stage(engine, number, "issued")
    received = api.post(
        f"/purchase-orders/{number}/receipts",
        headers=bearer(desk.token("receiver")),
        json={"delivery_note": f"DN-{number}", "lines": [{"line_no": 1, "qty": "10"}]},
    )
    assert received.status_code == 200, received.text
    today = date.today()
    invoice = f"INV-{number}"
    billed = api.post(
        "/supplier-invoices",
        headers=bearer(desk.token("clerk")),
        json={
            "po_number": number,
            "supplier_id": desk.supplier.id,
            "invoice_number": invoice,
            "invoice_date": str(today),
            "currency": "EUR",
            "lines": [{"line_no": 1, "qty": "10", "price": "10.00"}],
        },
    )
    assert billed.status_code == 200 and billed.json()["status"] == "matched", billed.text
    items = _get(api, desk, "/open-items", side="ap")["items"]
    assert [(i["document_ref"], D(i["open"]), i["due_date"]) for i in items] == [
        (invoice, D("100.00"), str(today + timedelta(days=30)))
    ]

    _pay(engine, desk, f"pay:{number}:1", "40.00", invoice)
    items = _get(api, desk, "/open-items", side="ap")["items"]
    assert [(i["document_type"], D(i["amount"]), D(i["open"])) for i in items] == [
        ("invoice", D("100.00"), D("60.00"))
    ]
    # The day before the invoice nothing was owed.
    assert _get(api, desk, "/open-items", side="ap", as_of=str(today - timedelta(days=1)))["items"] == []

    # Due in 30 days: current today; 45 days on it is 15 days overdue (1-30).
    current = _get(api, desk, "/open-items/aging", side="ap")["rows"]
    assert [(r["counterparty"], D(r["current"]), D(r["total"])) for r in current] == [
        (desk.supplier.code, D("60.00"), D("60.00"))
    ]
    later = _get(api, desk, "/open-items/aging", side="ap", as_of=str(today + timedelta(days=45)))["rows"]
    assert [(D(r["current"]), D(r["d1_30"]), D(r["total"])) for r in later] == [
        (D(0), D("60.00"), D("60.00"))
    ]

    ap = next(s for s in _get(api, desk, "/open-items/reconciliation")["sides"] if s["side"] == "ap")
    assert (D(ap["open_items"]), D(ap["control"]), D(ap["difference"])) == (D("60.00"), D("60.00"), D(0))

    _pay(engine, desk, f"pay:{number}:2", "60.00", invoice)
    assert _get(api, desk, "/open-items", side="ap")["items"] == []
    assert _get(api, desk, "/open-items/aging", side="ap")["rows"] == []

    # A freight bill straight to AP, naming no supplier: the control account moves, the open items do not.
    freight = _post(
        engine, desk, f"mj:{number}:freight", [LineIn("freight_expense", D(25)), LineIn("ap", D(-25))]
    )
    ap = next(s for s in _get(api, desk, "/open-items/reconciliation")["sides"] if s["side"] == "ap")
    assert (D(ap["open_items"]), D(ap["control"]), D(ap["difference"])) == (D(0), D("25.00"), D("-25.00"))
    assert [u["journal_entries"] for u in ap["unrecorded"]] == [[freight]]
