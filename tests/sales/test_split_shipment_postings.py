"""A worked example: a web order split over two warehouses ships in two parcels; the books show exactly
the hand-computed revenue, discount, tax, card clearing and cost of goods; after shipment the order can
only be returned, not cancelled."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.sales.shop import (
    account_totals,
    add_item,
    add_promotion,
    balance,
    bearer,
    open_shop,
    order_body,
    receive,
)

D = Decimal


def test_split_shipment_posts_the_worked_example(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, tax="0.19")
    jacket = add_item(factory, shop, "jacket", "100.00")
    cap = add_item(factory, shop, "cap", "15.00")
    receive(engine, jacket, shop.wh1, "2", "40.00")
    receive(engine, jacket, shop.wh2, "1", "46.00")
    receive(engine, cap, shop.wh1, "10", "6.00")
    promo = add_promotion(engine, "10")
    body = order_body(
        shop,
        shop.web,
        [
            {"sku": jacket.sku, "qty": "3", "promotion_code": promo},  # 300.00 - 10% = 270.00 + 19% tax 51.30
            {"sku": cap.sku, "qty": "2", "discount": "5.00"},  # 30.00 - 5.00 = 25.00 + 19% tax 4.75
        ],
    )
    created = api.post("/orders", json=body, headers=bearer(shop.sales))
    assert created.status_code == 201, created.text
    number = created.json()["order_number"]
    order = api.get(f"/orders/{number}", headers=bearer(shop.sales)).json()
    picks = sorted((a["line_no"], a["location_id"], D(a["qty"])) for a in order["allocations"])
    assert picks == sorted([(1, shop.wh1.id, D(2)), (1, shop.wh2.id, D(1)), (2, shop.wh1.id, D(2))])
    assert D(order["total_due"]) == D("351.05")

    wh = bearer(shop.warehouse)
    picked = api.post(
        f"/orders/{number}/warehouse-events", json={"kind": "picked", "location_id": shop.wh1.id}, headers=wh
    )
    assert picked.json()["stage"] == "picking"
    first = api.post(
        f"/orders/{number}/warehouse-events",
        headers=wh,
        json={
            "kind": "shipped",
            "location_id": shop.wh1.id,
            "carrier": "DHL",
            "tracking": "JJD000390007880001234",
            "event_id": "s1",
        },
    )
    assert first.status_code == 200, first.text
    assert first.json()["stage"] == "shipped"
    # Parcel 1: 2 jackets (200.00 - 20.00, tax 34.20) + 2 caps (30.00 - 5.00, tax 4.75); cost 2x40 + 2x6.
    assert account_totals(engine, number) == {
        "revenue": D("-230.00"),
        "sales_discount": D("25.00"),
        "sales_tax_payable": D("-38.95"),
        "payment_clearing": D("243.95"),
        "cogs": D("92.00"),
        "inventory": D("-92.00"),
    }
    last = api.post(
        f"/orders/{number}/warehouse-events",
        headers=wh,
        json={
            "kind": "shipped",
            "location_id": shop.wh2.id,
            "carrier": "UPS",
            "tracking": "1Z999AA10123456784",
            "event_id": "s2",
        },
    )
    assert last.json()["stage"] == "closed"
    # Parcel 2: 1 jacket (100.00 - 10.00, tax 17.10 = 51.30 - 34.20), cost 46.00. AR nets to zero (captured).
    assert account_totals(engine, number) == {
        "revenue": D("-330.00"),
        "sales_discount": D("35.00"),
        "sales_tax_payable": D("-56.05"),
        "payment_clearing": D("351.05"),
        "cogs": D("138.00"),
        "inventory": D("-138.00"),
    }
    assert balance(engine, jacket, shop.wh1) == (D(0), D(0))
    assert balance(engine, cap, shop.wh1) == (D(8), D(0))

    order = api.get(f"/orders/{number}", headers=bearer(shop.sales)).json()
    assert [(s["carrier"], s["tracking"], D(s["cost"])) for s in order["shipments"]] == [
        ("DHL", "JJD000390007880001234", D("92.00")),
        ("UPS", "1Z999AA10123456784", D("46.00")),
    ]
    assert [p["kind"] for p in order["payments"]] == ["authorise", "capture", "capture"]
    assert {a["status"] for a in order["allocations"]} == {"consumed"}
    assert all(ln["status"] == "shipped" for ln in order["lines"])

    too_late = api.post(f"/orders/{number}/cancel", json={}, headers=bearer(shop.sales))
    assert too_late.status_code == 409 and "/returns" in too_late.text
