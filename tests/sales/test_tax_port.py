"""Sales tax comes from one place, the tax port: a book in the "reduced" tax class that the shop's region has
no rate for is refused at intake naming the line (never sold at 0 % by accident); once the controller sets up
a rate, even an explicit 0 %, it sells. A substitute line is taxed at its own item's rate, and a substitute
whose tax class has no rate is refused naming the SKU, changing nothing."""

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.worker import Worker

from models.master import TaxRate
from tests.api.loc import field_path
from tests.factories import Factory
from tests.sales.shop import Shop, add_item, bearer, open_shop, order_body, receive

D = Decimal


def _rate(engine: Engine, shop: Shop, tax_class: str, rate: str) -> None:
    """The controller's tax rate master data (the test region is longer than the API's region codes)."""
    with Session(engine) as s:
        s.add(TaxRate(region=shop.region, tax_class=tax_class, rate=D(rate), valid_from=date(2000, 1, 1)))
        s.commit()


def test_an_item_without_a_rate_is_refused_and_an_explicit_zero_rate_sells(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    book = add_item(factory, shop, "book", "10.00")
    with engine.begin() as c:
        c.exec_driver_sql("UPDATE item SET tax_class = 'books' WHERE id = %s", (book.id,))
    receive(engine, book, shop.wh1, "5", "4.00")
    body = order_body(shop, shop.web, [{"sku": book.sku, "qty": "1"}])
    refused = api.post("/orders", json=body, headers=bearer(shop.sales))
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"][0]
    assert field_path(detail["loc"]) == "lines[0].sku"
    assert "no sales tax rate" in detail["msg"] and "books" in detail["msg"]
    assert (
        api.get(f"/orders/{shop.web.code}-{body['external_id']}", headers=bearer(shop.sales)).status_code
        == 404
    )

    _rate(engine, shop, "books", "0")  # books are zero-rated here: a decision, not a default
    sold = api.post("/orders", json=body, headers=bearer(shop.sales))
    assert sold.status_code == 201, sold.text
    line = api.get(f"/orders/{sold.json()['order_number']}", headers=bearer(shop.sales)).json()["lines"][0]
    assert (D(line["tax_rate"]), D(line["tax"])) == (D(0), D(0))


def test_a_substitute_is_taxed_at_its_own_rate_and_refused_without_one(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)  # standard rate 19 %
    _rate(engine, shop, "reduced", "0.07")
    lamp = add_item(factory, shop, "lamp", "50.00")
    kit = add_item(factory, shop, "kit", "50.00")
    odd = add_item(factory, shop, "odd", "50.00")
    with engine.begin() as c:
        c.exec_driver_sql("UPDATE item SET tax_class = 'reduced' WHERE id = %s", (kit.id,))
        c.exec_driver_sql("UPDATE item SET tax_class = 'unrated' WHERE id = %s", (odd.id,))
    receive(engine, lamp, shop.wh1, "1", "20.00")
    receive(engine, kit, shop.wh1, "3", "20.00")
    receive(engine, odd, shop.wh1, "3", "20.00")
    created = api.post(
        "/orders",
        json=order_body(shop, shop.web, [{"sku": lamp.sku, "qty": "1"}]),
        headers=bearer(shop.sales),
    )
    number = created.json()["order_number"]
    broken = api.post(
        f"/orders/{number}/warehouse-events",
        json={"kind": "damaged", "location_id": shop.wh1.id, "line_no": 1, "qty": "1"},
        headers=bearer(shop.warehouse),
    )
    assert broken.json()["pending_on"] == "sales_ops", broken.text
    task_id = api.get(f"/orders/{number}", headers=bearer(shop.sales)).json()["tasks"][0]["id"]

    unrated = api.post(
        f"/tasks/{task_id}/decision",
        json={"decision": "substitute", "payload": {"sku": odd.sku}},
        headers=bearer(shop.sales),
    )
    assert unrated.status_code == 422, unrated.text
    assert "payload.sku" in unrated.text and "no sales tax rate" in unrated.text
    assert len(api.get(f"/orders/{number}", headers=bearer(shop.sales)).json()["lines"]) == 1

    done = api.post(
        f"/tasks/{task_id}/decision",
        json={"decision": "substitute", "payload": {"sku": kit.sku}},
        headers=bearer(shop.sales),
    )
    assert done.status_code == 200, done.text
    lines = api.get(f"/orders/{number}", headers=bearer(shop.sales)).json()["lines"]
    assert [(ln["sku"], D(ln["tax_rate"]), D(ln["tax"])) for ln in lines] == [
        (lamp.sku, D("0.19"), D("9.50")),
        (kit.sku, D("0.07"), D("3.50")),  # 50.00 at the kit's own 7 %, not the lamp's 19 % or 0 %
    ]
