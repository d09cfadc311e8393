"""A trusted customer is refunded as soon as the return is approved, but the database refuses the credit note
(a rule this customer's credit notes break). The return does not retry for ever: it answers at once with stage
needs_attention and an admin task naming the refund step and the constraint. The admin fixes the cause and
decides "retry": the customer is refunded and the return waits for the goods as usual."""

import time
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from services.returns.policy import set_customer_policy
from tests.factories import Factory
from tests.returns.desk import count, open_desk, raise_return, ship_through_api
from tests.sales.shop import add_item, bearer, receive
from workflows import search_attributes as sa

D = Decimal


def _eventually(probe: Any, what: str) -> Any:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _row(engine: Engine, sql: str, **params: object) -> Any:
    with engine.connect() as c:
        return c.execute(text(sql), params).mappings().first()


async def test_a_refused_credit_note_waits_for_an_admin_then_refunds(
    api: TestClient,
    erp_worker: Worker,
    temporal_dev: WorkflowEnvironment,
    engine: Engine,
    owner_engine: Engine,
    factory: Factory,
) -> None:
    desk = open_desk(factory)
    shop = desk.shop
    _, admin = factory.user("admin", entities=(shop.entity,))
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "3", "12.00")
    number = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}])
    with Session(engine) as s:
        set_customer_policy(s, shop.customer.id or 0, True, "controller")
        s.commit()

    customer = shop.customer.id or 0
    hold = f"hold_credit_note_c{customer}"
    with owner_engine.begin() as c:
        c.execute(
            text(f"ALTER TABLE credit_note ADD CONSTRAINT {hold} CHECK (customer_id <> {customer}) NOT VALID")
        )
    try:
        raised = raise_return(
            api, shop.sales, number, [{"line_no": 1, "qty": "1", "reason_code": "defective"}]
        )
        assert raised.status_code == 201, raised.text
        rma = raised.json()["rma_number"]
        assert raised.json()["stage"] == "needs_attention" and raised.json()["pending_on"] == "admin"

        task = _eventually(
            lambda: _row(
                engine,
                "SELECT id, title, candidate_role, options, details FROM task"
                " WHERE subject_id = :r AND kind = 'needs_attention' AND status = 'open'",
                r=rma,
            ),
            "the needs-attention task",
        )
        assert task["candidate_role"] == "admin" and task["options"] == ["retry"]
        assert task["title"].startswith(f"Return {rma} needs attention: step ReturnsActivities.refund failed")
        assert hold in task["title"]
        assert [t["id"] for t in api.get("/tasks", headers=bearer(admin)).json()] == [task["id"]]
        _eventually(
            lambda: _row(engine, "SELECT 1 FROM return_authorisation WHERE rma_number = :r AND stage = :s",
                         r=rma, s="needs_attention"),
            "stage needs_attention on the return row",
        )  # fmt: skip
        assert count(engine, "SELECT count(*) FROM credit_note WHERE number = :n", n=f"CN-{rma}") == 0

        handle = temporal_dev.client.get_workflow_handle(f"Return-{rma}")
        described = await handle.describe()
        assert described.status == WorkflowExecutionStatus.RUNNING
        assert described.typed_search_attributes.get(sa.STAGE) == "needs_attention"
    finally:
        with owner_engine.begin() as c:
            c.execute(text(f"ALTER TABLE credit_note DROP CONSTRAINT IF EXISTS {hold}"))

    retried = api.post(f"/tasks/{task['id']}/decision", json={"decision": "retry"}, headers=bearer(admin))
    assert retried.status_code == 200, retried.text
    _eventually(
        lambda: _row(engine, "SELECT 1 FROM return_authorisation WHERE rma_number = :r AND stage = :s",
                     r=rma, s="awaiting_goods"),
        "the return waiting for its goods",
    )  # fmt: skip
    detail = api.get(f"/returns/{rma}", headers=bearer(shop.sales)).json()
    assert detail["stage"] == "awaiting_goods" and D(detail["refunded"]) == D("35.70")
    assert detail["credit_note"]["number"] == f"CN-{rma}"
    assert api.get("/tasks", headers=bearer(admin)).json() == []
