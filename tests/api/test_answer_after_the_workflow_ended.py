"""Some commands leave their workflow nothing to wait for: a sale at the store counter ships and posts at once,
and a payment run with nothing due ends as soon as it has looked. On a busy API process the workflow can end
before the API reads its first answer. The command was applied, so the answer must still be 201 with what
happened, never 409 "the workflow has ended" (a till or a clerk would take that as refused and try again)."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from api import workflow_calls
from tests.factories import Factory
from tests.payments.bank import HOUSE_BANK
from tests.purchasing.buyer_desk import open_desk
from tests.sales.shop import account_totals, add_item, bearer, open_shop, order_body, receive

D = Decimal


@pytest.fixture
def late_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API reads each first answer only after the workflow has ended (what a busy API process does)."""
    real_read = workflow_calls.read_update

    async def read_late(handle: Any, update: Any, **kw: Any) -> Any:
        await handle.result()
        return await real_read(handle, update, **kw)

    monkeypatch.setattr(workflow_calls, "read_update", read_late)


def test_a_counter_sale_that_ended_before_its_answer_is_read_answers_201(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory, late_reader: None
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
    assert sold.json()["stage"] == "closed" and sold.json()["created"] is True
    assert account_totals(engine, sold.json()["order_number"])["payment_clearing"] == D(
        "13.20"
    )  # posted once


def test_an_empty_payment_run_that_ended_before_its_answer_is_read_answers_201(
    api: TestClient, erp_worker: Worker, factory: Factory, late_reader: None
) -> None:
    desk = open_desk(factory)
    entity = desk.entity.id
    ctl = bearer(desk.token("controller"))
    settings = api.put(
        f"/payment-settings/{entity}", json={**HOUSE_BANK, "uses_payment_runs": True}, headers=ctl
    )
    assert settings.status_code == 200, settings.text
    body = {"entity_id": entity, "run_date": date.today().isoformat()}
    started = api.post("/payment-runs", json=body, headers=bearer(desk.token("clerk")))
    assert started.status_code == 201, started.text
    assert started.json()["stage"] == "empty" and started.json()["proposed"] == 0
    again = api.post("/payment-runs", json=body, headers=bearer(desk.token("clerk")))
    assert again.status_code == 200 and again.json()["run_id"] == started.json()["run_id"], again.text
