"""A Hungarian shop (HUF) sells in euros on its web shop. The euro was keyed at 400 forint yesterday; today's
rate (410) and tomorrow's (420) are keyed after the goods shipped (a pair no other scenario keys).
Two card orders ship today at yesterday's rate: W, one lamp at EUR 30.00 + 19 % = 35.70 (captured into payment
clearing at 35.70 x 400 = 14,280.00), and V, two lamps = 71.40 (28,560.00).

Today, at 410, the provider pays W out (35.70 less 0.54): clearing credited 14,637.00, a gain of 357.00. W's
customer then sends the lamp back and is refunded to the card today: clearing is credited 14,637.00 after W's
money was paid out, so W owes the provider EUR 35.70 carried at 14,637.00 (nothing to realise yet).
Tomorrow, at 420, the provider pays V (71.40 less 1.07: credited 29,988.00, a gain of 1,428.00) and withholds
W's refund: clearing debited 35.70 x 420 = 14,994.00 for a debt carried at 14,637.00, a loss of 357.00. Payment
clearing ends at zero forint; realised in all 357.00 + 1,428.00 - 357.00 = 1,428.00."""

from datetime import date, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.payments.bank import balances
from tests.purchasing.buyer_desk import eventually
from tests.returns.desk import return_stage, returned_and_received, ship_through_api
from tests.sales.shop import add_item, bearer, open_shop, receive

D = Decimal


async def test_a_refund_withheld_at_a_later_rate_realises_its_difference(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, entity=factory.entity("HUF"), sells_in="EUR")
    assert shop.entity.id
    entity = shop.entity.id
    ctl = bearer(shop.controller)
    today = date.today()

    def key(on: date, value: str) -> None:
        body = {"from_currency": "EUR", "to_currency": "HUF", "rate_date": on.isoformat(), "rate": value}
        keyed = api.post("/fx-rates", json=body, headers=ctl)
        assert keyed.status_code == 201, keyed.text

    key(today - timedelta(days=1), "400")
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "10", "12.00")
    w = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}])
    v = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "2"}])
    assert balances(engine, entity)["payment_clearing"] == D("42840.00")
    key(today, "410")
    key(today + timedelta(days=1), "420")

    first = {
        "channel": shop.web.code,
        "payout_id": "po-huf-1",
        "payout_date": today.isoformat(),
        "lines": [{"order_number": w, "gross": "35.70", "fees": "0.54"}],
    }
    paid = api.post("/psp-payouts", json=first, headers=ctl)
    assert paid.status_code == 201 and paid.json()["lines"][0]["status"] == "matched", paid.text
    assert balances(engine, entity)["fx_gain_loss"] == D("-357.00")

    rma = returned_and_received(api, shop, w)
    eventually(lambda: return_stage(api, shop, rma) == "closed" or None, "refunded")
    refunded = balances(engine, entity)
    # V's 28,560.00 waits for its payout; W owes the provider 14,637.00; nothing realised by the refund.
    assert refunded["payment_clearing"] == D("13923.00") and refunded["fx_gain_loss"] == D("-357.00"), (
        refunded
    )

    second = {
        "channel": shop.web.code,
        "payout_id": "po-huf-2",
        "payout_date": (today + timedelta(days=1)).isoformat(),
        "lines": [
            {"order_number": v, "gross": "71.40", "fees": "1.07"},
            {"order_number": w, "gross": "35.70", "fees": "0", "kind": "refund"},
        ],
    }
    netted = api.post("/psp-payouts", json=second, headers=ctl)
    assert netted.status_code == 201, netted.text
    assert [ln["status"] for ln in netted.json()["lines"]] == ["matched", "matched"], netted.text
    after = balances(engine, entity)
    assert "payment_clearing" not in after, after
    assert after["fx_gain_loss"] == D("-1428.00"), after  # 357.00 + 1,428.00 - 357.00
