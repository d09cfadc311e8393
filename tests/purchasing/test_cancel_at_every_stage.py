"""The buyer cancels POs through the API wherever that makes business sense: waiting for approval (the task
leaves the approver's inbox), sent back for changes (the buyer's reason is kept, it is not a withdrawal),
and is told 409 once everything has been received (nothing is left to cancel)."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.conftest import scalar
from tests.factories import Factory
from tests.purchasing.buyer_desk import Desk, bearer, decide, open_desk, po_body, wait_stage, wait_task


def _create(api: TestClient, desk: Desk, qty: str) -> str:
    created = api.post("/purchase-orders", json=po_body(desk, qty), headers=bearer(desk.token("buyer")))
    assert created.status_code in (200, 201, 202), created.text
    return str(created.json()["number"])


def _cancel(api: TestClient, desk: Desk, number: str, reason: str) -> Any:
    return api.post(
        f"/purchase-orders/{number}/cancel", headers=bearer(desk.token("buyer")), json={"reason": reason}
    )


def _closing_reason(engine: Engine, number: str) -> object:
    return scalar(
        engine,
        "SELECT after->>'reason' FROM audit_event WHERE idempotency_key = :k",
        k=f"po:{number}:cancelled",
    )


def test_cancel_in_approval_in_revision_and_refused_when_all_received(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    approver = bearer(desk.token("approver"))

    in_approval = _create(api, desk, "4")
    task = wait_task(engine, in_approval, "po_approval")
    assert _cancel(api, desk, in_approval, "budget frozen").status_code == 200
    wait_stage(engine, in_approval, "cancelled")
    assert task["id"] not in {t["id"] for t in api.get("/tasks", headers=approver).json()}
    assert _closing_reason(engine, in_approval) == "budget frozen"

    in_revision = _create(api, desk, "5")
    task = wait_task(engine, in_revision, "po_approval")
    assert decide(api, desk.token("approver"), task["id"], "request_changes", revision=1).status_code == 200
    revise = wait_task(engine, in_revision, "po_revision")
    wait_stage(engine, in_revision, "draft")
    assert _cancel(api, desk, in_revision, "bought elsewhere").status_code == 200
    wait_stage(engine, in_revision, "cancelled")
    assert scalar(engine, "SELECT status FROM task WHERE id = :t", t=revise["id"]) == "cancelled"
    assert _closing_reason(engine, in_revision) == "bought elsewhere"

    received = _create(api, desk, "2")
    task = wait_task(engine, received, "po_approval")
    assert decide(api, desk.token("approver"), task["id"], "approve", revision=1).status_code == 200
    wait_stage(engine, received, "issued")
    done = api.post(
        f"/purchase-orders/{received}/receipts",
        headers=bearer(desk.token("receiver")),
        json={"delivery_note": f"DN-{received}", "lines": [{"line_no": 1, "qty": "2"}]},
    )
    assert done.status_code == 200, done.text
    refused = _cancel(api, desk, received, "too late")
    assert refused.status_code == 409 and "nothing left to cancel" in refused.text
