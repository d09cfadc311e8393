"""The database refuses to issue an approved PO (a rule the DBA added that this PO breaks). Instead of retrying
for ever, the PO stops in stage needs_attention: the admin finds the task in the inbox and on the radar, naming
the failed step and the constraint; Temporal shows the workflow running with nothing retrying. Once the cause is
fixed, the admin's "retry" issues the PO and it carries on as if nothing had happened."""

import asyncio
import re
from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from models.contracts.purchasing import PoStatus
from tests.factories import Factory
from tests.purchasing.buyer_desk import (
    bearer,
    decide,
    open_desk,
    po_body,
    stage,
    stock_balance,
    wait_stage,
    wait_task,
)
from workflows import search_attributes as sa
from workflows.purchasing.purchase_order import PurchaseOrderWorkflow

D = Decimal


async def _reached(handle: WorkflowHandle[PurchaseOrderWorkflow, str], wanted: str) -> PoStatus:
    """Poll the workflow's status until it shows a stage."""
    for _ in range(600):
        status = await handle.query(PurchaseOrderWorkflow.status)
        if status.stage == wanted:
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"the workflow never reached {wanted}")


async def _parked_on(handle: WorkflowHandle[PurchaseOrderWorkflow, str], task_id: int) -> PoStatus:
    """Poll the workflow until it holds the needs-attention task (the row commits before the activity returns)."""
    for _ in range(600):
        status = await handle.query(PurchaseOrderWorkflow.status)
        if any(t.task_id == task_id for t in status.open_tasks):
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"the workflow never took task {task_id}")


async def test_a_constraint_error_parks_the_po_until_an_admin_retries(
    api: TestClient,
    erp_worker: Worker,
    temporal_dev: WorkflowEnvironment,
    engine: Engine,
    owner_engine: Engine,
    factory: Factory,
) -> None:
    desk = open_desk(factory, price="10.00")
    _, admin = factory.user("admin", entities=(desk.entity,))
    created = api.post("/purchase-orders", json=po_body(desk, "10"), headers=bearer(desk.token("buyer")))
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    approval = wait_task(engine, number, "po_approval")

    # Only this PO breaks the rule, so nothing else in the database notices it.
    hold = f"hold_{re.sub(r'[^a-z0-9]', '_', number.lower())}"
    with owner_engine.begin() as c:
        c.execute(
            text(
                f"ALTER TABLE purchase_order ADD CONSTRAINT {hold}"
                f" CHECK (number <> '{number}' OR stage <> 'issued') NOT VALID"
            )
        )
    try:
        approved = decide(api, desk.token("approver"), approval["id"], "approve", revision=1)
        assert approved.status_code == 200, approved.text

        stuck = wait_task(engine, number, "needs_attention")
        assert wait_stage(engine, number, "needs_attention")
        inbox = api.get("/tasks", headers=bearer(admin)).json()
        [task] = [t for t in inbox if t["id"] == stuck["id"]]
        assert task["candidate_role"] == "admin" and task["options"] == ["retry"]
        assert task["title"].startswith(
            f"PO {number} needs attention: step PurchasingActivities.issue failed"
        )
        assert f'violates check constraint "{hold}"' in task["title"]
        assert (
            task["details"]["step"] == "PurchasingActivities.issue"
            and "SQLSTATE 23514" in task["details"]["error"]
        )

        handle = temporal_dev.client.get_workflow_handle_for(PurchaseOrderWorkflow.run, f"PO-{number}")
        status = await _parked_on(handle, stuck["id"])
        assert (status.stage, status.pending_on) == ("needs_attention", "admin")
        described = await handle.describe()
        assert described.status == WorkflowExecutionStatus.RUNNING
        assert described.typed_search_attributes.get(sa.STAGE) == "needs_attention"
        # A data error fails for good on its first attempt: nothing is retrying in the background.
        assert list(described.raw_description.pending_activities) == []

        radar = api.get(
            f"/foresight/radar?entity_id={desk.entity.id}&as_of={date.today()}", headers=bearer(admin)
        ).json()
        [attention] = [c for c in radar["categories"] if c["category"] == "needs_attention"]
        assert [(r["type"], r["id"]) for r in attention["records"]] == [("purchase_order", number)]

        # Another person cannot decide it, and "retry" is the only option.
        assert decide(api, desk.token("buyer"), stuck["id"], "retry").status_code in (403, 404)
        assert decide(api, admin, stuck["id"], "cancel").status_code == 422
    finally:
        with owner_engine.begin() as c:
            c.execute(text(f"ALTER TABLE purchase_order DROP CONSTRAINT IF EXISTS {hold}"))

    retried = decide(api, admin, stuck["id"], "retry", comment="constraint relaxed")
    assert retried.status_code == 200, retried.text
    wait_stage(engine, number, "issued")
    assert stage(engine, number) == "issued"
    assert stock_balance(engine, desk.item.id or 0, desk.warehouse.id or 0)[:2] == (D(0), D(10))
    status = await _reached(handle, "issued")
    assert status.open_tasks == [] and stage(engine, number) == "issued"
    # The workflow knows "issued" before its row and ErpStage are written (so a receipt is never refused in
    # between); the search attribute follows once the stage is recorded.
    for _ in range(200):
        if (await handle.describe()).typed_search_attributes.get(sa.STAGE) == "issued":
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("ErpStage never showed issued")
    with engine.connect() as c:
        decided = c.execute(text("SELECT status, decision FROM task WHERE id = :i"), {"i": stuck["id"]}).one()
        actions = (
            c.execute(text("SELECT action FROM audit_event WHERE subject_id = :n ORDER BY id"), {"n": number})
            .scalars()
            .all()
        )
    assert tuple(decided) == ("decided", "retry")
    assert "po.stage.needs_attention" in actions and "po.issued" in actions
