"""Half the mugs sold on a promotion come back: the return rate per SKU, channel and promotion shows it, and
the spike check after the receipt raises an alert (rate over the channel's threshold in its window)."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.returns.desk import open_desk, raise_return, ship_through_api
from tests.sales.shop import add_item, add_promotion, bearer, receive

D = Decimal


def test_a_return_rate_spike_raises_an_alert(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    shop = desk.shop
    mug = add_item(factory, shop, "mug", "10.00")
    receive(engine, mug, shop.wh1, "4", "3.00")
    promo = add_promotion(engine, "20")
    policy = api.put(
        f"/returns/policies/channels/{shop.web.code}",
        json={"spike_threshold": "0.3", "spike_min_sold": "3", "spike_window_days": 30},
        headers=bearer(shop.controller),
    )
    assert policy.status_code == 200, policy.text
    number = ship_through_api(api, shop, [{"sku": mug.sku, "qty": "4", "promotion_code": promo}])
    assert api.get("/returns/alerts", headers=bearer(shop.sales)).json() == []

    raised = raise_return(api, shop.sales, number, [{"line_no": 1, "qty": "2", "reason_code": "damaged"}])
    assert raised.status_code == 201, raised.text
    rma = raised.json()["rma_number"]
    done = api.post(
        f"/returns/{rma}/receipt",
        json={"parts": [{"line_no": 1, "qty": "2", "disposition": "restock"}]},
        headers=bearer(shop.warehouse),
    )
    assert done.status_code == 200, done.text

    [alert] = api.get("/returns/alerts", headers=bearer(shop.sales)).json()
    assert (alert["sku"], alert["channel"], alert["rma_number"]) == (mug.sku, shop.web.code, rma)
    assert (D(alert["sold"]), D(alert["returned"]), D(alert["rate"])) == (D(4), D(2), D("0.5"))
    by_promo = api.get("/returns/rates?by=promotion", headers=bearer(shop.sales)).json()
    assert [(r["promotion"], D(r["sold"]), D(r["returned"]), D(r["rate"])) for r in by_promo] == [
        (promo, D(4), D(2), D("0.5"))
    ]
    by_channel = api.get("/returns/rates?by=channel&days=7", headers=bearer(shop.sales)).json()
    assert [(r["channel"], D(r["rate"])) for r in by_channel] == [(shop.web.code, D("0.5"))]
