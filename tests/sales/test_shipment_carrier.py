"""The warehouse ships a parcel with DHL: a made-up tracking number ("not-a-dhl-number!!") or one with a
wrong check digit is refused naming the field and ships nothing; the real one is booked through the carrier
port once (carrier, service, tracking as DHL prints it, label reference, a link for the customer), even when
the scanner sends the event twice."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.worker import Worker

from tests.api.loc import field_path
from tests.factories import Factory
from tests.sales.shop import add_item, balance, bearer, open_shop, order_body, receive

D = Decimal


def test_a_bad_tracking_number_is_refused_and_a_good_one_is_booked_once(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    rug = add_item(factory, shop, "rug", "90.00")
    receive(engine, rug, shop.wh1, "3", "40.00")
    created = api.post(
        "/orders", json=order_body(shop, shop.web, [{"sku": rug.sku, "qty": "1"}]), headers=bearer(shop.sales)
    )
    number = created.json()["order_number"]
    wh = bearer(shop.warehouse)

    def ship(tracking: str, **extra: str) -> dict[str, object]:
        body = {"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DHL", "tracking": tracking}
        return {**body, **extra}

    for tracking in ("not-a-dhl-number!!", "00340434161094042558"):
        refused = api.post(f"/orders/{number}/warehouse-events", json=ship(tracking), headers=wh)
        assert refused.status_code == 422, refused.text
        assert field_path(refused.json()["detail"][0]["loc"]) == "tracking"
    assert balance(engine, rug, shop.wh1) == (D(3), D(1))  # still reserved, nothing shipped
    assert api.get(f"/orders/{number}", headers=bearer(shop.sales)).json()["shipments"] == []

    good = ship("0034 0434 1610 9404 2557", service="parcel", event_id="scan-1")
    for _ in range(2):  # the scanner resends
        shipped = api.post(f"/orders/{number}/warehouse-events", json=good, headers=wh)
        assert shipped.status_code == 200, shipped.text
        assert shipped.json()["stage"] == "closed"
    shipments = api.get(f"/orders/{number}", headers=bearer(shop.sales)).json()["shipments"]
    assert [(s["carrier"], s["tracking"]) for s in shipments] == [("DHL", "00340434161094042557")]
    with engine.connect() as c:
        bookings = c.execute(
            text(
                "SELECT carrier, service, tracking, label_reference, tracking_url FROM carrier_booking"
                " WHERE document_type = 'sales_order' AND document_id = :n"
            ),
            {"n": number},
        ).all()
    assert [tuple(b) for b in bookings] == [
        (
            "dhl",
            "parcel",
            "00340434161094042557",
            "dhl:00340434161094042557",
            "https://www.dhl.com/track?tracking-id=00340434161094042557",
        )
    ]
