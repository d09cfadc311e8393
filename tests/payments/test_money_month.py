"""A test month at one retailer, from the first order to the close, where every cent arrives.

The retailer pays suppliers by payment run and sells on its web shop (cards, and one order paid by bank
transfer) and on a marketplace. This month: a PO of shirts (101.00) is received, invoiced and paid by the
run (AP -> bank in transit); four card orders (35.70 each) are captured into payment clearing: one card was
declined at first and the customer paid with another, and one customer returns the lamp, whose card refund
the provider refuses (the card account is closed), so sales ops decide to pay the 35.70 by bank transfer
(receivable -> refunds payable). The provider pays the four captures out less 0.54 fees each (payout po-M1:
4 x 35.16 = 140.64 in transit); a transfer order (35.70) is paid into clearing; a marketplace order (35.70)
is settled less 5.36 fees (30.34 in transit). The bank's statement then shows the supplier payment and the
customer's refund going out, the payout, the settlement and the customer's transfer coming in, and a 2.00
account fee. Afterwards bank in transit, payment clearing and refunds payable are at zero, the bank holds
140.64 + 30.34 + 35.70 - 101.00 - 35.70 - 2.00 = 67.98, AP and AR are settled and their open items equal the
control accounts; the month-end close finds no AP or AR difference."""

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.close.closing import at_sign_off
from tests.factories import Factory
from tests.payments.bank import (
    HOUSE_BANK,
    Entry,
    balances,
    camt053,
    open_task,
    received_and_invoiced,
    settled_marketplace_order,
    supplier_bank,
    transfer_order,
)
from tests.purchasing.buyer_desk import decide, eventually, open_desk, wait_stage
from tests.returns.desk import failed_refund_task, return_stage, returned_and_received, ship_through_api
from tests.sales.shop import Shop, add_item, bearer, open_shop, order_body, receive
from workflows.close.month_end import MonthEndCloseWorkflow

D = Decimal


def _paid_run(api: TestClient, headers: dict[str, str], run_id: int) -> dict[str, Any] | None:
    found: dict[str, Any] = api.get(f"/payment-runs/{run_id}", headers=headers).json()
    return found if found["status"] == "paid" else None


def _declined_then_paid(api: TestClient, shop: Shop, sku: str) -> str:
    """A card order declined at authorisation; the customer pays with another card and it ships."""
    body = order_body(
        shop, shop.web, [{"sku": sku, "qty": "1"}], payment_method="card", payment_reference="sandbox:decline"
    )
    created = api.post("/orders", json=body, headers=bearer(shop.sales))
    assert created.status_code == 201 and created.json()["stage"] == "awaiting_payment", created.text
    number = str(created.json()["order_number"])
    paid = api.post(
        f"/orders/{number}/payment",
        json={"method": "card", "amount": "35.70", "reference": "tok_visa"},
        headers=bearer(shop.sales),
    )
    assert paid.status_code == 200 and paid.json()["paid"] is True, paid.text
    shipped = api.post(
        f"/orders/{number}/warehouse-events",
        json={"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DHL", "tracking": "1234567891"},
        headers=bearer(shop.warehouse),
    )
    assert shipped.status_code == 200 and shipped.json()["stage"] == "closed", shipped.text
    return number


def _refund_by_transfer(api: TestClient, shop: Shop, number: str) -> str:
    """The lamp comes back, the card refund fails, sales ops decide a bank transfer; returns the credit note."""
    rma = returned_and_received(api, shop, number)
    task = eventually(lambda: failed_refund_task(api, shop, rma), "the failed refund's task")
    decided = api.post(
        f"/tasks/{task}/decision", json={"decision": "bank_transfer"}, headers=bearer(shop.sales)
    )
    assert decided.status_code == 200, decided.text
    eventually(lambda: return_stage(api, shop, rma) == "closed" or None, "closed")
    return f"CN-{rma}"


