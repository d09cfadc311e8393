"""A Norwegian shop (NOK) sells in euros on its web shop and on a marketplace. The controller keys the euro at
11.50 kroner today, 11.60 tomorrow and 11.70 the day after (a pair no other scenario keys: rates are shared
by every entity).
Four lamps are sold today at EUR 30.00 + 19 % = 35.70, each booked at 11.50 = 410.55 kroner: two paid by
card (captured into payment clearing), one on the marketplace (a receivable), one by bank transfer (recorded
as paid, in payment clearing from shipment). The payment provider takes one card payment back tomorrow
(11.60: clearing credited 414.12, a gain of 3.57) and the controller accepts the loss at once (booked today
at 11.50: 410.55 out of dispute clearing, a loss of 3.57): both clearings of that order end at zero.

Tomorrow, at 11.60, the payment provider's payout (35.70 less 0.54 fees) credits clearing 35.70 x 11.60 =
414.12 and puts 35.16 x 11.60 = 407.856 -> 407.86 in transit; the marketplace's settlement (35.70 less 5.00
fees) credits the receivable 414.12 and puts 30.70 x 11.60 = 356.12 in transit. Each credit is 414.12 -
410.55 = 3.57 more kroner than booked: a realised gain of 3.57 each.

The day after, at 11.70, the bank's statement shows the payout (35.16 x 11.70 = 411.372 -> 411.37: a gain of
411.37 - 407.86 = 3.51 on bank in transit), the settlement (30.70 x 11.70 = 359.19: a gain of 3.07) and the
customer's transfer (35.70 x 11.70 = 417.69 against the 410.55 held in clearing: a gain of 7.14). Payment
clearing, the receivable and bank in transit end at zero kroner; the bank holds 411.37 + 359.19 + 417.69 =
1,188.25, and the realised gains are 3.57 + 3.57 + 3.51 + 3.07 + 7.14 = 20.86."""

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.worker import Worker

from tests.factories import Factory
from tests.payments.bank import Entry, balances, camt053, key_days, open_task, transfer_order
from tests.purchasing.buyer_desk import eventually
from tests.returns.desk import ship_through_api
from tests.sales.shop import add_item, bearer, open_shop, order_body, receive

D = Decimal
IBAN = "NO9386011117947"


def _gain(engine: Engine, entity_id: int, source_type: str) -> Decimal:
    """The realised FX the entity booked from one kind of receipt (a gain shown positive)."""
    with engine.connect() as c:
        return -D(
            c.execute(
                text(
                    "SELECT COALESCE(sum(l.amount_func), 0) FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id"
                    " JOIN account a ON a.id = l.account_id"
                    " WHERE e.entity_id = :e AND a.role = 'fx_gain_loss' AND e.source_type = :s"
                ),
                {"e": entity_id, "s": source_type},
            ).scalar_one()
        )


