"""A web shop's treasurer at the end of a day. Two card orders (35.70 each) were captured into payment
clearing; the payment provider's payout po-1 reports the first at 35.70 less a 0.54 fee and the second at
only 30.00 less 0.45: the first moves clearing -> bank in transit at once (fee to bank charges), the second
opens a task, and the controller accepts the short payout (the 5.70 short goes to charges too). A second
payout names an order the shop never had: a task, dismissed, nothing posted. The same payout sent again
changes nothing. A customer paid a transfer order (35.70, in clearing since shipment) and a marketplace
settled an order (35.70 less 5.36 fees, in transit). The bank's camt.053 then shows the payout, the
settlement and the customer's transfer (its remittance text names the order), a 1.20 charge and an 12.00
credit nobody can explain: the first three match by reference and amount and clear bank in transit and
payment clearing to zero, the charge posts by rule, the unexplained credit opens a task."""

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.histories import save, should_record
from tests.payments.bank import (
    Entry,
    balances,
    camt053,
    open_task,
    open_tasks,
    settled_marketplace_order,
    transfer_order,
)
from tests.purchasing.buyer_desk import eventually
from tests.returns.desk import ship_through_api
from tests.sales.shop import Shop, account_totals, add_item, bearer, open_shop, receive

D = Decimal
HISTORY = Path(__file__).parent / "histories" / "psp_payout_difference_accepted.json"
IBAN = "DE02120300000000202051"


def _payout(shop: Shop, payout_id: str, lines: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "channel": shop.web.code,
        "payout_id": payout_id,
        "payout_date": date.today().isoformat(),
        "lines": [{"order_number": n, "gross": g, "fees": f} for n, g, f in lines],
    }


