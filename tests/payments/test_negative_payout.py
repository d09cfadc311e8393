"""A payout that takes money back: the provider collects from the bank what its chargebacks cost.

A web shop sells one lamp to X (30.00 + 19 % = 35.70, captured into payment clearing). The provider's first
payout pays X out (35.70 less 0.54 fees: 35.16 in transit), and the bank's first statement shows the 35.16
arriving. Then X's cardholder disputes the payment; the controller accepts the loss (chargeback losses 35.70),
and X owes the provider the 35.70 it was paid out (payment clearing -35.70). The provider's second payout has
nothing to pay: it withholds X's chargeback and its 15.00 fee, so it nets -50.70, and the provider debits the
shop's bank account for it. The second statement shows "-50.70 Payout po-n2": it confirms the payout, not a
supplier payment, and clears bank in transit. Afterwards payment clearing, dispute clearing and bank in transit
are at zero, the bank holds 35.16 - 50.70 = -15.54, bank charges are 0.54 + 15.00 = 15.54. The same
statement imported again changes nothing; a debit naming the payout with a wrong amount stays unmatched.

The same in another currency: a Romanian shop (RON) sells in euros; the controller keys the euro at 5.00 lei
today and 5.10 tomorrow (a pair no other scenario keys). X (EUR 35.70 = 178.50 lei) is paid out today (35.16
in transit = 175.80 lei) and the bank shows it today. X's chargeback is accepted today and the second payout,
today, withholds it with its 15.00 fee: EUR -50.70 in transit, -253.50 lei at today's rate. The bank collects
it tomorrow at 5.10: -258.57 lei. Paying back 50.70 euros cost 5.07 lei more than booked: a realised loss of
5.07, and bank in transit ends at zero lei. The bank holds 175.80 - 258.57 = -82.77 lei."""

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.payments.bank import HOUSE_BANK, Entry, balances, camt053, key_days
from tests.payments.provider import chargeback, payout_body
from tests.purchasing.buyer_desk import eventually
from tests.returns.desk import ship_through_api
from tests.sales.shop import add_item, bearer, open_shop, receive

D = Decimal


def _import(
    api: TestClient, ctl: dict[str, str], entity: int, ref: str, entries: list[Entry], on: date | None = None
) -> list[str | tuple[str, str]]:
    """Import a camt.053 statement; what each line matched, or its status and its description (why, first)."""
    content = camt053(ref, HOUSE_BANK["iban"], entries, on)
    imported = api.post(
        "/bank-statements", json={"entity_id": entity, "format": "camt053", "content": content}, headers=ctl
    )
    assert imported.status_code in (200, 201), imported.text
    return [ln["matched_to"] or (ln["status"], ln["description"]) for ln in imported.json()["lines"]]


async def test_a_payout_that_nets_negative_is_collected_from_the_bank_and_clears(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, payment_provider="sandbox")
    assert shop.entity.id
    entity = shop.entity.id
    ctl = bearer(shop.controller)
    house_bank = {**HOUSE_BANK, "uses_payment_runs": False}
    assert api.put(f"/payment-settings/{entity}", json=house_bank, headers=ctl).status_code == 200
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "5", "12.00")
    x = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}])

    first = api.post(
        "/psp-payouts",
        json=payout_body(shop, "po-n1", [{"order_number": x, "gross": "35.70", "fees": "0.54"}]),
        headers=ctl,
    )
    assert first.status_code == 201 and D(first.json()["in_transit"]) == D("35.16"), first.text
    assert _import(api, ctl, entity, "ST-N1", [Entry("35.16", text="Payout po-n1")]) == ["psp_payout"]

    chargeback(api, engine, shop, "cb-n1", x, "accept")
    eventually(lambda: balances(engine, entity).get("chargeback_loss") == D("35.70") or None, "X accepted")
    assert balances(engine, entity)["payment_clearing"] == D("-35.70")  # X owes the provider its payout

    withheld = payout_body(
        shop, "po-n2", [{"order_number": x, "gross": "35.70", "fees": "15.00", "kind": "chargeback"}]
    )
    second = api.post("/psp-payouts", json=withheld, headers=ctl)
    assert second.status_code == 201, second.text
    assert (D(second.json()["reported_net"]), D(second.json()["in_transit"])) == (D("-50.70"), D("-50.70"))
    assert balances(engine, entity)["bank_in_transit"] == D("-50.70")

    # A debit naming the payout with another amount is not it; the right one clears it, once.
    wrong = _import(api, ctl, entity, "ST-N2", [Entry("-50.07", text="Payout po-n2")])
    assert wrong == [
        ("unmatched", "psp_payout po-n2 expects -50.70 EUR, the line has -50.07 EUR; Payout po-n2")
    ]
    debit = [Entry("-50.70", text="Payout po-n2")]
    assert _import(api, ctl, entity, "ST-N3", debit) == ["psp_payout"]
    after = balances(engine, entity)
    assert _import(api, ctl, entity, "ST-N3", debit) == ["psp_payout"]  # the same statement again
    assert balances(engine, entity) == after
    for cleared in ("payment_clearing", "dispute_clearing", "bank_in_transit"):
        assert cleared not in after, (cleared, after)
    assert after["bank"] == D("-15.54")  # 35.16 - 50.70: the debit of the wrong amount posted nothing
    assert after["bank_charges"] == D("15.54")
    assert after["chargeback_loss"] == D("35.70")


async def test_a_negative_payout_in_euros_collected_at_a_later_rate_realises_the_loss(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, entity=factory.entity("RON"), sells_in="EUR", payment_provider="sandbox")
    assert shop.entity.id
    entity = shop.entity.id
    ctl = bearer(shop.controller)
    _, tomorrow = key_days(api, shop.controller, "EUR->RON", ["5.00", "5.10"])
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "5", "12.00")
    x = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}])
    paid_out = payout_body(shop, "po-f1", [{"order_number": x, "gross": "35.70", "fees": "0.54"}])
    assert api.post("/psp-payouts", json=paid_out, headers=ctl).status_code == 201
    assert _import(api, ctl, entity, "ST-F1", [Entry("35.16", text="Payout po-f1")]) == ["psp_payout"]

    chargeback(api, engine, shop, "cb-f1", x, "accept")
    eventually(lambda: balances(engine, entity).get("chargeback_loss") == D("178.50") or None, "X accepted")
    withheld = payout_body(
        shop, "po-f2", [{"order_number": x, "gross": "35.70", "fees": "15.00", "kind": "chargeback"}]
    )
    assert api.post("/psp-payouts", json=withheld, headers=ctl).status_code == 201
    assert balances(engine, entity)["bank_in_transit"] == D("-253.50")  # EUR -50.70 at 5.00

    debit = [Entry("-50.70", text="Payout po-f2")]
    assert _import(api, ctl, entity, "ST-F2", debit, tomorrow) == ["psp_payout"]
    after = balances(engine, entity)
    for cleared in ("payment_clearing", "dispute_clearing", "bank_in_transit"):
        assert cleared not in after, (cleared, after)
    assert after["bank"] == D("-82.77")  # 175.80 - 258.57
    assert after["fx_gain_loss"] == D("5.07")  # a loss: 258.57 paid for 253.50 booked
