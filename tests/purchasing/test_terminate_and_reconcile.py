"""An operator terminates PO workflows (terminate runs no workflow code). The approver's inbox still shows
the task, and deciding it answers 409. The reconciliation then repairs what is safe: the PO in approval
and the issued PO with nothing received end cancelled (inbound released), their tasks closed. The partly
received PO is handed to an admin as a `reconciliation` task; the admin acknowledges it, and a second run
changes nothing (idempotent)."""

from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from erp.settings import get_settings
from models.contracts.reconcile import ReconcileInput, ReconcileResult
from tests.conftest import scalar
from tests.factories import Factory
from tests.histories import save, should_record
from tests.purchasing.buyer_desk import (
    Desk,
    bearer,
    decide,
    open_desk,
    open_task,
    po_body,
    stock_balance,
    wait_stage,
    wait_task,
)
from workflows.operations.reconcile import ReconciliationWorkflow

D = Decimal
RUN_HISTORY = Path(__file__).parent / "histories" / "reconciliation_run.json"
CASE_HISTORY = Path(__file__).parent / "histories" / "reconciliation_case_acknowledged.json"


def _create(api: TestClient, desk: Desk, qty: str) -> str:
    created = api.post("/purchase-orders", json=po_body(desk, qty), headers=bearer(desk.token("buyer")))
    assert created.status_code in (200, 201, 202), created.text
    return str(created.json()["number"])


def _issue(api: TestClient, engine: Engine, desk: Desk, qty: str) -> str:
    number = _create(api, desk, qty)
    task = wait_task(engine, number, "po_approval")
    assert decide(api, desk.token("approver"), task["id"], "approve", revision=1).status_code == 200
    wait_stage(engine, number, "issued")
    return number


async def _terminate(env: WorkflowEnvironment, number: str) -> None:
    await env.client.get_workflow_handle(f"PO-{number}").terminate(reason="operator test")


async def _reconcile(env: WorkflowEnvironment, desk: Desk, run: int) -> ReconcileResult:
    return await env.client.execute_workflow(
        ReconciliationWorkflow.run,
        ReconcileInput(entity_code=desk.entity.code, trigger="manual"),
        id=f"Reconcile-{desk.entity.code}-test-{run}",
        task_queue=get_settings().task_queue,
    )


async def test_terminated_pos_are_repaired_or_handed_to_an_admin(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    assert desk.item.id and desk.warehouse.id
    _, admin_token = factory.user("admin", entities=(desk.entity,))
    admin, approver = bearer(admin_token), bearer(desk.token("approver"))

    in_approval = _create(api, desk, "4")
    approval = wait_task(engine, in_approval, "po_approval")
    untouched = _issue(api, engine, desk, "6")
    partial = _issue(api, engine, desk, "8")
    received = api.post(
        f"/purchase-orders/{partial}/receipts",
        headers=bearer(desk.token("receiver")),
        json={"delivery_note": f"DN-{partial}", "lines": [{"line_no": 1, "qty": "3"}]},
    )
    assert received.status_code == 200, received.text
    assert stock_balance(engine, desk.item.id, desk.warehouse.id)[:2] == (D(3), D(11))
    for number in (in_approval, untouched, partial):
        await _terminate(temporal_dev, number)

    # Before the reconciliation: the task is still listed, and deciding it is a clear conflict, not a 500.
    assert approval["id"] in {t["id"] for t in api.get("/tasks", headers=approver).json()}
    late = decide(api, desk.token("approver"), approval["id"], "approve", revision=1)
    assert late.status_code == 409, late.text
    assert "has ended" in late.text and "reconciliation" in late.text

    first = await _reconcile(temporal_dev, desk, 1)
    assert (first.ended_workflows, first.repaired, first.cases_opened) == (3, 2, 1)
    assert approval["id"] not in {t["id"] for t in api.get("/tasks", headers=approver).json()}
    assert scalar(engine, "SELECT status FROM task WHERE id = :t", t=approval["id"]) == "cancelled"
    buyer = bearer(desk.token("buyer"))
    assert api.get(f"/purchase-orders/{in_approval}", headers=buyer).json()["stage"] == "cancelled"
    assert api.get(f"/purchase-orders/{untouched}", headers=buyer).json()["stage"] == "cancelled"
    # 6 of the untouched PO are no longer inbound; the partly received PO still expects its 5.
    assert stock_balance(engine, desk.item.id, desk.warehouse.id)[:2] == (D(3), D(5))

    # The partly received PO waits for an admin's decision in the inbox.
    assert api.get(f"/purchase-orders/{partial}", headers=buyer).json()["stage"] == "receiving"
    case = wait_task(engine, partial, "reconciliation")
    listed = {t["id"]: t for t in api.get("/tasks", headers=admin).json()}
    assert listed[case["id"]]["candidate_role"] == "admin"
    assert "3" in str(case["details"]["not_repaired"]) and "ended" in str(case["details"]["not_repaired"])
    assert (
        api.post(
            f"/tasks/{case['id']}/decision", json={"decision": "acknowledge"}, headers=approver
        ).status_code
        == 403
    )
    acknowledged = api.post(
        f"/tasks/{case['id']}/decision",
        json={"decision": "acknowledge", "comment": "remainder to be bought elsewhere"},
        headers=admin,
    )
    assert acknowledged.status_code == 200, acknowledged.text
    assert open_task(engine, partial, "reconciliation") is None
    case_handle = temporal_dev.client.get_workflow_handle(f"ReconcileCase-purchase_order-{partial}")
    assert await case_handle.result() is not None
    if should_record(CASE_HISTORY):
        save(await case_handle.fetch_history(), CASE_HISTORY)
    if should_record(RUN_HISTORY):
        run = temporal_dev.client.get_workflow_handle(f"Reconcile-{desk.entity.code}-test-1")
        save(await run.fetch_history(), RUN_HISTORY)

    # Idempotent: nothing new is repaired or opened, the acknowledged case is not reopened.
    second = await _reconcile(temporal_dev, desk, 2)
    assert (second.ended_workflows, second.repaired, second.cases_opened) == (1, 0, 0)
    assert open_task(engine, partial, "reconciliation") is None
