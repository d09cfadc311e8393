"""A Czech shop (CZK) sells in euros on its web shop. The euro was keyed at 25.00 koruna yesterday; today's
rate (25.50) and tomorrow's (26.00) are keyed after the goods shipped (a pair no other scenario keys).
Two card orders ship today at yesterday's rate: A, one lamp at EUR 30.00 + 19 % = 35.70 (captured into payment
clearing at 35.70 x 25.00 = 892.50), and B, two lamps = 71.40 (1,785.00); and one lamp on the marketplace, M
(a receivable of 892.50).

Today, at 25.50, both customers send one lamp back and get 35.70 each: each refund credits clearing 35.70 x
25.50 = 910.35 for euros carried at 892.50 there, a realised gain of 17.85 at the refund. A was refunded in
full and no payout will ever name it: its clearing ends at zero koruna (not at -17.85). B still holds 35.70
(892.50). Tomorrow, at 26.00, the provider pays B's 35.70 out (less 0.54 fees): clearing credited
35.70 x 26.00 = 928.20 for 892.50, a gain of 35.70 at the payout, and nothing is left in clearing.
The marketplace customer returns the lamp too: the credit note credits the receivable 910.35 for the 892.50 it
was booked at, a gain of 17.85 realised with it; the receivable ends at zero koruna and nothing of M stays
open. Realised in all: 17.85 + 17.85 + 17.85 + 35.70 = 89.25."""

from datetime import date, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.worker import Worker

from tests.factories import Factory
from tests.payments.bank import balances
from tests.purchasing.buyer_desk import eventually
from tests.returns.desk import return_stage, returned_and_received, ship_through_api
from tests.sales.shop import Shop, add_item, bearer, open_shop, order_body, receive

D = Decimal


def _held(
    engine: Engine, entity_id: int, order: str, role: str = "payment_clearing"
) -> tuple[Decimal, Decimal]:
    """What the order holds on an account (payment clearing unless named): (euros, koruna)."""
    with engine.connect() as c:
        row = c.execute(
            text(
                "SELECT COALESCE(sum(l.amount) FILTER (WHERE l.currency = 'EUR'), 0), COALESCE(sum(l.amount_func), 0)"
                " FROM journal_line l JOIN account a ON a.id = l.account_id WHERE l.entity_id = :e"
                " AND a.role = :r AND l.partner_type = 'order' AND l.partner_id = :o"
            ),
            {"e": entity_id, "o": order, "r": role},
        ).one()
    return D(row[0]), D(row[1])


def _refunded(api: TestClient, shop: Shop, order: str) -> None:
    """The customer sends one lamp back; its receipt refunds 35.70 to the card, and the return closes."""
    rma = returned_and_received(api, shop, order)
    eventually(lambda: return_stage(api, shop, rma) == "closed" or None, f"return {rma} closed")


async def test_a_refund_realises_its_exchange_difference_and_a_full_refund_leaves_clearing_at_zero(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, entity=factory.entity("CZK"), sells_in="EUR")
    assert shop.entity.id
    entity = shop.entity.id
    ctl = bearer(shop.controller)
    today = date.today()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)

    def key(on: date, value: str) -> None:
        body = {"from_currency": "EUR", "to_currency": "CZK", "rate_date": on.isoformat(), "rate": value}
        keyed = api.post("/fx-rates", json=body, headers=ctl)
        assert keyed.status_code == 201, keyed.text

    key(yesterday, "25.00")
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "10", "12.00")
    a = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}])
    b = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "2"}])
    sale = order_body(shop, shop.market, [{"sku": lamp.sku, "qty": "1"}])
    m = str(api.post("/orders", json=sale, headers=bearer(shop.sales)).json()["order_number"])
    shipped = api.post(
        f"/orders/{m}/warehouse-events",
        json={"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DPD"},
        headers=bearer(shop.warehouse),
    )
    assert shipped.status_code == 200, shipped.text
    assert _held(engine, entity, m, "ar") == (D("35.70"), D("892.50"))
    assert (_held(engine, entity, a), _held(engine, entity, b)) == (
        (D("35.70"), D("892.50")),
        (D("71.40"), D("1785.00")),
    )
    key(today, "25.50")
    key(tomorrow, "26.00")

    _refunded(api, shop, a)
    _refunded(api, shop, b)
    # Each refund: 910.35 out of clearing for 892.50 carried, a gain of 17.85 realised at once.
    assert _held(engine, entity, a) == (D(0), D(0))
    assert _held(engine, entity, b) == (D("35.70"), D("892.50"))
    assert balances(engine, entity)["fx_gain_loss"] == D("-35.70")

    payout = {
        "channel": shop.web.code,
        "payout_id": "po-czk-1",
        "payout_date": tomorrow.isoformat(),
        "lines": [{"order_number": b, "gross": "35.70", "fees": "0.54"}],
    }
    imported = api.post("/psp-payouts", json=payout, headers={**ctl, "Idempotency-Key": "po-czk-1"})
    assert imported.status_code == 201 and imported.json()["lines"][0]["status"] == "matched", imported.text
    # 928.20 out of clearing for the 892.50 left: a gain of 35.70; clearing ends at zero koruna.
    paid = balances(engine, entity)
    assert "payment_clearing" not in paid, paid
    assert paid["fx_gain_loss"] == D("-71.40"), paid
    assert paid["bank_in_transit"] == D("914.16"), paid  # (35.70 - 0.54) x 26.00

    # The marketplace order credited in full: 910.35 off a receivable booked at 892.50, a gain of 17.85.
    _refunded(api, shop, m)
    assert _held(engine, entity, m, "ar") == (D(0), D(0))
    credited = balances(engine, entity)
    assert "ar" not in credited and credited["fx_gain_loss"] == D("-89.25"), credited
    listed = api.get(f"/open-items?side=ar&entity_id={entity}", headers=ctl)
    assert listed.status_code == 200 and listed.json()["items"] == [], listed.text
    recon = api.get(f"/open-items/reconciliation?entity_id={entity}", headers=ctl).json()
    ar = next(side for side in recon["sides"] if side["side"] == "ar")
    assert D(str(ar["difference"])) == 0 and not ar["unrecorded"], ar
