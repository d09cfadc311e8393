"""Receivables paid by bank transfer. Two marketplace orders of one lamp (30.00 + 19 % = 35.70) are shipped:
the receivable is 71.40, two open items of 35.70 (one per order), due on the marketplace's settlement cycle.

The bank's first statement has two incoming transfers: 35.70 whose remittance text names M1 (the receivable is
paid: bank 35.70, AR credited 35.70, the payment's open item settles M1's) and 30.00 naming M2 (M2 expects
35.70: the line stays unmatched, nothing posts). Only M2's 35.70 is open; open items equal the AR control
account. The second statement repeats M1's transfer (nothing is owed on M1 any more: unmatched) and brings
M2's 35.70 by its end-to-end id: the receivable ends at zero, nothing is open, the bank holds 71.40."""

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.payments.bank import Entry, balances, camt053
from tests.sales.shop import Shop, add_item, bearer, open_shop, order_body, receive

D = Decimal
IBAN = "DE89370400440532013000"


def _shipped(api: TestClient, shop: Shop, sku: str) -> str:
    """A marketplace order of one lamp, shipped (the marketplace owes it)."""
    sale = order_body(shop, shop.market, [{"sku": sku, "qty": "1"}])
    number = str(api.post("/orders", json=sale, headers=bearer(shop.sales)).json()["order_number"])
    shipped = api.post(
        f"/orders/{number}/warehouse-events",
        json={"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DPD"},
        headers=bearer(shop.warehouse),
    )
    assert shipped.status_code == 200, shipped.text
    return number


def _statement(api: TestClient, shop: Shop, ref: str, entries: list[Entry]) -> list[dict[str, Any]]:
    """Import a camt.053 statement of the house bank; its lines as the API shows them."""
    body = {"entity_id": shop.entity.id, "format": "camt053", "content": camt053(ref, IBAN, entries)}
    imported = api.post("/bank-statements", json=body, headers=bearer(shop.controller))
    assert imported.status_code == 201, imported.text
    lines: list[dict[str, Any]] = imported.json()["lines"]
    return lines


def _open(api: TestClient, shop: Shop) -> list[tuple[str, str, Decimal]]:
    listed = api.get(f"/open-items?side=ar&entity_id={shop.entity.id}", headers=bearer(shop.controller))
    assert listed.status_code == 200, listed.text
    return [(i["partner"], i["document_type"], D(str(i["open"]))) for i in listed.json()["items"]]


def _ar_difference(api: TestClient, shop: Shop) -> Decimal:
    recon = api.get(f"/open-items/reconciliation?entity_id={shop.entity.id}", headers=bearer(shop.controller))
    ar = next(s for s in recon.json()["sides"] if s["side"] == "ar")
    assert not ar["unrecorded"], ar
    return D(str(ar["difference"]))


async def test_bank_transfers_pay_receivables_by_the_order_they_name(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    assert shop.entity.id
    entity = shop.entity.id
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "10", "12.00")
    m1, m2 = _shipped(api, shop, lamp.sku), _shipped(api, shop, lamp.sku)
    assert balances(engine, entity)["ar"] == D("71.40")
    assert sorted(_open(api, shop)) == sorted(
        [(f"order:{m1}", "shipment", D("35.70")), (f"order:{m2}", "shipment", D("35.70"))]
    )

    first = _statement(
        api, shop, "ST-AR-1", [Entry("35.70", text=f"Payment order {m1}"), Entry("30.00", text=f"Order {m2}")]
    )
    assert [(ln["status"], ln["matched_to"], ln["matched_ref"]) for ln in first] == [
        ("matched", "customer_payment", m1),
        ("unmatched", None, None),
    ], first
    paid = balances(engine, entity)
    assert (paid["ar"], paid["bank"]) == (D("35.70"), D("35.70")), paid
    assert _open(api, shop) == [(f"order:{m2}", "shipment", D("35.70"))]
    assert _ar_difference(api, shop) == 0

    second = _statement(
        api,
        shop,
        "ST-AR-2",
        [Entry("35.70", text=f"Payment order {m1}"), Entry("35.70", e2e=m2, text="Payment")],
    )
    assert [(ln["status"], ln["matched_ref"]) for ln in second] == [("unmatched", None), ("matched", m2)], (
        second
    )
    settled = balances(engine, entity)
    assert "ar" not in settled and settled["bank"] == D("71.40"), settled
    assert _open(api, shop) == []
    assert _ar_difference(api, shop) == 0
