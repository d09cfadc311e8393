"""Helpers for close tests: start a close, wait for sign-off, decide as the controller, read the checklist."""

from collections.abc import Awaitable
from typing import Any

from sqlalchemy import Engine, text
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from models.contracts.close import CloseInput, SignOffView, SignOffWait
from models.contracts.tasks import DecisionRequest, DecisionResult
from workflows.close.month_end import MonthEndCloseWorkflow, close_workflow_id

CONTROLLER = "carla.controller"


async def start_close(
    client: Client, entity_code: str, period: str, task_queue: str
) -> WorkflowHandle[Any, Any]:
    """Start the close of a period by hand, as the API does."""
    return await client.start_workflow(
        MonthEndCloseWorkflow.run,
        CloseInput(entity_code=entity_code, period=period, trigger="manual", requested_by=CONTROLLER),
        id=close_workflow_id(entity_code, period),
        task_queue=task_queue,
    )


async def at_sign_off(handle: WorkflowHandle[Any, Any], round_no: int = 1) -> SignOffView:
    """Wait until the close waits for the controller in the given round."""
    view: SignOffView = await handle.execute_update(
        MonthEndCloseWorkflow.sign_off_ready, SignOffWait(round=round_no)
    )
    return view


async def decide(
    handle: WorkflowHandle[Any, Any], task_id: int, decision: str, comment: str | None = None
) -> DecisionResult:
    """The controller's decision on a close task."""
    result: DecisionResult = await handle.execute_update(
        MonthEndCloseWorkflow.decide,
        DecisionRequest(
            task_id=task_id, decision=decision, actor=CONTROLLER, actor_roles=["controller"], comment=comment
        ),
        id=f"task-{task_id}-{decision}",
    )
    return result


def checklist(engine: Engine, entity_id: int, period: str) -> list[tuple[int, int, str, str]]:
    """(round, seq, step, outcome) of every checklist line of the period's close."""
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT s.round, s.seq, s.step, s.outcome FROM close_step s JOIN close_run r ON r.id = s.run_id"
                " WHERE r.entity_id = :e AND r.period = :p AND s.finished_at >= s.started_at"
                " ORDER BY s.round, s.seq"
            ),
            {"e": entity_id, "p": period},
        ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def count(engine: Engine, sql: str, **params: object) -> int:
    """A count from the test database."""
    with engine.connect() as c:
        return int(c.execute(text(sql), params).scalar_one())


async def refusal(pending: Awaitable[Any]) -> str:
    """The workflow's reason for refusing an update (its validator's message)."""
    try:
        await pending
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        return cause.message if isinstance(cause, ApplicationError) else str(cause)
    raise AssertionError("the update was accepted")