async def test_a_month_in_which_all_the_money_arrives(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory, price="10.10")
    assert desk.entity.id
    entity = desk.entity.id
    shop = open_shop(factory, entity=desk.entity, payment_provider="sandbox")
    ctl = bearer(desk.token("controller"))
    supplier_bank(engine, desk.supplier, "FR1420041010050500013M02606", None)
    assert (
        api.put(
            f"/payment-settings/{entity}", json={**HOUSE_BANK, "uses_payment_runs": True}, headers=ctl
        ).status_code
        == 200
    )

    # Buying: the PO is received and invoiced; the payment run pays it.
    po = received_and_invoiced(api, engine, desk, desk.supplier, "EUR", "10.10")
    wait_stage(engine, po, "awaiting_payment")
    today = date.today()
    started = api.post(
        "/payment-runs",
        json={"entity_id": entity, "run_date": today.isoformat()},
        headers=bearer(desk.token("clerk")),
    )
    assert started.status_code == 201 and started.json()["proposed"] == 1, started.text
    approval = eventually(
        lambda: open_task(engine, started.json()["workflow_id"], "payment_run_approval"), "run approval"
    )
    assert decide(api, desk.token("controller"), approval, "approve").status_code == 200
    run = eventually(lambda: _paid_run(api, ctl, started.json()["run_id"]), "the run paid")
    e2e = run["items"][0]["end_to_end_id"]
    wait_stage(engine, po, "closed")

    # Selling: two card orders, a transfer order, a marketplace order.
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "10", "12.00")
    cards = [ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}]) for _ in range(2)]
    cards.append(_declined_then_paid(api, shop, lamp.sku))
    returned = ship_through_api(
        api, shop, [{"sku": lamp.sku, "qty": "1"}], payment_reference="sandbox:refund-fails"
    )
    cards.append(returned)
    credit_note = _refund_by_transfer(api, shop, returned)
    transfer = transfer_order(api, shop, lamp.sku)
    settled_marketplace_order(api, shop, lamp.sku, "MKT-M1")
    payout = api.post(
        "/psp-payouts",
        json={
            "channel": shop.web.code,
            "payout_id": "po-M1",
            "payout_date": today.isoformat(),
            "lines": [{"order_number": n, "gross": "35.70", "fees": "0.54"} for n in cards],
        },
        headers=ctl,
    )
    assert payout.status_code == 201 and D(payout.json()["in_transit"]) == D("140.64"), payout.text
    waiting = balances(engine, entity)
    assert waiting["bank_in_transit"] == D("69.98")  # 140.64 + 30.34 in, 101.00 out
    assert waiting["refunds_payable"] == D("-35.70")  # owed to the customer whose card refund failed
    assert waiting["payment_clearing"] == D("35.70")  # the transfer, until the bank shows it

    statement = camt053(
        "ST-M1",
        HOUSE_BANK["iban"],
        [
            Entry("-101.00", e2e=e2e, code="ESCT", text="supplier payment"),
            Entry("-35.70", code="ESCT", text=f"Refund {credit_note}"),
            Entry("140.64", text="Payout po-M1"),
            Entry("30.34", e2e="MKT-M1"),
            Entry("35.70", text=f"Payment for {transfer}"),
            Entry("-2.00", code="CHRG", text="account fee"),
        ],
    )
    imported = api.post(
        "/bank-statements", json={"entity_id": entity, "format": "camt053", "content": statement}, headers=ctl
    )
    assert imported.status_code == 201, imported.text
    assert [ln["matched_to"] or ln["status"] for ln in imported.json()["lines"]] == [
        "run_payment",
        "refund_transfer",
        "psp_payout",
        "settlement",
        "customer_payment",
        "posted",
    ]

    after = balances(engine, entity)
    for clearing in ("bank_in_transit", "payment_clearing", "refunds_payable", "ap", "ar"):
        assert clearing not in after, (clearing, after)
    assert after["bank"] == D("67.98")
    assert after["bank_charges"] == D("4.16")  # 4 x 0.54 + 2.00
    assert after["marketplace_fees"] == D("5.36")
    recon = api.get(f"/open-items/reconciliation?entity_id={entity}", headers=ctl).json()
    for side in recon["sides"]:
        assert D(str(side["difference"])) == 0 and not side["unrecorded"], side

    period = today.strftime("%Y-%m")
    closing = api.post("/close/runs", json={"entity_id": entity, "period": period}, headers=ctl)
    assert closing.status_code == 202, closing.text
    handle = temporal_dev.client.get_workflow_handle_for(
        MonthEndCloseWorkflow.run, closing.json()["workflow_id"]
    )
    await at_sign_off(handle)
    close_run = api.get(f"/close/runs/{entity}/{period}", headers=ctl).json()
    checks = {d["check_name"] for d in close_run["differences"]}
    assert not checks & {"ap_subledger_vs_control", "ar_subledger_vs_control"}, close_run["differences"]
