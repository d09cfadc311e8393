"""A web shop's payment provider nets refunds in its payouts. Two card orders of one lamp (30.00 + 19 % = 35.70)
are paid out in the first payout (2 x 35.16 = 70.32 in transit): P, and F (whose card account is closed since).

Both customers send the lamp back. P's refund to the card is approved: payment clearing is credited 35.70
after P's money was paid out, so P owes the provider 35.70 (clearing -35.70). F's refund is refused by the
issuer; sales ops decide to pay F's customer by transfer: the credit moves to refunds payable (35.70 owed to the
customer), and the provider pays it to the customer out of the shop's balance.

The second payout pays Q's capture (three lamps, 107.10 less 1.61 fees) and nets both refunds (P's and F's
35.70 each): every line matches, no task opens; payment clearing and refunds payable end at zero and the payout
puts 105.49 - 71.40 = 34.09 in transit (104.41 in all). Withholding P's refund again in a third payout is a
difference for a person.

In another currency: a Moroccan shop (MAD) sells in euros; the controller keys the euro at 10.80 dirhams today
and 11.00 tomorrow (a pair no other scenario keys). F's lamp (EUR 35.70 = 385.56 dirhams) is paid out today, F's
card refund fails and sales ops decide today to pay the customer: refunds payable -385.56. Tomorrow's payout
pays the customer the 35.70 out of the shop's balance, at 11.00 = 392.70: a realised loss of 7.14, and refunds
payable ends at zero dirhams."""

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.payments.bank import balances, key_days, open_task
from tests.purchasing.buyer_desk import eventually
from tests.returns.desk import failed_refund_task, return_stage, returned_and_received, ship_through_api
from tests.sales.shop import Shop, add_item, bearer, open_shop, receive

D = Decimal


def _payout(shop: Shop, payout_id: str, lines: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "channel": shop.web.code,
        "payout_id": payout_id,
        "payout_date": date.today().isoformat(),
        "lines": lines,
    }


async def test_a_payout_nets_refunds_given_to_the_card_and_refunds_payable(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, payment_provider="sandbox")
    assert shop.entity.id
    entity = shop.entity.id
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "10", "12.00")
    ctl = bearer(shop.controller)
    p = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}])
    f = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}], payment_reference="sandbox:refund-fails")
    q = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "3"}])
    lines = [{"order_number": n, "gross": "35.70", "fees": "0.54"} for n in (p, f)]
    first = api.post("/psp-payouts", json=_payout(shop, "po-r1", lines), headers=ctl)
    assert first.status_code == 201 and [ln["status"] for ln in first.json()["lines"]] == ["matched"] * 2

    refunded = returned_and_received(api, shop, p)
    eventually(lambda: return_stage(api, shop, refunded) == "closed" or None, "P refunded")
    failed = returned_and_received(api, shop, f)
    task = eventually(lambda: failed_refund_task(api, shop, failed), "F's failed refund task")
    decided = api.post(
        f"/tasks/{task}/decision", json={"decision": "bank_transfer"}, headers=bearer(shop.sales)
    )
    assert decided.status_code == 200, decided.text
    eventually(lambda: return_stage(api, shop, failed) == "closed" or None, "F's refund payable")
    owed = balances(engine, entity)
    # Q's 107.10 waits for its payout, less P's 35.70 owed back; F's customer is owed 35.70.
    assert owed["payment_clearing"] == D("71.40") and owed["refunds_payable"] == D("-35.70"), owed

    second = _payout(
        shop,
        "po-r2",
        [
            {"order_number": q, "gross": "107.10", "fees": "1.61"},
            {"order_number": p, "gross": "35.70", "fees": "0", "kind": "refund"},
            {"order_number": f, "gross": "35.70", "fees": "0", "kind": "refund"},
        ],
    )
    imported = api.post("/psp-payouts", json=second, headers={**ctl, "Idempotency-Key": "po-r2"})
    assert imported.status_code == 201, imported.text
    payout = imported.json()
    assert [(ln["kind"], ln["status"]) for ln in payout["lines"]] == [
        ("capture", "matched"),
        ("refund", "matched"),
        ("refund", "matched"),
    ], payout
    assert (D(payout["reported_net"]), D(payout["in_transit"])) == (D("34.09"), D("34.09"))
    assert open_task(engine, f"PspPayout-{shop.web.code}-po-r2", "psp_payout_difference") is None
    netted = balances(engine, entity)
    assert "payment_clearing" not in netted and "refunds_payable" not in netted, netted
    assert netted["bank_in_transit"] == D("104.41"), netted  # 70.32 + 34.09

    again = _payout(shop, "po-r3", [{"order_number": p, "gross": "35.70", "fees": "0", "kind": "refund"}])
    twice = api.post("/psp-payouts", json=again, headers=ctl)
    assert twice.status_code == 201 and twice.json()["lines"][0]["status"] == "difference", twice.text
    eventually(lambda: open_task(engine, f"PspPayout-{shop.web.code}-po-r3", "psp_payout_difference"), "task")
    assert balances(engine, entity) == netted


async def test_a_refund_owed_in_euros_that_a_later_payout_pays_realises_the_difference(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, entity=factory.entity("MAD"), sells_in="EUR", payment_provider="sandbox")
    assert shop.entity.id
    entity = shop.entity.id
    ctl = bearer(shop.controller)
    _, tomorrow = key_days(api, shop.controller, "EUR->MAD", ["10.80", "11.00"])
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "5", "12.00")
    f = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}], payment_reference="sandbox:refund-fails")
    paid_out = _payout(shop, "po-m1", [{"order_number": f, "gross": "35.70", "fees": "0.54"}])
    assert api.post("/psp-payouts", json=paid_out, headers=ctl).status_code == 201
    failed = returned_and_received(api, shop, f)
    task = eventually(lambda: failed_refund_task(api, shop, failed), "F's failed refund task")
    decided = api.post(
        f"/tasks/{task}/decision", json={"decision": "bank_transfer"}, headers=bearer(shop.sales)
    )
    assert decided.status_code == 200, decided.text
    eventually(lambda: balances(engine, entity).get("refunds_payable") == D("-385.56") or None, "refund owed")
    fx_before = balances(engine, entity).get("fx_gain_loss", D(0))

    refund = {"order_number": f, "gross": "35.70", "fees": "0", "kind": "refund"}
    netted = {**_payout(shop, "po-m2", [refund]), "payout_date": tomorrow.isoformat()}
    imported = api.post("/psp-payouts", json=netted, headers=ctl)
    assert imported.status_code == 201 and imported.json()["lines"][0]["status"] == "matched", imported.text
    after = balances(engine, entity)
    assert "refunds_payable" not in after, after  # zero dirhams, not 7.14
    assert after.get("fx_gain_loss", D(0)) - fx_before == D("7.14")  # a loss: 392.70 paid for 385.56 owed
