"""Activities of the task inbox: open, close and escalate tasks, and write audit events."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from temporalio import activity

from erp.db import session_scope
from models.contracts.tasks import AuditRecord, TaskClose, TaskEscalation, TaskOpened, TaskSpec
from services.core import tasks
from services.core.task_sla import load_task_slas


class TaskActivities:
    """Task inbox I/O; every method is idempotent (task_key, status guards, audit keys)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn(name="tasks.open")
    def open_task(self, spec: TaskSpec) -> TaskOpened:
        """Open a task (once per task_key) with its kind's service level, which also dates it when the
        workflow did not."""
        with session_scope(self.engine) as s:
            sla = load_task_slas(s, spec.entity_id, (spec.kind,)).get(spec.kind)
            if sla is not None and spec.due_at is None:
                spec = spec.model_copy(update={"due_at": datetime.now(UTC) + timedelta(hours=sla.hours)})
            return TaskOpened(task_id=tasks.open_task(s, spec), sla=sla)

    @activity.defn(name="tasks.close")
    def close_task(self, close: TaskClose) -> bool:
        """Close a task with its decision and audit event."""
        with session_scope(self.engine) as s:
            return tasks.close_task(s, close)

    @activity.defn(name="tasks.escalate")
    def escalate_task(self, esc: TaskEscalation) -> bool:
        """Re-route an overdue task."""
        with session_scope(self.engine) as s:
            return tasks.escalate_task(s, esc)

    @activity.defn(name="audit.record")
    def record_audit(self, rec: AuditRecord) -> None:
        """Append an audit event."""
        with session_scope(self.engine) as s:
            tasks.record_audit(s, rec)
