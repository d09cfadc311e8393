"""A test month at one retailer, from the first order to the close, where every cent arrives.

The retailer pays suppliers by payment run and sells on its web shop (cards, and one order paid by bank
transfer) and on a marketplace. This month: a PO of shirts (101.00) is received, invoiced and paid by the
run (AP -> bank in transit); two card orders (35.70 each) are captured into payment clearing and paid out by
the payment provider less 0.54 fees each (payout po-M1: 70.32 in transit); a transfer order (35.70) is
paid into clearing; a marketplace order (35.70) is settled less 5.36 fees (30.34 in transit). The bank's
statement then shows the supplier payment going out, the payout, the settlement and the customer's
transfer coming in, and a 2.00 account fee. Afterwards bank in transit and payment clearing are at zero,
the bank holds 70.32 + 30.34 + 35.70 - 101.00 - 2.00 = 33.36, AP and AR are settled and their open items
equal the control accounts; the month-end close finds no AP or AR difference."""

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
from tests.returns.desk import ship_through_api
from tests.sales.shop import add_item, bearer, open_shop, receive
from workflows.close.month_end import MonthEndCloseWorkflow

D = Decimal


def _paid_run(api: TestClient, headers: dict[str, str], run_id: int) -> dict[str, Any] | None:
    found: dict[str, Any] = api.get(f"/payment-runs/{run_id}", headers=headers).json()
    return found if found["status"] == "paid" else None


async def test_a_month_in_which_all_the_money_arrives(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory, price="10.10")
    assert desk.entity.id
    entity = desk.entity.id
    shop = open_shop(factory, entity=desk.entity)
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
    assert payout.status_code == 201 and D(payout.json()["in_transit"]) == D("70.32"), payout.text
    waiting = balances(engine, entity)
    assert waiting["bank_in_transit"] == D("-0.34")  # 70.32 + 30.34 in, 101.00 out
    assert waiting["payment_clearing"] == D("35.70")  # the transfer, until the bank shows it

    statement = camt053(
        "ST-M1",
        HOUSE_BANK["iban"],
        [
            Entry("-101.00", e2e=e2e, code="ESCT", text="supplier payment"),
            Entry("70.32", text="Payout po-M1"),
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
        "psp_payout",
        "settlement",
        "customer_payment",
        "posted",
    ]

    after = balances(engine, entity)
    for clearing in ("bank_in_transit", "payment_clearing", "ap", "ar"):
        assert clearing not in after, (clearing, after)
    assert after["bank"] == D("33.36")
    assert after["bank_charges"] == D("3.08")  # 0.54 + 0.54 + 2.00
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
