"""An operator presses "Request Cancellation" in the Temporal Web UI: a PO waiting for approval leaves the
approver's inbox and is cancelled in PostgreSQL; a partly received PO cancels its remainder (inbound
released) and keeps what arrived. The workflows end as Canceled, the database agrees."""

from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.conftest import scalar
from tests.factories import Factory
from tests.histories import save, should_record
from tests.purchasing.buyer_desk import (
    Desk,
    bearer,
    decide,
    open_desk,
    po_body,
    stock_balance,
    wait_stage,
    wait_task,
)

D = Decimal
HISTORY = Path(__file__).parent / "histories" / "purchase_order_cancelled_from_temporal.json"


async def _cancel_from_temporal(env: WorkflowEnvironment, workflow_id: str) -> WorkflowHandle[object, object]:
    """What the Web UI's button does, then wait for the workflow to end."""
    handle: WorkflowHandle[object, object] = env.client.get_workflow_handle(workflow_id)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as ended:
        await handle.result()
    assert isinstance(ended.value.cause, CancelledError)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    return handle


def _create(api: TestClient, desk: Desk, qty: str) -> tuple[str, str]:
    created = api.post("/purchase-orders", json=po_body(desk, qty), headers=bearer(desk.token("buyer")))
    assert created.status_code in (200, 201, 202), created.text
    number = str(created.json()["number"])
    return number, f"PO-{number}"


async def test_cancel_from_temporal_in_approval_and_after_a_partial_receipt(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    assert desk.item.id and desk.warehouse.id
    approver = bearer(desk.token("approver"))

    # In approval: the task is in the approver's inbox until Temporal cancels the workflow.
    waiting, _ = _create(api, desk, "4")
    task = wait_task(engine, waiting, "po_approval")
    assert task["id"] in {t["id"] for t in api.get("/tasks", headers=approver).json()}
    await _cancel_from_temporal(
        temporal_dev,
        str(scalar(engine, "SELECT workflow_id FROM purchase_order WHERE number = :n", n=waiting)),
    )
    assert task["id"] not in {t["id"] for t in api.get("/tasks", headers=approver).json()}
    po = api.get(f"/purchase-orders/{waiting}", headers=bearer(desk.token("buyer"))).json()
    assert po["stage"] == "cancelled"
    assert scalar(engine, "SELECT status FROM task WHERE id = :t", t=task["id"]) == "cancelled"
    assert (
        scalar(
            engine,
            "SELECT actor FROM audit_event WHERE subject_id = :n AND action = 'po.cancelled_from_temporal'",
            n=waiting,
        )
        == "temporal"
    )
    late = decide(api, desk.token("approver"), task["id"], "approve", revision=1)
    assert late.status_code == 409, late.text

    # Issued, 3 of 8 received: the remainder is cancelled, inbound released, the 3 stay on hand.
    partial, _ = _create(api, desk, "8")
    task = wait_task(engine, partial, "po_approval")
    assert decide(api, desk.token("approver"), task["id"], "approve", revision=1).status_code == 200
    wait_stage(engine, partial, "issued")
    received = api.post(
        f"/purchase-orders/{partial}/receipts",
        headers=bearer(desk.token("receiver")),
        json={"delivery_note": f"DN-{partial}", "lines": [{"line_no": 1, "qty": "3"}]},
    )
    assert received.status_code == 200, received.text
    assert stock_balance(engine, desk.item.id, desk.warehouse.id)[:2] == (D(3), D(5))
    handle = await _cancel_from_temporal(
        temporal_dev,
        str(scalar(engine, "SELECT workflow_id FROM purchase_order WHERE number = :n", n=partial)),
    )
    if should_record(HISTORY):
        save(await handle.fetch_history(), HISTORY)
    po = api.get(f"/purchase-orders/{partial}", headers=bearer(desk.token("buyer"))).json()
    assert po["stage"] == "cancelled"
    assert (D(po["lines"][0]["received_qty"]), D(po["lines"][0]["cancelled_qty"])) == (D(3), D(5))
    assert stock_balance(engine, desk.item.id, desk.warehouse.id)[:2] == (D(3), D(0))
