"""A customer swaps a medium tee for a large one: the medium comes back into stock, the card is refunded, and
a replacement order for the large tee starts as its own order workflow, linked to the return both ways."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.returns.desk import books_consistent, open_desk, raise_return, ship_through_api
from tests.sales.shop import add_item, bearer, receive

D = Decimal


def test_exchange_starts_a_linked_replacement_order(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    shop = desk.shop
    medium = add_item(factory, shop, "tee-m", "20.00")
    large = add_item(factory, shop, "tee-l", "20.00")
    receive(engine, medium, shop.wh1, "2", "8.00")
    receive(engine, large, shop.wh1, "2", "8.00")
    number = ship_through_api(api, shop, [{"sku": medium.sku, "qty": "1"}])

    raised = raise_return(
        api,
        shop.sales,
        number,
        [{"line_no": 1, "qty": "1", "reason_code": "size_fit"}],
        exchange=[{"sku": large.sku, "qty": "1"}],
    )
    assert raised.status_code == 201, raised.text
    rma = raised.json()["rma_number"]
    done = api.post(
        f"/returns/{rma}/receipt",
        json={"parts": [{"line_no": 1, "qty": "1", "disposition": "restock"}]},
        headers=bearer(shop.warehouse),
    )
    assert done.status_code == 200, done.text
    replacement = done.json()["exchange_order_number"]
    assert replacement == f"{shop.web.code}-{rma}-X"

    order = api.get(f"/orders/{replacement}", headers=bearer(shop.sales)).json()
    assert order["workflow_id"] == f"Order-{replacement}"
    assert [(ln["sku"], D(ln["qty"])) for ln in order["lines"]] == [(large.sku, D(1))]
    detail = api.get(f"/returns/{rma}", headers=bearer(shop.sales)).json()
    assert detail["exchange_order_number"] == replacement and detail["stage"] == "closed"
    assert books_consistent(engine, shop)
