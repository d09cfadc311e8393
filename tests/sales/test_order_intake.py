"""A web shop sends orders: bad ones are refused naming the field (nothing reserved); the same order sent
twice starts once; the order is visible to its entity's users only."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.api.loc import field_path
from tests.factories import Factory
from tests.sales.shop import active_reservations, add_item, balance, bearer, open_shop, order_body, receive

D = Decimal


def test_bad_orders_name_the_field_and_reserve_nothing(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    tee = add_item(factory, shop, "tee", "20.00", floor="12.00")
    receive(engine, tee, shop.wh1, "10", "8.00")
    good = {"sku": tee.sku, "qty": "1"}
    cases = [
        (order_body(shop, shop.web, [{"sku": "NOPE", "qty": "1"}]), "lines[0].sku"),
        (order_body(shop, shop.web, [good, {"sku": tee.sku, "qty": "0"}]), "lines[1].qty"),
        ({**order_body(shop, shop.web, [good]), "channel": "NOCHANNEL"}, "channel"),
        (
            order_body(shop, shop.web, [{"sku": tee.sku, "qty": "2", "unit_price": "10.00"}]),
            "lines[0].unit_price",
        ),
        (
            order_body(shop, shop.web, [{"sku": tee.sku, "qty": "1", "promotion_code": "NOPE"}]),
            "lines[0].promotion_code",
        ),
        (order_body(shop, shop.web, [good], payment_method="marketplace"), "payment_method"),
    ]
    for body, field in cases:
        answer = api.post("/orders", json=body, headers=bearer(shop.sales))
        assert answer.status_code == 422, answer.text
        # Bounds refuse in pydantic (loc split in parts), rules in the service (one dotted string).
        assert field_path(answer.json()["detail"][0]["loc"]) == field
    assert balance(engine, tee, shop.wh1) == (D(10), D(0))

    # A controller may sell below the floor (a margin decision).
    below = order_body(shop, shop.web, [{"sku": tee.sku, "qty": "2", "unit_price": "10.00"}])
    answer = api.post("/orders", json=below, headers=bearer(shop.controller))
    assert answer.status_code == 403  # ...but only the intake role takes orders
    _, boss = factory.user("sales_ops", "controller", entities=(shop.entity,))
    assert api.post("/orders", json=below, headers=bearer(boss)).status_code == 201


def test_the_same_order_twice_starts_once_and_is_visible_to_its_entity_only(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    tee = add_item(factory, shop, "tee", "20.00")
    receive(engine, tee, shop.wh1, "10", "8.00")
    body = order_body(shop, shop.web, [{"sku": tee.sku, "qty": "3"}])

    first = api.post("/orders", json=body, headers=bearer(shop.sales))
    assert first.status_code == 201, first.text
    assert first.json()["stage"] == "allocated" and first.json()["created"] is True
    again = api.post("/orders", json=body, headers=bearer(shop.sales))
    assert again.status_code == 200 and again.json()["created"] is False
    number = first.json()["order_number"]
    assert number == f"{shop.web.code}-{body['external_id']}"
    assert active_reservations(engine, number) == D(3)
    assert balance(engine, tee, shop.wh1) == (D(10), D(3))

    order = api.get(f"/orders/{number}", headers=bearer(shop.sales)).json()
    assert order["status"] == "allocated"
    assert [(ln["sku"], D(ln["qty"]), D(ln["gross"]), D(ln["tax"])) for ln in order["lines"]] == [
        (tee.sku, D(3), D("60.00"), D("11.40"))
    ]
    assert [(a["location_id"], D(a["qty"]), a["status"]) for a in order["allocations"]] == [
        (shop.wh1.id, D(3), "active")
    ]
    assert [p["kind"] for p in order["payments"]] == ["authorise"]

    stranger = factory.entity()
    _, other = factory.user("sales_ops", entities=(stranger,))
    assert api.get(f"/orders/{number}", headers=bearer(other)).status_code == 404
    listed = api.get("/orders", headers=bearer(shop.sales), params={"channel": shop.web.code}).json()
    assert [o["number"] for o in listed] == [number]
