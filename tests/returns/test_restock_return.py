"""A customer sends back two lamps bought on the web shop. The return is worth less than the channel's
auto-approval value, so it is approved at once; the warehouse restocks them: the lamps go back into sellable
stock at the cost they left at (not today's average), cost of goods is reversed, the card is refunded with a
credit note, and operators see the stage in Temporal."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.returns.desk import books_consistent, open_desk, raise_return, ship_through_api, stock_at, totals
from tests.sales.shop import add_item, bearer, receive
from workflows import search_attributes as sa

D = Decimal


async def test_restock_puts_goods_back_at_original_cost_and_refunds_the_card(
    api: TestClient, erp_worker: Worker, temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    shop = desk.shop
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "5", "12.00")
    number = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "2"}])  # 60.00 + 19% = 71.40, cost 24.00
    # Newer stock arrives dearer: the average moves to 16.00, the returned lamps must still come back at 12.00.
    receive(engine, lamp, shop.wh1, "3", "20.00")

    raised = raise_return(api, shop.sales, number, [{"line_no": 1, "qty": "2", "reason_code": "defective"}])
    assert raised.status_code == 201, raised.text
    rma = raised.json()["rma_number"]
    assert raised.json()["stage"] == "awaiting_goods" and raised.json()["approved_by"] == "system"
    assert D(raised.json()["value"]) == D("71.40")

    received = api.post(
        f"/returns/{rma}/receipt",
        json={"parts": [{"line_no": 1, "qty": "2", "disposition": "restock"}]},
        headers=bearer(shop.warehouse),
    )
    assert received.status_code == 200, received.text
    assert received.json()["stage"] == "closed" and D(received.json()["refunded"]) == D("71.40")

    # Stock: 3 left + 3 new + 2 back; value 36 + 60 + 24 (two lamps at their original 12.00).
    assert stock_at(engine, lamp.id, shop.wh1.id) == (D(8), D("120.00"))
    assert totals(engine, rma, number) == {
        "inventory": D("24.00"),
        "cogs": D("-24.00"),
        "sales_returns": D("60.00"),
        "sales_tax_payable": D("11.40"),
        "payment_clearing": D("-71.40"),
    }
    assert books_consistent(engine, shop)

    detail = api.get(f"/returns/{rma}", headers=bearer(shop.sales)).json()
    assert detail["stage"] == "closed" and detail["order_number"] == number
    assert detail["credit_note"]["number"] == f"CN-{rma}" and detail["credit_note"]["method"] == "payment"
    assert [(d["disposition"], D(d["qty"]), D(d["value"])) for d in detail["dispositions"]] == [
        ("restock", D(2), D("24.00"))
    ]
    assert D(detail["lines"][0]["unit_cost"]) == D("12.00") and D(detail["lines"][0]["received_qty"]) == D(2)
    assert {d["kind"] for d in detail["documents"]} == {"return.received", "refund.issued"}
    refunds = [p for p in api.get(f"/orders/{number}", headers=bearer(shop.sales)).json()["payments"]]
    assert [(p["kind"], D(p["amount"])) for p in refunds if p["kind"] == "refund"] == [("refund", D("71.40"))]

    described = await temporal_dev.client.get_workflow_handle(f"Return-{rma}").describe()
    attrs = described.typed_search_attributes
    assert attrs.get(sa.DOCUMENT_TYPE) == "return" and attrs.get(sa.STAGE) == "closed"
    assert attrs.get(sa.DOCUMENT_NUMBER) == rma
