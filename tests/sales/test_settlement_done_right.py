"""A marketplace sends its payout reports the way marketplaces do: once too much, then right, then the same
order again in a later report, then the very same report twice. Each order is settled once at the amount it
still owes; an over-payment and an order settled already are tasks for the controller and post nothing; a
report sent twice (same reference, or the same lines under a new one) is refused with 409 and changes
nothing; a short payout the controller accepts settles the order and leaves the rest open."""

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.conftest import scalar
from tests.factories import Factory
from tests.histories import save, should_record
from tests.sales.shop import Shop, account_totals, add_item, bearer, open_shop, order_body, receive

D = Decimal
# The patched path: a payout line over the open receivable opens a difference task, dismissed.
HISTORY = Path(__file__).parent / "histories" / "marketplace_settlement_difference_dismissed.json"


def _shipped_order(api: TestClient, shop: Shop, sku: str) -> tuple[str, str]:
    """A marketplace order of 2 x 25.00 + 19 % (59.50 owed), shipped; (order number, external id)."""
    body = order_body(shop, shop.market, [{"sku": sku, "qty": "2"}])
    number = api.post("/orders", json=body, headers=bearer(shop.sales)).json()["order_number"]
    shipped = api.post(
        f"/orders/{number}/warehouse-events",
        headers=bearer(shop.warehouse),
        json={"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DPD"},
    )
    assert shipped.status_code == 200, shipped.text
    return number, str(body["external_id"])


def _report(shop: Shop, reference: str, lines: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "channel": shop.market.code,
        "reference": reference,
        "payout_date": str(date.today()),
        "lines": [{"external_id": x, "gross": g, "fees": f} for x, g, f in lines],
    }


def _entries(engine: Engine, shop: Shop) -> int:
    return int(
        str(scalar(engine, "SELECT count(*) FROM journal_entry WHERE entity_id = :e", e=shop.entity.id))
    )


async def test_each_order_is_settled_once_at_what_it_owes(
    temporal_dev: WorkflowEnvironment, api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    towel = add_item(factory, shop, "towel", "25.00")
    receive(engine, towel, shop.wh1, "10", "10.00")
    ctl = bearer(shop.controller)
    number, ext = _shipped_order(api, shop, towel.sku)
    assert account_totals(engine, number)["ar"] == D("59.50")

    # 1. The marketplace reports 69.50 for an order owing 59.50: a difference task, nothing posted.
    over = api.post("/settlements", json=_report(shop, "PAY-1", [(ext, "69.50", "7.14")]), headers=ctl)
    assert over.status_code == 201, over.text
    line = over.json()["lines"][0]
    assert (line["status"], D(line["open_receivable"]), D(line["difference"])) == (
        "difference",
        D("59.50"),
        D("10.00"),
    )
    task = api.get(f"/tasks/{over.json()['open_tasks'][0]}", headers=ctl).json()
    assert (task["kind"], task["options"]) == ("settlement_difference", ["dismiss"])
    assert account_totals(engine, number)["ar"] == D("59.50")
    dismissed = api.post(
        f"/tasks/{task['id']}/decision", json={"decision": "dismiss", "comment": "wrong amount"}, headers=ctl
    )
    assert dismissed.status_code == 200, dismissed.text
    handle = temporal_dev.client.get_workflow_handle(f"Settlement-{shop.market.code}-PAY-1")
    await handle.result()
    if should_record(HISTORY):
        save(await handle.fetch_history(), HISTORY)

    # 2. The corrected report settles it (4 cents of marketplace rounding go to fees).
    right = api.post("/settlements", json=_report(shop, "PAY-2", [(ext, "59.46", "7.14")]), headers=ctl)
    assert right.status_code == 201, right.text
    assert right.json()["lines"][0]["status"] == "matched" and right.json()["open_tasks"] == []
    totals = account_totals(engine, number)
    assert "ar" not in totals
    assert (totals["bank_in_transit"], totals["marketplace_fees"]) == (D("52.32"), D("7.18"))

    # 3. A later report carries the same order again: a task, the receivable does not go negative.
    later = api.post(
        "/settlements",
        json=_report(shop, "PAY-3", [(ext, "59.50", "7.14"), ("GHOST-9", "5.00", "0")]),
        headers=ctl,
    )
    assert later.status_code == 201, later.text
    assert [ln["status"] for ln in later.json()["lines"]] == ["already_settled", "unmatched"]
    kinds = sorted(api.get(f"/tasks/{t}", headers=ctl).json()["kind"] for t in later.json()["open_tasks"])
    assert kinds == ["settlement_difference", "settlement_unmatched"]
    assert account_totals(engine, number) == totals

    # 4. The same report twice, or its lines under a new reference: 409, nothing changes.
    posted = _entries(engine, shop)
    again = api.post("/settlements", json=_report(shop, "PAY-2", [(ext, "59.46", "7.14")]), headers=ctl)
    assert again.status_code == 409, again.text
    assert "PAY-2" in again.text
    renamed = api.post(
        "/settlements", json=_report(shop, "PAY-2-RESENT", [(ext, "59.46", "7.14")]), headers=ctl
    )
    assert renamed.status_code == 409, renamed.text
    assert _entries(engine, shop) == posted
    assert account_totals(engine, number) == totals
    assert (
        scalar(engine, "SELECT count(*) FROM marketplace_settlement WHERE channel_id = :c", c=shop.market.id)
        == 3
    )


def test_a_short_payout_accepted_leaves_the_rest_open(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    towel = add_item(factory, shop, "towel", "25.00")
    receive(engine, towel, shop.wh1, "10", "10.00")
    ctl = bearer(shop.controller)
    number, ext = _shipped_order(api, shop, towel.sku)

    short = api.post("/settlements", json=_report(shop, "PAY-S", [(ext, "50.00", "6.00")]), headers=ctl)
    assert short.status_code == 201, short.text
    assert short.json()["lines"][0]["status"] == "difference"
    task_id = short.json()["open_tasks"][0]
    assert api.get(f"/tasks/{task_id}", headers=ctl).json()["options"] == ["accept", "dismiss"]
    done = api.post(f"/tasks/{task_id}/decision", json={"decision": "accept"}, headers=ctl)
    assert done.status_code == 200, done.text
    # 59.50 owed, 50.00 settled: 9.50 stays open on the order, as an open item and on the control account.
    assert account_totals(engine, number)["ar"] == D("9.50")
    open_amount = scalar(
        engine,
        "SELECT sum(amount) FROM open_item WHERE side = 'ar' AND partner_type = 'order' AND partner_id = :n",
        n=number,
    )
    assert D(str(open_amount)) == D("9.50")
    view = api.get(f"/settlements/{short.json()['settlement_id']}", headers=ctl).json()
    assert view["lines"][0]["status"] == "matched"
    # Settled once: a second payout for the rest is an exception, not a second settlement.
    rest = api.post("/settlements", json=_report(shop, "PAY-R", [(ext, "9.50", "0")]), headers=ctl)
    assert rest.json()["lines"][0]["status"] == "already_settled"
