"""A customer returns a lamp (35.70 with tax) paid by a card whose account has since been closed: the provider
refuses the refund, and sales ops decide to pay the customer by bank transfer. The shop then owes the customer
35.70 in refunds payable. The treasurer sends the transfer from the house bank with the credit note's number in
the reference; the next bank statement shows it going out, and that line clears refunds payable to the bank.
The same transfer on a later statement (the bank listed it twice) finds nothing owed and waits on a person, as
does a transfer of the wrong amount, whose reason names the credit note and both amounts.

In another currency: a Serbian shop (RSD) sells in euros; the controller keys the euro at 117.00 dinars today
and 117.50 tomorrow (a pair no other scenario keys). The lamp (EUR 35.70) is sold and its refund owed today at
117.00: refunds payable -4,176.90 dinars. The transfer goes out tomorrow at 117.50: the bank pays 4,194.75
dinars, and the 17.85 more than the payable was booked at is a realised loss; refunds payable ends at zero
dinars."""

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.payments.bank import HOUSE_BANK, Entry, balances, camt053, key_days
from tests.purchasing.buyer_desk import eventually
from tests.returns.desk import failed_refund_task, returned_and_received, ship_through_api
from tests.sales.shop import Shop, add_item, bearer, open_shop, receive

D = Decimal


def _import(
    api: TestClient, token: str, entity: int, ref: str, entries: list[Entry], on: date | None = None
) -> Any:
    statement = camt053(ref, HOUSE_BANK["iban"], entries, on)
    return api.post(
        "/bank-statements",
        json={"entity_id": entity, "format": "camt053", "content": statement},
        headers=bearer(token),
    )


def _refund_owed(api: TestClient, engine: Engine, factory: Factory, shop: Shop, owed: str) -> str:
    """A lamp sold by card comes back, the card refund fails, sales ops decide a bank transfer; its RMA."""
    entity = shop.entity.id or 0
    settings = api.put(
        f"/payment-settings/{entity}",
        json={**HOUSE_BANK, "uses_payment_runs": False},
        headers=bearer(shop.controller),
    )
    assert settings.status_code == 200, settings.text
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "5", "12.00")
    number = ship_through_api(
        api, shop, [{"sku": lamp.sku, "qty": "1"}], payment_reference="sandbox:refund-fails"
    )
    rma = returned_and_received(api, shop, number)
    task = eventually(lambda: failed_refund_task(api, shop, rma), "the failed refund's task")
    decided = api.post(
        f"/tasks/{task}/decision", json={"decision": "bank_transfer"}, headers=bearer(shop.sales)
    )
    assert decided.status_code == 200, decided.text
    eventually(lambda: balances(engine, entity).get("refunds_payable") == D(owed) or None, "refund owed")
    return rma


def test_a_refund_sales_ops_decided_to_pay_by_transfer_is_cleared_by_the_bank_statement(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, payment_provider="sandbox")
    entity = shop.entity.id or 0
    rma = _refund_owed(api, engine, factory, shop, "-35.70")
    bank_before = balances(engine, entity).get("bank", D(0))

    credit_note = f"CN-{rma}"
    wrong = _import(
        api,
        shop.controller,
        entity,
        f"ST-{rma}-A",
        [Entry("-37.50", text=f"Refund {credit_note}", code="ESCT")],
    )
    assert wrong.status_code == 201, wrong.text
    [line] = wrong.json()["lines"]
    assert line["status"] == "unmatched"
    assert credit_note in line["description"] and "35.70" in line["description"], line
    assert balances(engine, entity)["refunds_payable"] == D("-35.70")  # nothing moved

    paid = _import(
        api,
        shop.controller,
        entity,
        f"ST-{rma}-B",
        [Entry("-35.70", text=f"Refund {credit_note}", code="ESCT")],
    )
    assert paid.status_code == 201, paid.text
    [line] = paid.json()["lines"]
    assert (line["status"], line["matched_to"]) == ("matched", "refund_transfer"), line
    after = balances(engine, entity)
    assert "refunds_payable" not in after  # the customer is paid
    assert after.get("bank", D(0)) - bank_before == D("-35.70")

    again = _import(
        api,
        shop.controller,
        entity,
        f"ST-{rma}-C",
        [Entry("-35.70", text=f"Refund {credit_note}", code="ESCT")],
    )
    assert again.status_code == 201, again.text
    [line] = again.json()["lines"]
    assert line["status"] == "unmatched", line  # nothing owed any more: a person looks at it
    assert balances(engine, entity) == after


def test_a_refund_in_euros_paid_by_transfer_a_day_later_realises_the_difference(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, entity=factory.entity("RSD"), sells_in="EUR", payment_provider="sandbox")
    entity = shop.entity.id or 0
    _, tomorrow = key_days(api, shop.controller, "EUR->RSD", ["117.00", "117.50"])
    rma = _refund_owed(api, engine, factory, shop, "-4176.90")
    fx_before = balances(engine, entity).get("fx_gain_loss", D(0))
    bank_before = balances(engine, entity).get("bank", D(0))

    out = [Entry("-35.70", text=f"Refund CN-{rma}", code="ESCT")]
    paid = _import(api, shop.controller, entity, f"ST-{rma}-F", out, tomorrow)
    assert paid.status_code == 201, paid.text
    assert paid.json()["lines"][0]["matched_to"] == "refund_transfer", paid.text
    after = balances(engine, entity)
    assert "refunds_payable" not in after, after  # zero dinars, not 17.85
    assert after.get("bank", D(0)) - bank_before == D("-4194.75")  # 35.70 x 117.50
    assert after.get("fx_gain_loss", D(0)) - fx_before == D("17.85")  # a loss: 4,194.75 paid for 4,176.90
