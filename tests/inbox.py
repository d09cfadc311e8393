"""Reading the task inbox's audit trail in scenarios (reminders and escalations of one task)."""

from sqlalchemy import Engine, text


def audited(engine: Engine, action: str, task_id: int) -> int:
    """How many audit events of an action (task.reminder, task.escalated, ...) concern a task."""
    with engine.connect() as c:
        return int(
            c.execute(
                text(
                    "SELECT count(*) FROM audit_event WHERE action = :a AND (after ->> 'task_id')::int = :t"
                ),
                {"a": action, "t": task_id},
            ).scalar_one()
        )
