"""A flash sale saturates the API: once a process has its share of intakes waiting for their workflows
(ERP_INTAKE_WAITERS), the next orders are stored and answered 202 at once, each naming its order and its
command; the relay beside the worker starts them, every order reserves its stock, and the command says
"applied". The same order sent again while it is queued is the same command: it starts once."""

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.worker import Worker

from erp.settings import get_settings
from tests.factories import Factory
from tests.sales.shop import add_item, balance, bearer, follow_command, open_shop, order_body, receive

D = Decimal


@pytest.fixture()
def saturated_api() -> Iterator[None]:
    """No intake may wait in this API process: every order is queued."""
    settings = get_settings()
    before = settings.intake_waiters
    settings.intake_waiters = 0
    yield
    settings.intake_waiters = before


def test_a_saturated_api_queues_orders_durably_and_names_each_one(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory, saturated_api: None
) -> None:
    shop = open_shop(factory)
    tee = add_item(factory, shop, "tee", "20.00")
    receive(engine, tee, shop.wh1, "10", "8.00")
    bodies = [order_body(shop, shop.web, [{"sku": tee.sku, "qty": "2"}]) for _ in range(3)]
    answers = [api.post("/orders", json=b, headers=bearer(shop.sales)) for b in bodies]
    for body, answer in zip(bodies, answers, strict=True):
        assert answer.status_code == 202, answer.text
        named = answer.json()
        assert named["order_number"] == f"{shop.web.code}-{body['external_id']}"
        assert named["status"] == "pending" and named["stage"] == "received"
        assert answer.headers["Location"] == named["command_url"]

    # Sent again while queued: the same command, not a second order.
    again = api.post("/orders", json=bodies[0], headers=bearer(shop.sales))
    assert again.status_code == 202 and again.json()["command_id"] == answers[0].json()["command_id"]

    for answer in answers:
        outcome = follow_command(api, answer.json()["command_url"], shop.sales)
        assert outcome["status"] == "applied" and outcome["http_status"] == 201, outcome
    with engine.connect() as c:
        # The relay delivered them (the API only stored them): each was claimed at least once.
        attempts = c.execute(
            text("SELECT min(attempts), count(*) FROM api_command WHERE id = ANY(:ids)"),
            {"ids": [a.json()["command_id"] for a in answers]},
        ).one()
    assert attempts[0] >= 1 and attempts[1] == 3

    for answer in answers:
        number = answer.json()["order_number"]
        for _ in range(300):
            order = api.get(f"/orders/{number}", headers=bearer(shop.sales))
            if order.status_code == 200 and order.json()["status"] != "received":
                break
            time.sleep(0.1)
        assert order.status_code == 200 and order.json()["status"] == "allocated", order.text
    assert balance(engine, tee, shop.wh1) == (D(10), D(6))
