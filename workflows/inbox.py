"""Workflow-side task inbox: which tasks are open, who may decide them, and closing a decided one."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.exceptions import ApplicationError

from activities.tasks import TaskActivities
from models.contracts.errors import CONFLICT, FORBIDDEN, INVALID
from models.contracts.tasks import DecisionRequest, DecisionResult, TaskClose

A = TypeVar("A")
R = TypeVar("R")


class Act(Protocol):
    """A workflow's own way to run an activity (e.g. guarded by its attention task)."""

    def __call__(self, fn: Callable[[Any, A], R], arg: A, /) -> Awaitable[R]: ...


@dataclass
class OpenTask:
    """A task this workflow waits on, as the workflow remembers it."""

    task_id: int
    kind: str
    options: list[str]
    candidate_role: str | None = None
    candidate_user: str | None = None
    requested_by: str | None = None
    revision: int | None = None
    escalation_level: int = 0


# How long a decision waits for a task the inbox already shows but whose opening this workflow has not read
# back yet (the open activity committed; its result is still on its way, or in the same activation).
ARRIVAL_WAIT = timedelta(seconds=30)


@dataclass
class TaskBook:
    """The open tasks of one workflow execution, by task id (and the ids it has closed)."""

    tasks: dict[int, OpenTask] = field(default_factory=dict)
    closed: set[int] = field(default_factory=set)

    def add(self, task: OpenTask) -> None:
        """Remember an opened task."""
        self.tasks[task.task_id] = task
        self.closed.discard(task.task_id)

    def pop(self, task_id: int) -> OpenTask | None:
        """Forget a task once decided or cancelled."""
        self.closed.add(task_id)
        return self.tasks.pop(task_id, None)

    def not_yet_seen(self, task_id: int) -> bool:
        """A task this workflow neither holds nor closed: possibly one whose opening it has not read back yet."""
        return task_id not in self.tasks and task_id not in self.closed

    async def seen(self, task_id: int) -> None:
        """Wait (bounded) until a task the inbox shows is in the book; no wait, and no timer, when it is."""
        if self.not_yet_seen(task_id):
            with contextlib.suppress(asyncio.TimeoutError):
                await workflow.wait_condition(lambda: not self.not_yet_seen(task_id), timeout=ARRIVAL_WAIT)

    def of_kind(self, kind: str) -> list[OpenTask]:
        """Open tasks of one kind."""
        return [t for t in self.tasks.values() if t.kind == kind]

    def authorize(self, req: DecisionRequest) -> tuple[OpenTask, str | None]:
        """The task and whom the actor acts for; raises a non-retryable refusal otherwise."""
        task = self.tasks.get(req.task_id)
        if task is None:
            raise refusal(CONFLICT, f"task {req.task_id} is not open on this document (decided or cancelled)")
        if req.decision not in task.options:
            raise refusal(INVALID, f"decision must be one of {task.options}, not {req.decision!r}")
        if task.revision is not None and req.revision is not None and req.revision != task.revision:
            raise refusal(
                CONFLICT, f"the document is at revision {task.revision}, not {req.revision}: reload it"
            )
        if _may_act(task, req.actor, req.actor_roles):
            return task, None
        for d in req.delegators:
            if _may_act(task, d.username, d.roles):
                return task, d.username
        who = task.candidate_user or f"role {task.candidate_role}"
        raise refusal(FORBIDDEN, f"{req.actor} may not decide this task: it waits on {who}")


async def close_decided(
    book: TaskBook,
    task: OpenTask,
    req: DecisionRequest,
    acting_for: str | None,
    *,
    act: Act | None = None,
    **options: Any,
) -> None:
    """Forget a decided task and close it in the inbox: through `act`, else as an activity with `options`."""
    book.pop(task.task_id)
    close = TaskClose(
        task_id=task.task_id,
        status="decided",
        decision=req.decision,
        decided_by=req.actor,
        acting_for=acting_for,
        comment=req.comment,
    )
    if act is not None:
        await act(TaskActivities.close_task, close)
    else:
        await workflow.execute_activity_method(TaskActivities.close_task, close, **options)


def decided(task: OpenTask, req: DecisionRequest, acting_for: str | None, stage: str) -> DecisionResult:
    """The answer of the `decide` update: the task decided, by whom and for whom, and the stage it left."""
    return DecisionResult(
        task_id=task.task_id,
        decision=req.decision,
        decided_by=req.actor,
        acting_for=acting_for,
        stage=stage,
    )


def _may_act(task: OpenTask, username: str, roles: list[str]) -> bool:
    if task.candidate_user is not None and task.candidate_user == username:
        return True
    return task.candidate_role is not None and (task.candidate_role in roles or "admin" in roles)


def refusal(kind: str, message: str) -> ApplicationError:
    """A business refusal: non-retryable, typed so the API can answer 403/409/422."""
    return ApplicationError(message, type=kind, non_retryable=True)


P = TypeVar("P", bound=BaseModel)


def parse_payload(model: type[P], payload: dict[str, Any]) -> P:
    """A decision payload as its typed model, or an INVALID refusal naming `payload.<key>`."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
        # "field: reason" with no space in the field: the API answers 422 with loc naming it.
        raise refusal(INVALID, f"payload{path}: {first['msg']}") from None
