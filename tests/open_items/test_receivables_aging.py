"""A controller reads the receivables of a month of marketplace and web sales: one marketplace order settled
in full, one settled short (the rest stays open), one not paid out yet, and a card order captured at
shipment (nothing open). The AR open items name what is open per order, the aging puts it in the right
bucket as days pass (hand-computed), CSV carries the same figures, the open items equal the AR control
account, and a controller of another entity sees none of it."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.sales.shop import Shop, add_item, bearer, open_shop, order_body, receive

D = Decimal
ZERO = dict.fromkeys(("current", "d1_30", "d31_60", "d61_90", "over_90"), D(0))


def _ship(api: TestClient, shop: Shop, channel: Any, sku: str) -> tuple[str, str]:
    """An order of 2 x 25.00 + 19 % = 59.50, shipped today; (order number, external id)."""
    body = order_body(shop, channel, [{"sku": sku, "qty": "2"}])
    number = api.post("/orders", json=body, headers=bearer(shop.sales)).json()["order_number"]
    shipped = api.post(
        f"/orders/{number}/warehouse-events",
        headers=bearer(shop.warehouse),
        json={"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DPD"},
    )
    assert shipped.status_code == 200, shipped.text
    return number, str(body["external_id"])


def _aging(api: TestClient, token: str, entity_id: int, as_of: date) -> list[dict[str, Any]]:
    answer = api.get(
        "/open-items/aging",
        params={"side": "ar", "entity_id": entity_id, "as_of": str(as_of)},
        headers=bearer(token),
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["rows"])


def test_receivables_open_items_aging_and_control(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    assert shop.entity.id is not None
    entity = shop.entity.id
    towel = add_item(factory, shop, "towel", "25.00")
    receive(engine, towel, shop.wh1, "20", "10.00")
    ctl = shop.controller
    full, full_ext = _ship(api, shop, shop.market, towel.sku)
    short, short_ext = _ship(api, shop, shop.market, towel.sku)
    unpaid, _ = _ship(api, shop, shop.market, towel.sku)
    _ship(api, shop, shop.web, towel.sku)  # card captured at shipment: its receivable is settled at once

    report = {
        "channel": shop.market.code,
        "reference": f"PAY-{full}",
        "payout_date": str(date.today()),
        "lines": [
            {"external_id": full_ext, "gross": "59.50", "fees": "7.14"},
            {"external_id": short_ext, "gross": "50.00", "fees": "6.00"},
        ],
    }
    posted = api.post("/settlements", json=report, headers=bearer(ctl))
    assert posted.status_code == 201, posted.text
    assert [ln["status"] for ln in posted.json()["lines"]] == ["matched", "difference"]
    accepted = api.post(
        f"/tasks/{posted.json()['open_tasks'][0]}/decision", json={"decision": "accept"}, headers=bearer(ctl)
    )
    assert accepted.status_code == 200, accepted.text

    # Open per document: the short order's 9.50 and the unpaid order's 59.50, due 14 days after shipment
    # (the marketplace's settlement cycle when none is set).
    listed = api.get("/open-items", params={"side": "ar", "entity_id": entity}, headers=bearer(ctl))
    assert listed.status_code == 200, listed.text
    assert sorted((i["partner"], D(i["amount"]), D(i["open"])) for i in listed.json()["items"]) == sorted(
        [(f"order:{short}", D("59.50"), D("9.50")), (f"order:{unpaid}", D("59.50"), D("59.50"))]
    )
    today = date.today()
    assert {(i["counterparty"], i["due_date"]) for i in listed.json()["items"]} == {
        (shop.market.code, str(today + timedelta(days=14)))
    }

    # Aging of the 69.00 the marketplace owes: overdue = as_of - (today + 14), so 15 days on it is 1 day
    # overdue, 45 days on 31, 75 days on 61, 104 days on 90 and 105 days on 91.
    ages = (
        (0, "current"),
        (14, "current"),
        (15, "d1_30"),
        (44, "d1_30"),
        (45, "d31_60"),
        (75, "d61_90"),
        (104, "d61_90"),
        (105, "over_90"),
    )
    for days, bucket in ages:
        rows = _aging(api, ctl, entity, today + timedelta(days=days))
        assert [(r["counterparty"], r["currency"]) for r in rows] == [(shop.market.code, "EUR")], days
        assert {k: D(rows[0][k]) for k in ZERO} == {**ZERO, bucket: D("69.00")}, days
        assert D(rows[0]["total"]) == D("69.00")
    # Before the shipments nothing was open.
    assert _aging(api, ctl, entity, today - timedelta(days=1)) == []

    exported = api.get(
        "/open-items/aging",
        params={"side": "ar", "entity_id": entity, "as_of": str(today + timedelta(days=45)), "format": "csv"},
        headers=bearer(ctl),
    )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["counterparty"], D(r["d31_60"]), D(r["total"])) for r in table] == [
        (shop.market.code, D("69.00"), D("69.00"))
    ]

    # The open items are the AR control account: 4 x 59.50 shipped - 59.50 - 50.00 settled - 59.50 captured.
    recon = api.get("/open-items/reconciliation", params={"entity_id": entity}, headers=bearer(ctl))
    assert recon.status_code == 200, recon.text
    ar = next(s for s in recon.json()["sides"] if s["side"] == "ar")
    assert (D(ar["open_items"]), D(ar["control"]), D(ar["difference"]), ar["unrecorded"]) == (
        D("69.00"),
        D("69.00"),
        D(0),
        [],
    )

    # Another entity's controller: refused for this entity, and nothing of it in their own report.
    other = factory.entity()
    _, stranger = factory.user("controller", entities=(other,))
    refused = api.get(
        "/open-items/aging", params={"side": "ar", "entity_id": entity}, headers=bearer(stranger)
    )
    assert refused.status_code in (403, 404), refused.text
    mine = api.get("/open-items/aging", params={"side": "ar"}, headers=bearer(stranger))
    assert mine.status_code == 200 and mine.json()["rows"] == []
    assert api.get("/open-items", params={"side": "ar"}, headers=bearer(stranger)).json()["items"] == []
