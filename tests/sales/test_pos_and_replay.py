"""A store sale (POS) reserves, ships and posts at once; and a recorded happy-path web order replays
against today's workflow code (a change that breaks determinism fails here, not in production)."""

from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.histories import assert_replays, save, should_record
from tests.sales.shop import account_totals, add_item, balance, bearer, open_shop, order_body, receive
from workflows.sales.order import OrderWorkflow

D = Decimal
HISTORY = Path(__file__).parent / "histories" / "web_order_happy_path.json"


def test_pos_sale_fulfils_and_posts_at_once(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, tax="0.10")
    soap = add_item(factory, shop, "soap", "4.00")
    receive(engine, soap, shop.store, "10", "1.50")
    sold = api.post(
        "/orders",
        json=order_body(shop, shop.pos, [{"sku": soap.sku, "qty": "3"}], payment_method="cash"),
        headers=bearer(shop.sales),
    )
    assert sold.status_code == 201, sold.text
    assert sold.json()["stage"] == "closed"
    # 3 x 4.00 = 12.00 + 10% tax = 13.20 in the cash clearing account; cost 3 x 1.50.
    assert account_totals(engine, sold.json()["order_number"]) == {
        "revenue": D("-12.00"),
        "sales_tax_payable": D("-1.20"),
        "payment_clearing": D("13.20"),
        "cogs": D("4.50"),
        "inventory": D("-4.50"),
    }
    assert balance(engine, soap, shop.store) == (D(7), D(0))


def record_happy_path(api: TestClient, engine: Engine, factory: Factory) -> str:
    """Run a web order from intake to its last shipment through the API; returns its workflow id."""
    shop = open_shop(factory)
    tee = add_item(factory, shop, "tee", "20.00")
    receive(engine, tee, shop.wh1, "5", "8.00")
    created = api.post(
        "/orders", json=order_body(shop, shop.web, [{"sku": tee.sku, "qty": "2"}]), headers=bearer(shop.sales)
    ).json()
    number = created["order_number"]
    for kind in ("picked", "packed", "shipped"):
        answer = api.post(
            f"/orders/{number}/warehouse-events",
            headers=bearer(shop.warehouse),
            json={"kind": kind, "location_id": shop.wh1.id, "carrier": "DHL", "tracking": "1234567891"},
        )
        assert answer.status_code == 200, answer.text
    return str(created["workflow_id"])


async def test_recorded_history_replays(
    api: TestClient, erp_worker: Worker, temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory
) -> None:
    # Regenerate with: ERP_RECORD_HISTORIES=1 .venv/bin/pytest tests/sales/test_pos_and_replay.py
    if should_record(HISTORY):
        workflow_id = record_happy_path(api, engine, factory)
        handle = temporal_dev.client.get_workflow_handle_for(OrderWorkflow.run, workflow_id)
        assert (await handle.result()).stage == "closed"
        save(await handle.fetch_history(), HISTORY)
    await assert_replays(HISTORY)
