"""A Polish shop (PLN) sells in euros on a marketplace. The controller keys the euro at 4.30 zloty today and
4.40 tomorrow (a pair no other scenario keys: rates are shared by every entity).
Two lamps are sold today at EUR 30.00 + 19 % = 35.70 each, each receivable booked at 4.30 = 153.51 zloty
(307.02 owed). Tomorrow, at 4.40, the marketplace settles the first (35.70 less 5.00 fees: the receivable is
credited 35.70 x 4.40 = 157.08) and pays the second by a bank transfer naming the order (157.08 again). Each
credit is 157.08 - 153.51 = 3.57 more zloty than booked: a realised gain of 3.57 each, 7.14 in all.

The exchange differences are the receivables' own, in zloty only: once the euros cleared both receivables,
nothing is open for the marketplace in the open-items list or the aging, and the open items still equal the
receivable control account (zero) in the reconciliation."""

from datetime import date, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.payments.bank import Entry, balances, camt053
from tests.sales.shop import Shop, add_item, bearer, open_shop, order_body, receive

D = Decimal
IBAN = "PL61109010140000071219812874"


def _sold(api: TestClient, shop: Shop, sku: str) -> tuple[str, str]:
    """A marketplace order of one lamp, shipped: (order number, the marketplace's external id)."""
    sale = order_body(shop, shop.market, [{"sku": sku, "qty": "1"}])
    number = str(api.post("/orders", json=sale, headers=bearer(shop.sales)).json()["order_number"])
    shipped = api.post(
        f"/orders/{number}/warehouse-events",
        json={"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DPD"},
        headers=bearer(shop.warehouse),
    )
    assert shipped.status_code == 200, shipped.text
    return number, str(sale["external_id"])


async def test_euros_that_clear_a_receivable_leave_nothing_open_in_zloty(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, entity=factory.entity("PLN"), sells_in="EUR")
    assert shop.entity.id
    entity = shop.entity.id
    ctl = bearer(shop.controller)
    today = date.today()
    tomorrow = today + timedelta(days=1)
    for on, value in ((today, "4.30"), (tomorrow, "4.40")):
        body = {"from_currency": "EUR", "to_currency": "PLN", "rate_date": on.isoformat(), "rate": value}
        keyed = api.post("/fx-rates", json=body, headers=ctl)
        assert keyed.status_code == 201, keyed.text
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "10", "12.00")

    _, external_id = _sold(api, shop, lamp.sku)
    paid_order, _ = _sold(api, shop, lamp.sku)
    assert balances(engine, entity)["ar"] == D("307.02")  # 2 x 35.70 x 4.30
    listed = api.get(f"/open-items?side=ar&entity_id={entity}", headers=ctl)
    assert listed.status_code == 200, listed.text
    assert sorted((i["currency"], D(str(i["open"]))) for i in listed.json()["items"]) == [
        ("EUR", D("35.70")),
        ("EUR", D("35.70")),
    ], listed.text

    report = {
        "channel": shop.market.code,
        "reference": "MKT-PLN-1",
        "payout_date": tomorrow.isoformat(),
        "lines": [{"external_id": external_id, "gross": "35.70", "fees": "5.00"}],
    }
    settled = api.post("/settlements", json=report, headers=ctl)
    assert settled.status_code == 201 and settled.json()["lines"][0]["status"] == "matched", settled.text
    content = camt053("ST-PLN-1", IBAN, [Entry("35.70", text=f"Order {paid_order}")], on=tomorrow)
    statement = api.post(
        "/bank-statements", json={"entity_id": entity, "format": "camt053", "content": content}, headers=ctl
    )
    assert statement.status_code == 201, statement.text
    assert statement.json()["lines"][0]["matched_to"] == "customer_payment", statement.text

    cleared = balances(engine, entity)
    assert "ar" not in cleared, cleared
    assert cleared["fx_gain_loss"] == D("-7.14"), cleared  # 2 x (157.08 - 153.51)

    # Nothing is open for the marketplace any more: not in the list, not in the aging.
    day = tomorrow.isoformat()
    listed = api.get(f"/open-items?side=ar&entity_id={entity}&as_of={day}", headers=ctl)
    assert listed.status_code == 200 and listed.json()["items"] == [], listed.text
    aged = api.get(f"/open-items/aging?side=ar&entity_id={entity}&as_of={day}", headers=ctl)
    assert aged.status_code == 200 and aged.json()["rows"] == [], aged.text
    recon = api.get(f"/open-items/reconciliation?entity_id={entity}&as_of={day}", headers=ctl).json()
    ar = next(s for s in recon["sides"] if s["side"] == "ar")
    assert (D(str(ar["open_items"])), D(str(ar["control"])), D(str(ar["difference"]))) == (
        D(0),
        D(0),
        D(0),
    ), ar
    assert not ar["unrecorded"], ar
