"""Two drills come back. One is faulty from the factory: it goes back to the supplier, through quarantine,
with a debit note that reduces what we owe them. The other needs a new battery: it goes to the refurbishment
bench, still inventory at its original cost. The channel's controller raised the auto-approval value first."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.worker import Worker

from tests.factories import Factory
from tests.returns.desk import books_consistent, open_desk, raise_return, ship_through_api, stock_at, totals
from tests.sales.shop import add_item, bearer, receive

D = Decimal


def test_return_to_vendor_reduces_payables_and_refurbish_keeps_inventory(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    shop = desk.shop
    quarantine = factory.location(shop.entity, kind="quarantine")
    bench = factory.location(shop.entity, kind="refurbish")
    drill = add_item(factory, shop, "drill", "80.00")
    supplier = factory.supplier()
    factory.supplier_price(supplier, drill, D("35.00"))
    receive(engine, drill, shop.wh1, "4", "35.00")
    policy = api.put(
        f"/returns/policies/channels/{shop.web.code}",
        json={"auto_approve_below": "1000"},
        headers=bearer(shop.controller),
    )
    assert policy.status_code == 200, policy.text
    number = ship_through_api(api, shop, [{"sku": drill.sku, "qty": "2"}])  # 160.00 + 19% = 190.40

    raised = raise_return(api, shop.sales, number, [{"line_no": 1, "qty": "2", "reason_code": "defective"}])
    assert raised.status_code == 201 and raised.json()["stage"] == "awaiting_goods", raised.text
    rma = raised.json()["rma_number"]
    received = api.post(
        f"/returns/{rma}/receipt",
        json={
            "parts": [
                {"line_no": 1, "qty": "1", "disposition": "return_to_vendor"},
                {"line_no": 1, "qty": "1", "disposition": "refurbish"},
            ]
        },
        headers=bearer(shop.warehouse),
    )
    assert received.status_code == 200, received.text
    assert received.json()["lines"][0]["dispositions"] == ["1 return_to_vendor", "1 refurbish"]

    # In through quarantine and straight out to the supplier; the refurbished one stays at the bench.
    assert stock_at(engine, drill.id, quarantine.id) == (D(0), D("0.00"))
    assert stock_at(engine, drill.id, bench.id) == (D(1), D("35.00"))
    assert totals(engine, rma, number) == {
        "inventory": D("35.00"),
        "cogs": D("-70.00"),
        "ap": D("35.00"),
        "sales_returns": D("160.00"),
        "sales_tax_payable": D("30.40"),
        "payment_clearing": D("-190.40"),
    }
    assert books_consistent(engine, shop)
    with engine.connect() as c:
        ap = c.execute(
            text(
                "SELECT l.partner_type, l.partner_id, l.amount FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id"
                " JOIN account a ON a.id = l.account_id WHERE e.source_id = :r AND a.role = 'ap'"
            ),
            {"r": rma},
        ).all()
        note = c.execute(
            text("SELECT payload FROM outbox_message WHERE kind = 'return.debit_note' AND document_id = :r"),
            {"r": rma},
        ).scalar_one()
    assert [(t, p, D(a)) for t, p, a in ap] == [("supplier", str(supplier.id), D("35.00"))]
    assert note["supplier_code"] == supplier.code and D(note["value"]) == D("35.00") and note["qty"] == "1"
    detail = api.get(f"/returns/{rma}", headers=bearer(shop.sales)).json()
    vendor = [d for d in detail["dispositions"] if d["disposition"] == "return_to_vendor"]
    assert vendor[0]["supplier"] == supplier.code and vendor[0]["debit_note_number"] == note["number"]
