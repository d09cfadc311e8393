"""An admin acknowledges a reconciliation case the moment it shows in the inbox. The task's row is written
by the workflow's open-task step, and here the worker is slow to hand that step's result back to the
workflow (3 s), so the workflow does not know the task yet when the decision arrives. The decision is not
refused as "decided or cancelled": it waits for the task and is applied, once. (Before, the answer was
409 and the same decision sent again kept that answer; CI saw it on the close's sign-off and on payment
runs, whenever a test decided as fast as it could.)"""

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
)

from activities.registry import build_activities
from erp.sandbox_runner import GuardedSandboxRunner
from models.contracts.reconcile import CaseInput, Finding, OpenDocument, RepairOutcome
from tests.factories import Factory
from workflows.operations.reconcile_case import ReconciliationCaseWorkflow, case_workflow_id
from workflows.registry import WORKFLOWS

HAND_BACK_DELAY_S = 3.0


class _SlowHandBack(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, opened: asyncio.Event) -> None:
        super().__init__(next)
        self.opened = opened

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await self.next.execute_activity(input)
        if getattr(input.fn, "__name__", "") == "open_task":
            self.opened.set()  # the row is committed: the inbox shows the task from now on
            await asyncio.sleep(HAND_BACK_DELAY_S)
        return result


class SlowTaskHandBack(Interceptor):
    """Hands an opened task's id back to its workflow only after a delay."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _SlowHandBack(next, self.opened)


async def test_a_decision_on_a_task_the_workflow_has_not_read_back_is_applied_once(
    api: TestClient, temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    admin, token = factory.user("admin", entities=(entity,))
    number = f"PO-{uuid.uuid4().hex[:8]}"
    case = CaseInput(
        outcome=RepairOutcome(
            finding=Finding(
                document=OpenDocument(
                    doc_type="purchase_order",
                    number=number,
                    workflow_id=f"PO-{number}",
                    entity_id=entity.id,
                    stage="issued",
                ),
                workflow_status="TERMINATED",
            ),
            done=[],
            left="the supplier confirmation is unknown",
        )
    )
    queue = f"tq-{uuid.uuid4().hex[:8]}"
    slow = SlowTaskHandBack()
    client = temporal_dev.client
    async with Worker(
        client,
        task_queue=queue,
        workflows=list(WORKFLOWS),
        activities=build_activities(engine, client),
        activity_executor=ThreadPoolExecutor(max_workers=4),
        workflow_runner=GuardedSandboxRunner(),
        interceptors=[slow],
    ):
        handle = await client.start_workflow(
            ReconciliationCaseWorkflow.run,
            case,
            id=case_workflow_id("purchase_order", number),
            task_queue=queue,
        )
        await asyncio.wait_for(slow.opened.wait(), 30)
        with engine.connect() as c:
            task_id = c.execute(
                text("SELECT id FROM task WHERE workflow_id = :w AND status = 'open'"), {"w": handle.id}
            ).scalar_one()

        # The admin decides at once, through the API, while the workflow still waits for its task's id.
        started = time.monotonic()
        answer = await asyncio.to_thread(
            api.post,
            f"/tasks/{task_id}/decision",
            json={"decision": "acknowledge"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert time.monotonic() - started < HAND_BACK_DELAY_S + 5
        assert answer.status_code == 200, answer.text
        assert answer.json()["decided_by"] == admin.username
        assert await handle.result() == admin.username

    with engine.connect() as c:
        status, decided_by = c.execute(
            text("SELECT status, decided_by FROM task WHERE id = :t"), {"t": task_id}
        ).one()
    assert (status, decided_by) == ("decided", admin.username)
