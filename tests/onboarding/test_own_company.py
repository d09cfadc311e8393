"""A retailer sets up its own company through the HTTP API alone. From nothing but an admin token it
creates the entity (which comes with default approval policy), its people, a warehouse, an item, a supplier
with a contract price, a customer, a tax rate, a web shop with a price list; then it buys (approve,
receive, invoice, pay), sells and ships, takes a return back and refunds it, and closes the month."""

import uuid
from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from temporalio.worker import Worker

from tests.factories import Factory
from tests.onboarding.company import Company

D = Decimal


def test_a_new_company_buys_sells_refunds_and_closes_through_the_api(
    api: TestClient, erp_worker: Worker, factory: Factory
) -> None:
    _, admin_token = factory.user("admin")  # bootstrapping only: everything below goes through HTTP
    co = Company(api, admin_token)
    uid = uuid.uuid4().hex[:6].upper()
    today = date.today()

    # 1. The entity, with its chart of accounts and default purchasing policy.
    entity = co.create("/entities", {"code": f"OWN{uid}", "name": "Own Retail GmbH", "currency": "EUR"})
    e = entity["id"]
    bands = co.call("admin", "GET", "/approval-bands", params={"entity_id": e})
    assert [(D(b["min_amount"]), b["levels"]) for b in bands] == [
        (D(0), [{"role": "approver"}]),
        (D(5000), [{"role": "approver"}, {"role": "controller"}]),
    ]
    assert co.call("admin", "GET", "/match-tolerances", params={"entity_id": e})[0]["price_pct"] == "2.0000"
    # The admin tightens one setting: 5 % over-receipt allowed from now on.
    co.call("admin", "PUT", f"/approval-settings/{e}", json={"over_receipt_pct": "5"})

    # 2. People, places, things.
    for role in ("buyer", "warehouse", "ap_clerk", "sales_ops", "controller"):
        co.hire(role, e)
    co.hire("approver", e, approval_limit="5000")
    wh = co.create("/locations", {"entity_id": e, "code": f"WH{uid}", "name": "Main warehouse"})
    # Tax rates are shared by every company in the test database: this company's tees get a class of their own.
    tax_class = f"tee{uid}".lower()
    item = co.create(
        "/items", {"sku": f"TEE{uid}", "name": "Organic tee", "category": "apparel", "tax_class": tax_class}
    )
    supplier = co.create(
        "/suppliers",
        {"code": f"SUP{uid}", "name": "Tee Mill", "currency": "EUR", "payment_terms": "IMMEDIATE"},
    )
    co.create(
        "/supplier-prices",
        {
            "supplier_id": supplier["id"],
            "item_id": item["id"],
            "price": "8.00",
            "currency": "EUR",
            "valid_from": "2020-01-01",
        },
    )
    region = "DE"
    co.create(
        "/tax-rates", {"region": region, "tax_class": tax_class, "rate": "0.19", "valid_from": "2020-01-01"}
    )
    customer = co.create(
        "/customers",
        {"code": f"CUST{uid}", "name": "First Customer", "tax_region": region, "currency": "EUR"},
    )
    web = co.create(
        "/channels",
        {"entity_id": e, "code": f"WEB{uid}", "name": "Web shop", "kind": "web", "currency": "EUR"},
    )
    co.create(
        "/channel-prices",
        {
            "channel_id": web["id"],
            "item_id": item["id"],
            "price": "25.00",
            "currency": "EUR",
            "valid_from": "2020-01-01",
        },
    )

    # 3. Buy: the buyer orders, the approver approves from the inbox, the warehouse receives, AP invoices.
    po = co.create(
        "/purchase-orders",
        {
            "entity_id": e,
            "supplier_id": supplier["id"],
            "lines": [{"item_id": item["id"], "location_id": wh["id"], "qty": "20"}],
        },
        role="buyer",
    )
    number = po["number"]
    approval = co.task("approver", "po_approval", number)
    co.call("approver", "POST", f"/tasks/{approval['id']}/decision", json={"decision": "approve"})
    co.until("buyer", f"/purchase-orders/{number}", lambda p: p["stage"] == "issued", "PO issued")
    # 21 of 20: inside the 5 % the admin allowed after creating the entity.
    co.call(
        "warehouse",
        "POST",
        f"/purchase-orders/{number}/receipts",
        json={"delivery_note": f"DN-{number}", "lines": [{"line_no": 1, "qty": "21"}]},
    )
    invoice = co.call(
        "ap_clerk",
        "POST",
        "/supplier-invoices",
        json={
            "po_number": number,
            "supplier_id": supplier["id"],
            "invoice_number": f"INV-{number}",
            "invoice_date": today.isoformat(),
            "currency": "EUR",
            "lines": [{"line_no": 1, "qty": "21", "price": "8.00"}],
        },
    )
    assert invoice["status"] == "matched", invoice
    paid = co.until(
        "buyer", f"/purchase-orders/{number}", lambda p: p["stage"] == "closed", "PO paid and closed"
    )
    assert [(i["status"], D(i["net"])) for i in paid["invoices"]] == [("paid", D("168.00"))]
    assert [(t["decision"], t["decided_by"]) for t in paid["tasks"]] == [("approve", co.names["approver"])]

    # 4. Sell and ship on the web shop at the list price.
    order = co.create(
        "/orders",
        {
            "channel": web["code"],
            "external_id": f"W{uid}",
            "customer": customer["code"],
            "lines": [{"sku": item["sku"], "qty": "2"}],
        },
        role="sales_ops",
    )
    assert order["paid"], order
    detail = co.call("sales_ops", "GET", f"/orders/{order['order_number']}")
    assert D(detail["total_due"]) == D("59.50")  # 2 x 25.00 from the price list + 19 % tax
    shipped = co.call(
        "warehouse",
        "POST",
        f"/orders/{order['order_number']}/warehouse-events",
        json={"kind": "shipped", "location_id": wh["id"], "carrier": "DHL", "tracking": "1234567891"},
    )
    assert shipped["stage"] == "closed", shipped

    # 5. One tee comes back: below the default auto-approval value, restocked and refunded to the card.
    rma = co.create(
        "/returns",
        {
            "order_number": order["order_number"],
            "lines": [{"line_no": 1, "qty": "1", "reason_code": "size_fit"}],
        },
        role="sales_ops",
    )
    refunded = co.call(
        "warehouse",
        "POST",
        f"/returns/{rma['rma_number']}/receipt",
        json={"parts": [{"line_no": 1, "qty": "1", "disposition": "restock"}]},
    )
    assert refunded["stage"] == "closed" and D(refunded["refunded"]) == D("29.75"), refunded

    # 6. Close the month: the controller signs off in the inbox.
    period = today.strftime("%Y-%m")
    co.call("controller", "POST", "/close/runs", 202, json={"entity_id": e, "period": period})
    sign_off = co.task("controller", "close_signoff", f"{entity['code']}-{period}")
    co.call("controller", "POST", f"/tasks/{sign_off['id']}/decision", json={"decision": "approve"})
    run = co.until(
        "controller", f"/close/runs/{e}/{period}", lambda r: r["status"] == "closed", "month closed"
    )
    assert run["statements"]["profit_and_loss"]["net_income"] == "17.00"  # 25.00 sold - 8.00 cost, one kept
    stock = co.call("warehouse", "GET", "/stock/balances", params={"entity_id": e})
    assert [D(s["on_hand"]) for s in stock] == [D(20)]  # 21 received - 2 shipped + 1 back
