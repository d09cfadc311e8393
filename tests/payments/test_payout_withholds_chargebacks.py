"""A web shop's payment provider keeps chargebacks back from its payouts. Three card orders were captured into
payment clearing: X (one lamp, 30.00 + 19 % = 35.70), Y (two lamps, 71.40) and Z (35.70): 142.80.

The first payout pays X out (35.70 less 0.54 fees: 35.16 in transit). Then the cardholder of X disputes it: the
chargeback (35.70) moves X's money from payment clearing to dispute clearing, so X owes the provider 35.70
(clearing -35.70); the controller contests it. Z's cardholder disputes Z before any payout: Z's 35.70 moves to
dispute clearing (Z's clearing 0) and the controller accepts the loss at once (dispute clearing: 35.70 left).

The second payout reports Y's capture (71.40 less 1.07), withholds X's chargeback (35.70 and a 15.00
chargeback fee), and pays Z's capture while withholding Z's chargeback (35.70 less 0.54, and 35.70): every
line matches the orders' clearing and chargebacks, no task opens, payment clearing ends at zero and the payout
puts 70.33 - 50.70 + 35.16 - 35.70 = 19.09 in transit (fees 1.07 + 15.00 + 0.54 = 16.61). The provider rules
X lost: dispute clearing ends at zero, chargeback losses 71.40. A third payout withholding a chargeback of Y,
which has none recorded, is a difference a person decides."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.payments.bank import balances, open_task
from tests.payments.provider import chargeback, payout_body
from tests.purchasing.buyer_desk import eventually
from tests.returns.desk import ship_through_api
from tests.sales.shop import add_item, bearer, open_shop, receive

D = Decimal


async def test_a_payout_that_withholds_chargebacks_matches_them(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    assert shop.entity.id
    entity = shop.entity.id
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "10", "12.00")
    ctl = bearer(shop.controller)
    x = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}])
    y = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "2"}])
    z = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}])
    assert balances(engine, entity)["payment_clearing"] == D("142.80")

    first = api.post(
        "/psp-payouts",
        json=payout_body(shop, "po-w1", [{"order_number": x, "gross": "35.70", "fees": "0.54"}]),
        headers=ctl,
    )
    assert first.status_code == 201 and first.json()["lines"][0]["status"] == "matched", first.text

    contested = chargeback(api, engine, shop, "cb-x", x, "contest")
    chargeback(api, engine, shop, "cb-z", z, "accept")
    eventually(lambda: open_task(engine, contested["workflow_id"], "chargeback_ruling"), "ruling task")
    eventually(lambda: balances(engine, entity).get("chargeback_loss") == D("35.70") or None, "Z accepted")
    disputed = balances(engine, entity)
    # X owes the provider what it paid out; Y waits for its payout; Z's capture went to dispute clearing.
    assert disputed["payment_clearing"] == D("35.70") and disputed["dispute_clearing"] == D("35.70"), disputed

    second = payout_body(
        shop,
        "po-w2",
        [
            {"order_number": y, "gross": "71.40", "fees": "1.07"},
            {"order_number": x, "gross": "35.70", "fees": "15.00", "kind": "chargeback"},
            {"order_number": z, "gross": "35.70", "fees": "0.54"},
            {"order_number": z, "gross": "35.70", "fees": "0", "kind": "chargeback"},
        ],
    )
    imported = api.post("/psp-payouts", json=second, headers={**ctl, "Idempotency-Key": "po-w2"})
    assert imported.status_code == 201, imported.text
    payout = imported.json()
    assert [(ln["kind"], ln["status"]) for ln in payout["lines"]] == [
        ("capture", "matched"),
        ("chargeback", "matched"),
        ("capture", "matched"),
        ("chargeback", "matched"),
    ], payout
    assert (D(payout["reported_net"]), D(payout["in_transit"])) == (D("19.09"), D("19.09"))
    assert open_task(engine, f"PspPayout-{shop.web.code}-po-w2", "psp_payout_difference") is None
    paid = balances(engine, entity)
    assert "payment_clearing" not in paid, paid
    assert paid["bank_in_transit"] == D("54.25"), paid  # 35.16 + 19.09
    assert paid["bank_charges"] == D("17.15"), paid  # 0.54 + 16.61

    ruling = open_task(engine, contested["workflow_id"], "chargeback_ruling")
    assert ruling is not None
    lost = api.post(f"/tasks/{ruling}/decision", json={"decision": "lost"}, headers=ctl)
    assert lost.status_code == 200, lost.text
    eventually(lambda: "dispute_clearing" not in balances(engine, entity) or None, "X lost")
    assert balances(engine, entity)["chargeback_loss"] == D("71.40")

    # Y had no chargeback: withholding one is a difference for a person, and nothing posts.
    before = balances(engine, entity)
    third = payout_body(
        shop, "po-w3", [{"order_number": y, "gross": "10.00", "fees": "0", "kind": "chargeback"}]
    )
    stray = api.post("/psp-payouts", json=third, headers=ctl)
    assert stray.status_code == 201, stray.text
    line = stray.json()["lines"][0]
    assert line["status"] == "difference" and "0 recorded" in line["reason"], line
    eventually(lambda: open_task(engine, f"PspPayout-{shop.web.code}-po-w3", "psp_payout_difference"), "task")
    assert balances(engine, entity) == before
