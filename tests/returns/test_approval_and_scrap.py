"""A heater worth more than the web channel's auto-approval value comes back broken. Sales ops must approve
the return, but not the colleague who raised it (segregation of duties); once approved, inspection scraps it:
no stock comes back, its original cost is written off, and the customer chose store credit."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.returns.desk import (
    books_consistent,
    count,
    open_desk,
    raise_return,
    ship_through_api,
    stock_at,
    totals,
)
from tests.sales.shop import add_item, bearer, receive

D = Decimal


def test_approval_by_another_person_then_scrap_to_store_credit(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    shop = desk.shop
    heater = add_item(factory, shop, "heater", "150.00")
    receive(engine, heater, shop.wh1, "3", "60.00")
    number = ship_through_api(api, shop, [{"sku": heater.sku, "qty": "1"}])  # 150.00 + 19% = 178.50

    raised = raise_return(
        api,
        shop.sales,
        number,
        [{"line_no": 1, "qty": "1", "reason_code": "damaged"}],
        refund_method="store_credit",
    )
    assert raised.status_code == 201, raised.text
    rma, state = raised.json()["rma_number"], raised.json()
    assert state["stage"] == "approval" and state["pending_on"] == "sales_ops"
    [task_id] = state["open_tasks"]

    own = api.post(f"/tasks/{task_id}/decision", json={"decision": "approve"}, headers=bearer(shop.sales))
    assert own.status_code == 403 and "may not decide" in own.text
    approved = api.post(
        f"/tasks/{task_id}/decision", json={"decision": "approve"}, headers=bearer(desk.approver)
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["stage"] == "awaiting_goods"

    early = api.post(
        f"/returns/{rma}/receipt",
        json={"parts": [{"line_no": 1, "qty": "2", "disposition": "scrap"}]},
        headers=bearer(shop.warehouse),
    )
    assert early.status_code == 422 and "authorised 1" in early.text
    scrapped = api.post(
        f"/returns/{rma}/receipt",
        json={"parts": [{"line_no": 1, "qty": "1", "disposition": "scrap"}]},
        headers=bearer(shop.warehouse),
    )
    assert scrapped.status_code == 200, scrapped.text
    assert scrapped.json()["stage"] == "closed"

    assert stock_at(engine, heater.id, shop.wh1.id) == (D(2), D("120.00"))  # nothing came back into stock
    assert totals(engine, rma, number) == {
        "write_off": D("60.00"),
        "cogs": D("-60.00"),
        "sales_returns": D("150.00"),
        "sales_tax_payable": D("28.50"),
        "store_credit": D("-178.50"),
    }
    assert books_consistent(engine, shop)
    assert count(engine, "SELECT count(*) FROM stock_move WHERE source_id = :r", r=rma) == 0
    detail = api.get(f"/returns/{rma}", headers=bearer(shop.sales)).json()
    assert detail["approved_by"] != detail["requested_by"]
    assert detail["credit_note"]["method"] == "store_credit" and detail["credit_note"]["payment_id"] is None
    assert [(t["kind"], t["status"], t["decision"]) for t in detail["tasks"]] == [
        ("return_approval", "decided", "approve")
    ]
    store_credit = [line for e in detail["postings"] for line in e["lines"] if line["role"] == "store_credit"]
    assert [(ln["partner_type"], ln["partner_id"]) for ln in store_credit] == [
        ("customer", shop.customer.code)
    ]
