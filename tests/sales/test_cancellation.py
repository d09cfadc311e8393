"""Customers and operations cancel orders at every stage before shipment: stock is released, the card
authorisation voided, open tasks and stock waits closed."""

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
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
    receive,
)

D = Decimal


def _cancel(api: TestClient, shop: Shop, number: str) -> dict[str, Any]:
    answer = api.post(f"/orders/{number}/cancel", json={"reason": "changed mind"}, headers=bearer(shop.sales))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_cancel_at_each_stage_before_shipment(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    mug = add_item(factory, shop, "mug", "9.00")
    vase = add_item(factory, shop, "vase", "30.00")  # none in stock: backordered
    receive(engine, mug, shop.wh1, "10", "3.00")

    def place(**kw: Any) -> str:
        lines = kw.pop("lines", [{"sku": mug.sku, "qty": "2"}])
        created = api.post(
            "/orders", json=order_body(shop, shop.web, lines, **kw), headers=bearer(shop.sales)
        )
        assert created.status_code == 201, created.text
        return str(created.json()["order_number"])

    allocated = place()
    assert _cancel(api, shop, allocated)["stage"] == "cancelled"

    picking = place()
    api.post(
        f"/orders/{picking}/warehouse-events",
        json={"kind": "picked", "location_id": shop.wh1.id},
        headers=bearer(shop.warehouse),
    )
    assert _cancel(api, shop, picking)["stage"] == "cancelled"

    unpaid = place(payment_method="transfer")
    assert api.get(f"/orders/{unpaid}", headers=bearer(shop.sales)).json()["status"] == "awaiting_payment"
    assert _cancel(api, shop, unpaid)["stage"] == "cancelled"

    backordered = place(lines=[{"sku": mug.sku, "qty": "1"}, {"sku": vase.sku, "qty": "1"}])
    assert api.get(f"/orders/{backordered}", headers=bearer(shop.sales)).json()["status"] == "backordered"
    assert _cancel(api, shop, backordered)["stage"] == "cancelled"

    for number in (allocated, picking, unpaid, backordered):
        assert active_reservations(engine, number) == 0
        view = api.get(f"/orders/{number}", headers=bearer(shop.sales)).json()
        assert view["status"] == "cancelled"
        assert all(ln["status"] == "cancelled" for ln in view["lines"])
        assert view["postings"] == []
    assert balance(engine, mug, shop.wh1) == (D(10), D(0))
    card = api.get(f"/orders/{allocated}", headers=bearer(shop.sales)).json()
    assert [(p["kind"], D(p["amount"])) for p in card["payments"]] == [
        ("authorise", D("21.42")),
        ("void", D("21.42")),
    ]
    with engine.connect() as c:
        waiting = c.execute(
            text("SELECT count(*) FROM stock_waiter WHERE workflow_id = :w AND status = 'waiting'"),
            {"w": f"Order-{backordered}"},
        ).scalar()
    assert waiting == 0
    # Cancelling twice is harmless.
    assert _cancel(api, shop, allocated)["stage"] == "cancelled"
