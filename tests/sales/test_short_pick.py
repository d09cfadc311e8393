"""The picker finds fewer units than the system says: the missing ones are written off as shrinkage and
the line is re-allocated from the other warehouse; broken goods with no stock elsewhere open a task."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.sales.shop import account_totals, add_item, balance, bearer, open_shop, order_body, receive

D = Decimal


def test_short_pick_reallocates_and_damage_without_stock_opens_a_task(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    plate = add_item(factory, shop, "plate", "12.00")
    bowl = add_item(factory, shop, "bowl", "10.00")
    receive(engine, plate, shop.wh1, "5", "4.00")
    receive(engine, plate, shop.wh2, "3", "4.00")
    receive(engine, bowl, shop.wh1, "1", "3.00")
    body = order_body(shop, shop.web, [{"sku": plate.sku, "qty": "4"}, {"sku": bowl.sku, "qty": "1"}])
    number = api.post("/orders", json=body, headers=bearer(shop.sales)).json()["order_number"]
    wh = bearer(shop.warehouse)

    # Only 2 of the 4 plates are on the wh1 shelf.
    short = api.post(
        f"/orders/{number}/warehouse-events",
        headers=wh,
        json={"kind": "short_pick", "location_id": shop.wh1.id, "line_no": 1, "qty": "2"},
    )
    assert short.status_code == 200, short.text
    assert short.json()["stage"] == "allocated"
    # 2 written off at wh1; the 4 plates are re-allocated: the 3 left at wh1 and 1 from wh2.
    assert balance(engine, plate, shop.wh1) == (D(3), D(3))
    assert balance(engine, plate, shop.wh2) == (D(3), D(1))
    assert account_totals(engine, number) == {"shrinkage": D("8.00"), "inventory": D("-8.00")}

    # The only bowl is broken: nothing elsewhere, so sales ops decide.
    broken = api.post(
        f"/orders/{number}/warehouse-events",
        headers=wh,
        json={"kind": "damaged", "location_id": shop.wh1.id, "line_no": 2, "qty": "1"},
    )
    assert broken.json()["stage"] == "backordered" and broken.json()["pending_on"] == "sales_ops"
    tasks = api.get(f"/orders/{number}", headers=bearer(shop.sales)).json()["tasks"]
    assert [(t["kind"], t["status"]) for t in tasks] == [("fulfillment_exception", "open")]
    decided = api.post(
        f"/tasks/{tasks[0]['id']}/decision", json={"decision": "cancel_line"}, headers=bearer(shop.sales)
    )
    assert decided.status_code == 200, decided.text

    # Over-reporting is refused, naming the problem.
    too_many = api.post(
        f"/orders/{number}/warehouse-events",
        headers=wh,
        json={"kind": "short_pick", "location_id": shop.wh2.id, "line_no": 1, "qty": "9"},
    )
    assert too_many.status_code == 422
    for loc in (shop.wh1, shop.wh2):
        assert (
            api.post(
                f"/orders/{number}/warehouse-events",
                headers=wh,
                json={"kind": "shipped", "location_id": loc.id, "carrier": "DHL"},
            ).status_code
            == 200
        )
    view = api.get(f"/orders/{number}", headers=bearer(shop.sales)).json()
    assert view["status"] == "closed"
    assert [(ln["status"], D(ln["qty_shipped"]), D(ln["qty_cancelled"])) for ln in view["lines"]] == [
        ("shipped", D(4), D(0)),
        ("cancelled", D(0), D(1)),
    ]