async def test_euros_received_at_a_later_rate_realise_the_difference_and_clear_to_zero(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, entity=factory.entity("NOK"), sells_in="EUR")
    assert shop.entity.id
    entity = shop.entity.id
    ctl = bearer(shop.controller)
    _, tomorrow, later = key_days(api, shop.controller, "EUR->NOK", ["11.50", "11.60", "11.70"])
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "10", "12.00")

    card = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}])
    charged_back = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}])
    transfer = transfer_order(api, shop, lamp.sku)
    sale = order_body(shop, shop.market, [{"sku": lamp.sku, "qty": "1"}])
    market = api.post("/orders", json=sale, headers=bearer(shop.sales)).json()["order_number"]
    shipped = api.post(
        f"/orders/{market}/warehouse-events",
        json={"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DPD"},
        headers=bearer(shop.warehouse),
    )
    assert shipped.status_code == 200, shipped.text
    booked = balances(engine, entity)
    # Three orders' EUR 35.70 in clearing, one owed by the marketplace, each at 11.50 = 410.55.
    assert (booked["payment_clearing"], booked["ar"]) == (D("1231.65"), D("410.55")), booked

    # The provider takes one card payment back tomorrow (worth 414.12: a gain of 3.57 on clearing); the
    # controller accepts the loss at once, booked on the day of the decision (today, 410.55): the dispute
    # clearing's 414.12 less 410.55 is a realised loss of 3.57. Both clearings of the order end at zero.
    chargeback = {
        "channel": shop.web.code,
        "chargeback_id": "cb-eur-1",
        "order_number": charged_back,
        "amount": "35.70",
        "reason": "fraudulent",
        "received_on": tomorrow.isoformat(),
    }
    recorded = api.post("/psp-chargebacks", json=chargeback, headers=ctl)
    assert recorded.status_code == 201, recorded.text
    assert _gain(engine, entity, "psp_chargeback") == D("3.57")
    assert balances(engine, entity)["dispute_clearing"] == D("414.12")
    workflow_id = recorded.json()["workflow_id"]
    task = eventually(lambda: open_task(engine, workflow_id, "chargeback_dispute"), "dispute task")
    accepted = api.post(f"/tasks/{task}/decision", json={"decision": "accept"}, headers=ctl)
    assert accepted.status_code == 200, accepted.text
    eventually(
        lambda: (
            api.get(f"/psp-chargebacks/{recorded.json()['id']}", headers=ctl).json()["status"] == "accepted"
            or None
        ),
        "accepted",
    )
    lost = balances(engine, entity)
    assert "dispute_clearing" not in lost and lost["chargeback_loss"] == D("410.55"), lost
    assert _gain(engine, entity, "psp_chargeback") == 0

    payout: dict[str, Any] = {
        "channel": shop.web.code,
        "payout_id": "po-eur-1",
        "payout_date": tomorrow.isoformat(),
        "lines": [{"order_number": card, "gross": "35.70", "fees": "0.54"}],
    }
    imported = api.post("/psp-payouts", json=payout, headers={**ctl, "Idempotency-Key": "po-eur-1"})
    assert imported.status_code == 201, imported.text
    assert imported.json()["lines"][0]["status"] == "matched", imported.text
    # 35.70 captured at 11.50 = 410.55, paid out at 11.60 = 414.12: a gain of 3.57.
    assert _gain(engine, entity, "psp_payout") == D("3.57")
    assert balances(engine, entity)["payment_clearing"] == D("410.55")  # only the transfer order's

    report = {
        "channel": shop.market.code,
        "reference": "MKT-EUR-1",
        "payout_date": tomorrow.isoformat(),
        "lines": [{"external_id": sale["external_id"], "gross": "35.70", "fees": "5.00"}],
    }
    settled = api.post("/settlements", json=report, headers=ctl)
    assert settled.status_code == 201 and settled.json()["lines"][0]["status"] == "matched", settled.text
    # The receivable 410.55 is credited 414.12: a gain of 3.57; nothing is owed any more.
    assert _gain(engine, entity, "sales_order") == D("3.57")
    assert "ar" not in balances(engine, entity)

    content = camt053(
        "ST-EUR-1",
        IBAN,
        [
            Entry("35.16", text="PSP payout po-eur-1"),
            Entry("30.70", e2e="MKT-EUR-1", text="Marketplace payout"),
            Entry("35.70", text=f"Order {transfer} thank you"),
        ],
        on=later,
    )
    statement = api.post(
        "/bank-statements", json={"entity_id": entity, "format": "camt053", "content": content}, headers=ctl
    )
    assert statement.status_code == 201, statement.text
    assert [ln["matched_to"] for ln in statement.json()["lines"]] == [
        "psp_payout",
        "settlement",
        "customer_payment",
    ], statement.text
    # The transfer 7.14, the payout in transit 3.51, the settlement in transit 3.07.
    assert _gain(engine, entity, "bank_statement") == D("13.72")

    arrived = balances(engine, entity)
    for cleared in ("payment_clearing", "dispute_clearing", "ar", "bank_in_transit"):
        assert cleared not in arrived, arrived
    assert arrived["bank"] == D("1188.25")  # 411.37 + 359.19 + 417.69
    assert arrived["fx_gain_loss"] == D("-20.86")  # 3.57 + 3.57 + 3.51 + 3.07 + 7.14

    recon = api.get(f"/open-items/reconciliation?entity_id={entity}", headers=ctl).json()
    ar = next(s for s in recon["sides"] if s["side"] == "ar")
    assert D(str(ar["difference"])) == 0 and not ar["unrecorded"], ar
    # Nothing more is expected from the transfer customer: a second statement naming the order finds nothing.
    again = camt053("ST-EUR-2", IBAN, [Entry("3.57", text=f"Order {transfer}")], on=later)
    second = api.post(
        "/bank-statements", json={"entity_id": entity, "format": "camt053", "content": again}, headers=ctl
    )
    assert second.status_code == 201 and second.json()["lines"][0]["status"] == "unmatched", second.text
    eventually(lambda: balances(engine, entity) == arrived or None, "nothing more posted")
