"""The approvers' surface: human tasks that answer workflow updates, and the audit trail."""

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import created_at

_OPEN = text("status = 'open'")


class Task(SQLModel, table=True):
    """A decision a person owes a workflow; decided through a Temporal Update with a stable id."""

    __table_args__ = (
        CheckConstraint("status IN ('open','decided','cancelled','expired')", name="task_status"),
        Index("task_open_by_role", "status", "candidate_role"),
        Index("task_open_by_user", "status", "candidate_user"),
        # The inbox's pages: open tasks per entity and candidate in due order (services.core.tasks.open_tasks_for).
        Index("task_inbox_by_role", "entity_id", "candidate_role", "due_at", "id", postgresql_where=_OPEN),
        Index("task_inbox_by_user", "entity_id", "candidate_user", "due_at", "id", postgresql_where=_OPEN),
        Index("task_inbox_by_entity", "entity_id", "due_at", "id", postgresql_where=_OPEN),
    )
    id: int | None = Field(default=None, primary_key=True)
    task_key: str = Field(unique=True, max_length=200)
    kind: str = Field(max_length=40)
    workflow_id: str = Field(max_length=200, index=True)
    workflow_type: str = Field(max_length=80)
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=80)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    title: str = ""
    candidate_role: str | None = Field(default=None, max_length=40)
    candidate_user: str | None = Field(default=None, max_length=80)
    requested_by: str | None = None
    status: str = "open"
    due_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    escalation_level: int = 0
    decision: str | None = None
    decided_by: str | None = None
    acting_for: str | None = None
    comment: str | None = None
    options: list[str] = Field(default_factory=list, sa_type=JSONB)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    created_at: datetime | None = created_at()
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AuditEvent(SQLModel, table=True):
    """Who did what to which document, when, acting for whom, with before/after state."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("audit_subject", "subject_type", "subject_id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = created_at()
    actor: str
    acting_for: str | None = None
    action: str = Field(max_length=60)
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=80)
    entity_id: int | None = Field(default=None, foreign_key="entity.id")
    before: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    idempotency_key: str | None = Field(default=None, unique=True, max_length=200)


class TaskSlaSetting(SQLModel, table=True):
    """How long a kind of task may wait, per entity or (entity NULL) the default for every entity: reminded
    at `remind_pct` % of `sla_hours`, then escalated to `escalate_to` (NULL: reminders only)."""

    __tablename__ = "task_sla"
    __table_args__ = (
        CheckConstraint("sla_hours BETWEEN 1 AND 8760", name="task_sla_hours"),
        CheckConstraint("remind_pct BETWEEN 1 AND 99", name="task_sla_remind_pct"),
        UniqueConstraint("entity_id", "kind", name="task_sla_key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int | None = Field(default=None, foreign_key="entity.id", index=True)
    kind: str = Field(max_length=40)
    sla_hours: int
    remind_pct: int = 50
    escalate_to: str | None = Field(default=None, max_length=40)
    updated_by: str = Field(default="system", max_length=80)
    created_at: datetime | None = created_at()
