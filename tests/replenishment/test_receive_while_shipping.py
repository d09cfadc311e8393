"""The store books the arrival of a transfer the ERP already shows as shipped, while the workflow has not yet
heard back from the activity that shipped it (a busy or restarted worker). The receipt is not refused as
"transfer is draft": it waits for the shipment to be known and is then applied once."""

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from erp.settings import get_settings
from models.contracts.replenishment import TransferState
from services.replenishment import transfers
from tests.factories import Factory
from tests.held_step import HeldStep
from tests.replenishment.shop import bearer, open_shop, receive_stock, rows, today

D = Decimal


@pytest.fixture()
def held_shipment(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldStep[TransferState]]:
    held = HeldStep(transfers.ship)
    monkeypatch.setattr(transfers, "ship", held)
    yield held
    held.release.set()


def _until(probe: Any, what: str) -> Any:
    for _ in range(600):
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_receipt_booked_while_the_transfer_is_being_shipped_is_applied_once(
    api: TestClient,
    erp_worker: Worker,
    engine: Engine,
    factory: Factory,
    held_shipment: HeldStep[TransferState],
) -> None:
    shop = open_shop(factory)
    entity_id, wh, item_id, _ = shop.ids
    store = shop.store.id
    receive_stock(engine, item_id, wh, "20", "5.00", today() - timedelta(days=2), f"rws{entity_id}:open")
    clerk = bearer(shop.warehouse_clerk[1])
    created = api.post(
        "/transfers",
        json={
            "entity_id": entity_id,
            "from_location_id": wh,
            "to_location_id": store,
            "lines": [{"item_id": item_id, "qty": "8"}],
        },
        headers=clerk,
    )
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    held_shipment.number = number

    settings = get_settings()
    before = settings.update_timeout_seconds
    settings.update_timeout_seconds = 0.5  # the shipment is answered 202 while its activity is held
    try:
        shipped = _until(
            lambda: (
                (a := api.post(f"/transfers/{number}/ship", json={}, headers=clerk)).status_code != 404 and a
            ),
            f"transfer {number} shipped",
        )
    finally:
        settings.update_timeout_seconds = before
    assert shipped.status_code == 202, shipped.text
    assert held_shipment.committed.wait(30), "the ship activity never ran"
    assert (
        rows(engine, "SELECT status FROM transfer_order WHERE number = :n", n=number)[0]["status"]
        == "shipped"
    )

    threading.Timer(0.5, held_shipment.release.set).start()
    received = api.post(f"/transfers/{number}/receive", json={}, headers=clerk)
    assert received.status_code in (200, 202), received.text
    if received.status_code == 202:
        url = received.json()["command_url"]
        outcome = _until(lambda: (c := api.get(url, headers=clerk).json())["status"] != "pending" and c, url)
        assert outcome["status"] == "applied", outcome
    on_store = rows(
        engine,
        "SELECT on_hand FROM stock_balance WHERE item_id = :i AND location_id = :l",
        i=item_id,
        l=store,
    )
    assert on_store[0]["on_hand"] == D(8)
    assert (
        rows(engine, "SELECT status FROM transfer_order WHERE number = :n", n=number)[0]["status"]
        == "received"
    )