async def test_payouts_settlements_and_transfers_arrive_at_the_bank(
    temporal_dev: WorkflowEnvironment, api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    assert shop.entity.id
    entity = shop.entity.id
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "10", "12.00")
    ctl = bearer(shop.controller)
    first = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}])  # 30.00 + 19 % = 35.70
    second = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}])
    assert account_totals(engine, first)["payment_clearing"] == D("35.70")

    # Bad input changes nothing and names the field.
    refused = api.post("/psp-payouts", json=_payout(shop, "po-1", [(first, "-1", "0")]), headers=ctl)
    assert refused.status_code == 422 and "gross" in refused.text
    market = api.post(
        "/psp-payouts",
        json={**_payout(shop, "po-1", [(first, "1", "0")]), "channel": shop.market.code},
        headers=ctl,
    )
    assert market.status_code == 422 and "channel" in market.text
    clerk = api.post(
        "/psp-payouts", json=_payout(shop, "po-1", [(first, "1", "0")]), headers=bearer(shop.sales)
    )
    assert clerk.status_code == 403

    body = _payout(shop, "po-1", [(first, "35.70", "0.54"), (second, "30.00", "0.45")])
    imported = api.post("/psp-payouts", json=body, headers={**ctl, "Idempotency-Key": "po-1"})
    assert imported.status_code == 201, imported.text
    payout = imported.json()
    assert [(ln["status"], ln["held"]) for ln in payout["lines"]] == [
        ("matched", "35.7000"),
        ("difference", "35.7000"),
    ]
    assert (D(payout["reported_net"]), D(payout["in_transit"])) == (D("64.71"), D("35.16"))
    assert balances(engine, entity)["payment_clearing"] == D("35.70")  # only the second order's capture
    workflow_id = f"PspPayout-{shop.web.code}-po-1"
    task = eventually(lambda: open_task(engine, workflow_id, "psp_payout_difference"), "difference task")
    shown = api.get(f"/tasks/{task}", headers=ctl).json()
    assert shown["options"] == ["accept", "dismiss"] and second in shown["title"], shown

    again = api.post("/psp-payouts", json=body, headers=ctl)
    assert (
        again.status_code == 200 and again.json()["duplicate"] is True and again.json()["id"] == payout["id"]
    )
    assert balances(engine, entity)["bank_in_transit"] == D("35.16")  # posted once

    accepted = api.post(f"/tasks/{task}/decision", json={"decision": "accept"}, headers=ctl)
    assert accepted.status_code == 200, accepted.text
    shown = api.get(f"/psp-payouts/{payout['id']}", headers=ctl).json()
    assert shown["lines"][1]["status"] == "accepted" and D(shown["in_transit"]) == D("64.71")
    assert "payment_clearing" not in balances(engine, entity)
    handle = temporal_dev.client.get_workflow_handle(workflow_id)
    await handle.result()
    if should_record(HISTORY):
        save(await handle.fetch_history(), HISTORY)

    stranger = api.post(
        "/psp-payouts", json=_payout(shop, "po-2", [("SO-NOPE", "10.00", "0.15")]), headers=ctl
    )
    assert stranger.status_code == 201 and stranger.json()["lines"][0]["status"] == "unmatched"
    unknown = eventually(
        lambda: open_task(engine, f"PspPayout-{shop.web.code}-po-2", "psp_payout_difference"),
        "unknown line task",
    )
    assert api.get(f"/tasks/{unknown}", headers=ctl).json()["options"] == ["dismiss"]
    assert (
        api.post(f"/tasks/{unknown}/decision", json={"decision": "dismiss"}, headers=ctl).status_code == 200
    )

    transfer = transfer_order(api, shop, lamp.sku)
    marketplace = settled_marketplace_order(api, shop, lamp.sku, "MKT-PAY-1")
    before = balances(engine, entity)
    assert before["payment_clearing"] == D("35.70")  # the transfer, captured at shipment
    assert before["bank_in_transit"] == D("95.05")  # payout 64.71 + settlement 30.34
    assert before["bank_charges"] == D("6.69")  # 0.54 + 0.45 + 5.70 short

    content = camt053(
        "ST-DAY-1",
        IBAN,
        [
            Entry("64.71", text="PSP payout po-1"),
            Entry("30.34", e2e="MKT-PAY-1", text="Marketplace payout"),
            Entry("35.70", text=f"Order {transfer} thank you"),
            Entry("-1.20", code="CHRG", text="account fee"),
            Entry("12.00", text="refund from somewhere"),
        ],
    )
    statement = api.post(
        "/bank-statements", json={"entity_id": entity, "format": "camt053", "content": content}, headers=ctl
    )
    assert statement.status_code == 201, statement.text
    assert [(ln["status"], ln["matched_to"], ln["matched_ref"]) for ln in statement.json()["lines"]] == [
        ("matched", "psp_payout", "po-1"),
        ("matched", "settlement", "MKT-PAY-1"),
        ("matched", "customer_payment", transfer),
        ("posted", None, None),
        ("unmatched", None, None),
    ]
    after = balances(engine, entity)
    assert "bank_in_transit" not in after and "payment_clearing" not in after  # the money arrived
    assert after["bank"] == D("129.55")  # 64.71 + 30.34 + 35.70 - 1.20
    assert api.get(f"/psp-payouts/{payout['id']}", headers=ctl).json()["status"] == "cleared"
    eventually(
        lambda: open_task(engine, f"BankStatement-{shop.entity.code}-ST-DAY-1", "bank_line_unmatched"),
        "unexplained credit task",
    )
    assert len(open_tasks(engine, f"BankStatement-{shop.entity.code}-ST-DAY-1", "bank_line_unmatched")) == 1
    recon = api.get(f"/open-items/reconciliation?entity_id={entity}", headers=ctl).json()
    ar = next(s for s in recon["sides"] if s["side"] == "ar")
    assert D(str(ar["difference"])) == 0 and not ar["unrecorded"], ar
    assert api.get("/open-items?side=ar", headers=ctl).json()["items"] == [], marketplace  # nothing owed

    # The same statement again changes nothing; the payout cannot be cleared twice by another statement.
    twice = api.post(
        "/bank-statements", json={"entity_id": entity, "format": "camt053", "content": content}, headers=ctl
    )
    assert twice.status_code == 200 and twice.json()["duplicate"] is True
    other = camt053("ST-DAY-2", IBAN, [Entry("64.71", text="PSP payout po-1")])
    second_statement = api.post(
        "/bank-statements", json={"entity_id": entity, "format": "camt053", "content": other}, headers=ctl
    )
    assert second_statement.json()["lines"][0]["status"] == "unmatched"
    assert balances(engine, entity) == after
