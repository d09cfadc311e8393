"""A jacket-and-caps order: one of three jackets comes back (a partial return of a multi-line order, refunded
at its share of the promotion price). Then the desk refuses what it must: more jackets than are left to
return, caps after the 30-day window, and a phone whose serial number was not sold on the order."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.worker import Worker

from tests.factories import Factory
from tests.returns.desk import books_consistent, open_desk, raise_return, ship_through_api, stock_at, totals
from tests.sales.shop import add_item, add_promotion, bearer, receive

D = Decimal


def test_partial_return_then_over_late_and_wrong_serial_are_refused(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    shop = desk.shop
    jacket = add_item(factory, shop, "jacket", "100.00")
    cap = add_item(factory, shop, "cap", "15.00")
    receive(engine, jacket, shop.wh1, "3", "40.00")
    receive(engine, cap, shop.wh1, "2", "6.00")
    api.put(
        f"/returns/policies/channels/{shop.web.code}",
        json={"auto_approve_below": "500"},
        headers=bearer(shop.controller),
    )
    promo = add_promotion(engine, "10")
    number = ship_through_api(
        api,
        shop,
        [{"sku": jacket.sku, "qty": "3", "promotion_code": promo}, {"sku": cap.sku, "qty": "2"}],
    )  # jackets 300.00 - 10% = 270.00 + 51.30 tax; caps 30.00 + 5.70 tax

    raised = raise_return(api, shop.sales, number, [{"line_no": 1, "qty": "1", "reason_code": "size_fit"}])
    assert raised.status_code == 201, raised.text
    rma = raised.json()["rma_number"]
    assert D(raised.json()["value"]) == D("107.10")  # a third of 270.00 + 51.30
    done = api.post(
        f"/returns/{rma}/receipt",
        json={"parts": [{"line_no": 1, "qty": "1", "disposition": "restock"}]},
        headers=bearer(shop.warehouse),
    )
    assert done.status_code == 200 and done.json()["stage"] == "closed", done.text
    assert totals(engine, rma, number) == {
        "inventory": D("40.00"),
        "cogs": D("-40.00"),
        "sales_returns": D("90.00"),
        "sales_tax_payable": D("17.10"),
        "payment_clearing": D("-107.10"),
    }
    assert stock_at(engine, jacket.id, shop.wh1.id) == (D(1), D("40.00"))
    assert books_consistent(engine, shop)

    too_many = raise_return(api, shop.sales, number, [{"line_no": 1, "qty": "3", "reason_code": "size_fit"}])
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["loc"] == ["body", "lines[0].qty"]
    assert "only 2 can be returned (3 shipped, 1 already returned)" in too_many.text

    # The parcel left 40 days ago: the web channel's 30-day window is closed.
    with engine.begin() as c:
        c.execute(
            text(
                "UPDATE shipment SET shipped_on = current_date - 40 WHERE order_id ="
                " (SELECT id FROM sales_order WHERE number = :n)"
            ),
            {"n": number},
        )
    late = raise_return(api, shop.sales, number, [{"line_no": 2, "qty": "1", "reason_code": "other"}])
    assert late.status_code == 422 and "return window of 30 days closed" in late.text


def test_only_serials_sold_on_the_order_come_back(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    shop = desk.shop
    phone = add_item(factory, shop, "phone", "20.00")
    with engine.begin() as c:
        c.execute(text("UPDATE item SET tracking = 'serial' WHERE id = :i"), {"i": phone.id})
    receive(engine, phone, shop.wh1, "2", "9.00")
    number = ship_through_api(api, shop, [{"sku": phone.sku, "qty": "2"}])
    scanned = api.post(
        "/returns/serials",
        json={"order_number": number, "line_no": 1, "serials": ["SN-1", "SN-2"]},
        headers=bearer(shop.warehouse),
    )
    assert scanned.status_code == 200 and scanned.json()["serials_recorded"] == 2, scanned.text

    wrong = raise_return(
        api, shop.sales, number, [{"line_no": 1, "qty": "1", "reason_code": "defective", "serials": ["SN-9"]}]
    )
    assert wrong.status_code == 422 and "serial 'SN-9' was not sold on this order line" in wrong.text
    right = raise_return(
        api, shop.sales, number, [{"line_no": 1, "qty": "1", "reason_code": "defective", "serials": ["SN-1"]}]
    )
    assert right.status_code == 201, right.text
    rma = right.json()["rma_number"]
    again = raise_return(
        api, shop.sales, number, [{"line_no": 1, "qty": "1", "reason_code": "defective", "serials": ["SN-1"]}]
    )
    assert again.status_code == 422 and "already on another return" in again.text
    back = api.post(
        f"/returns/{rma}/receipt",
        json={"parts": [{"line_no": 1, "qty": "1", "disposition": "restock", "serials": ["SN-1"]}]},
        headers=bearer(shop.warehouse),
    )
    assert back.status_code == 200, back.text
    with engine.connect() as c:
        serials = (
            c.execute(text("SELECT serial FROM stock_move WHERE source_id = :r"), {"r": rma}).scalars().all()
        )
    assert serials == ["SN-1"]
