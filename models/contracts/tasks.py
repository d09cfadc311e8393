"""Contracts of the task inbox: opening, deciding, escalating and closing human tasks."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from models.contracts.base import Contract


class TaskSpec(Contract):
    """A task a workflow opens; `task_key` makes opening idempotent."""

    task_key: str
    kind: str
    workflow_id: str
    workflow_type: str
    subject_type: str
    subject_id: str
    entity_id: int
    title: str
    candidate_role: str | None = None
    candidate_user: str | None = None
    requested_by: str | None = None
    due_at: datetime | None = None
    options: list[str] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)


class TaskSlaSnapshot(Contract):
    """A task kind's service level as it was when read (rules.task_sla.TaskSla)."""

    hours: int
    remind_pct: int = 50
    escalate_to: str | None = None


class TaskOpened(Contract):
    """The database id of the opened task, and its kind's service level (None: it waits without timers)."""

    task_id: int
    sla: TaskSlaSnapshot | None = None


class Delegator(Contract):
    """Someone the actor may act for today (an active delegation), with their authority."""

    username: str
    roles: list[str]
    approval_limit: Decimal | None = None


class DecisionRequest(Contract):
    """A person's decision on a task, sent by the API as a Temporal Update."""

    task_id: int
    decision: str
    actor: str
    actor_roles: list[str]
    approval_limit: Decimal | None = None
    delegators: list[Delegator] = Field(default_factory=list)
    comment: str | None = None
    revision: int | None = None
    payload: dict[str, Any] = Field(default_factory=dict)


class DecisionResult(Contract):
    """What the workflow did with the decision."""

    task_id: int
    decision: str
    decided_by: str
    acting_for: str | None = None
    stage: str


class TaskClose(Contract):
    """Record the end of a task (decided, cancelled or expired) and its audit event."""

    task_id: int
    status: str
    decision: str | None = None
    decided_by: str | None = None
    acting_for: str | None = None
    comment: str | None = None


class TaskEscalation(Contract):
    """Move an open task to another role after its SLA, with a new due date."""

    task_id: int
    candidate_role: str | None
    candidate_user: str | None = None
    escalation_level: int
    due_at: datetime | None


class AuditRecord(Contract):
    """An audit event written by a workflow through an activity (idempotent by key)."""

    idempotency_key: str
    actor: str
    action: str
    subject_type: str
    subject_id: str
    entity_id: int | None = None
    acting_for: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
