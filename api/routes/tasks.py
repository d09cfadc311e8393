"""The approvers' inbox: list open tasks, read one, decide it through a Temporal Update."""

import hashlib
from typing import Any

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlmodel import Session

from api import workflow_calls
from api.deps import PrincipalDep, SessionDep, TemporalDep, check_entity
from api.errors import responses
from api.schemas.base import Body, PathId, examples, many
from api.schemas.tasks import TaskInboxItem, TaskView
from models.contracts.tasks import DecisionRequest, DecisionResult
from models.tasks import Task
from services.core import task_visibility
from services.core.auth import Principal
from services.core.delegations import delegated_tasks, delegators_for
from services.core.tasks import open_tasks_for
from workflows.registry import by_type_name

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=responses(401))


class DecisionBody(Body):
    """A decision on a task: one of the task's options, a comment, and the revision the person saw."""

    model_config = examples(
        {"decision": "approve", "comment": "within budget"},
        {"decision": "reject", "comment": "duplicate of PO 100012"},
    )

    decision: str = Field(min_length=1, max_length=40, examples=["approve"])
    comment: str | None = Field(default=None, max_length=2000, examples=["within budget"])
    revision: int | None = Field(default=None, ge=0)
    # Each workflow's decide validator checks the keys its decision reads (type and bounds).
    payload: dict[str, Any] = Field(default_factory=dict, max_length=50)


@router.get(
    "",
    summary="My open tasks (by my roles and my user), oldest due first",
    response_model=many(TaskInboxItem),
    responses=responses(422),
)
def list_tasks(
    session: SessionDep,
    who: PrincipalDep,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    """Open tasks offered to my user or my roles, or lent to me by a delegation (`delegated_by`), paged."""
    lent = delegated_tasks(session, who)
    tasks = open_tasks_for(session, who, limit=limit, offset=offset, lent=lent)
    # A task shown only through a delegation names whom the caller would act for.
    return [{**t.model_dump(), "delegated_by": None if _own(who, t) else lent.get(t.id or 0)} for t in tasks]


def _own(who: Principal, task: Task) -> bool:
    """True when the task is the caller's own (by user or role), not only lent to them."""
    return task.candidate_user == who.username or (
        task.candidate_role is not None and who.has_role(task.candidate_role)
    )


@router.get(
    "/{task_id}",
    summary="One task with its details",
    response_model=TaskView,
    responses=responses(404, 422),
)
def get_task(task_id: PathId, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """A task I may act on or supervise: its options, due time and the details the decision needs."""
    task = _visible_task(session, who, task_id)
    return task.model_dump()


def _task_of_my_entity(session: Session, who: Principal, task_id: int) -> Task:
    """The task when it belongs to one of the caller's entities; 404 otherwise."""
    task = session.get(Task, task_id)
    if task is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"task {task_id} not found")
    check_entity(who, task.entity_id)
    return task


def _visible_task(session: Session, who: Principal, task_id: int) -> Task:
    """The task when the caller may act on it or supervises it (rules.visibility); 404 otherwise."""
    task = _task_of_my_entity(session, who, task_id)
    if not task_visibility.may_read(session, who, task):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"task {task_id} not found")
    return task


@router.post(
    "/{task_id}/decision",
    summary="Decide a task (approve, reject, ...) through the workflow",
    response_model=DecisionResult,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def decide(
    task_id: PathId, body: DecisionBody, session: SessionDep, who: PrincipalDep, client: TemporalDep
) -> JSONResponse:
    """Send the decision to the task's workflow, which checks roles, limits and delegations and says why it
    refuses; retrying the same decision gives the first answer."""
    # The workflow decides who may decide (roles, limits, delegations, own documents) and says why it
    # refuses (403); the answer carries no task details, so the entity check is enough here.
    task = _task_of_my_entity(session, who, task_id)
    if task.status != "open":
        raise HTTPException(status.HTTP_409_CONFLICT, f"task {task_id} is {task.status} already")
    workflow_cls = by_type_name(task.workflow_type)
    if not hasattr(workflow_cls, "decide"):
        # Some tasks are owned by a person, not a workflow step (e.g. a data-quality problem): they close
        # when the problem is fixed, so there is nothing to decide here.
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"a {task.kind} task is not decided here: it closes by itself once its cause is fixed",
        )
    request = DecisionRequest(
        task_id=task_id,
        decision=body.decision,
        actor=who.username,
        actor_roles=sorted(who.roles),
        approval_limit=who.approval_limit,
        delegators=delegators_for(session, who.username, task),
        comment=body.comment,
        revision=body.revision,
        payload=body.payload,
    )
    session.close()  # do not hold a connection while the workflow runs
    # A deterministic id: a client retrying the same decision gets the first result, never a second decision.
    # The body is in the id too: the server remembers a refused update's outcome under its id for a while,
    # so a corrected request (e.g. a fresh revision) must not reuse the id of a refused one.
    fingerprint = hashlib.sha256(body.model_dump_json().encode()).hexdigest()[:16]
    update_id = f"task-{task_id}-{who.username}-{body.decision}-{fingerprint}"
    return await workflow_calls.send_update(
        client,
        workflow_cls.decide,
        request,
        workflow_id=task.workflow_id,
        update_id=update_id,
        subject="task",
        username=who.username,
        entity_id=task.entity_id,
        default_field="decision",
    )
