"""Task inbox persistence: open (idempotent), close, escalate, list; and the audit trail."""

import json
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from models.contracts.tasks import AuditRecord, TaskClose, TaskEscalation, TaskSpec
from models.tasks import Task
from services.core.auth import Principal


def open_task(session: Session, spec: TaskSpec) -> int:
    """Insert the task once per task_key and return its id."""
    values = spec.model_dump()
    row = (
        session.connection()
        .execute(
            text(
                """
            INSERT INTO task (task_key, kind, workflow_id, workflow_type, subject_type, subject_id, entity_id, title,
                              candidate_role, candidate_user, requested_by, status, due_at, escalation_level,
                              options, details)
            VALUES (:task_key, :kind, :workflow_id, :workflow_type, :subject_type, :subject_id, :entity_id, :title,
                    :candidate_role, :candidate_user, :requested_by, 'open', :due_at, 0,
                    CAST(:options AS jsonb), CAST(:details AS jsonb))
            ON CONFLICT (task_key) DO NOTHING RETURNING id
            """
            ),
            {**values, "options": _json(values["options"]), "details": _json(values["details"])},
        )
        .first()
    )
    if row is not None:
        return int(row[0])
    return int(
        session.connection()
        .execute(text("SELECT id FROM task WHERE task_key = :k"), {"k": spec.task_key})
        .scalar_one()
    )


def _json(value: Any) -> str:
    return json.dumps(value, default=str)


def close_task(session: Session, close: TaskClose) -> bool:
    """Close an open task; closing twice changes nothing. Writes the audit event with before/after."""
    task = session.get(Task, close.task_id)
    if task is None or task.status != "open":
        return False
    before = {"status": task.status, "candidate_role": task.candidate_role}
    task.status = close.status
    task.decision = close.decision
    task.decided_by = close.decided_by
    task.acting_for = close.acting_for
    task.comment = close.comment
    task.decided_at = datetime.now(UTC)
    session.add(task)
    record_audit(
        session,
        AuditRecord(
            idempotency_key=f"task:{task.id}:close",
            actor=close.decided_by or "system",
            acting_for=close.acting_for,
            action=f"task.{close.decision or close.status}",
            subject_type=task.subject_type,
            subject_id=task.subject_id,
            entity_id=task.entity_id,
            before=before,
            after={
                "status": close.status,
                "decision": close.decision,
                "comment": close.comment,
                "kind": task.kind,
            },
        ),
    )
    return True


def escalate_task(session: Session, esc: TaskEscalation) -> bool:
    """Re-route an open task after its SLA (only forwards: a stale escalation is ignored)."""
    result = session.connection().execute(
        text(
            """
            UPDATE task SET candidate_role = :role, candidate_user = :user, escalation_level = :lvl, due_at = :due
             WHERE id = :id AND status = 'open' AND escalation_level < :lvl
            """
        ),
        {
            "role": esc.candidate_role,
            "user": esc.candidate_user,
            "lvl": esc.escalation_level,
            "due": esc.due_at,
            "id": esc.task_id,
        },
    )
    return result.rowcount == 1


def record_audit(session: Session, rec: AuditRecord) -> None:
    """Append an audit event once per idempotency key."""
    session.connection().execute(
        text(
            """
            INSERT INTO audit_event (actor, acting_for, action, subject_type, subject_id, entity_id, before, after,
                                     idempotency_key)
            VALUES (:actor, :acting_for, :action, :subject_type, :subject_id, :entity_id,
                    CAST(:before AS jsonb), CAST(:after AS jsonb), :idempotency_key)
            ON CONFLICT (idempotency_key) DO NOTHING
            """
        ),
        {
            **rec.model_dump(),
            "before": _json(rec.before) if rec.before is not None else None,
            "after": _json(rec.after) if rec.after is not None else None,
        },
    )


# One first page per (entity, candidate) read from its index in due order, then merged: the cost of a page
# does not grow with the number of open tasks (an OR over candidates would sort every match).
_INBOX_PAGE = """
WITH mine AS (
  SELECT t.id, t.due_at FROM unnest(CAST(:entities AS integer[])) AS e(id) CROSS JOIN LATERAL (
    SELECT id, due_at FROM task WHERE status = 'open' AND entity_id = e.id AND candidate_user = :me
     ORDER BY due_at, id LIMIT :k) t
  UNION
  SELECT t.id, t.due_at FROM unnest(CAST(:entities AS integer[])) AS e(id)
    CROSS JOIN unnest(CAST(:roles AS text[])) AS r(role) CROSS JOIN LATERAL (
    SELECT id, due_at FROM task WHERE status = 'open' AND entity_id = e.id AND candidate_role = r.role
     ORDER BY due_at, id LIMIT :k) t
  UNION
  SELECT t.id, t.due_at FROM unnest(CAST(:entities AS integer[])) AS e(id) CROSS JOIN LATERAL (
    SELECT id, due_at FROM task WHERE status = 'open' AND entity_id = e.id AND :any_candidate
     ORDER BY due_at, id LIMIT :k) t
  UNION
  SELECT id, due_at FROM task WHERE id = ANY(CAST(:lent AS integer[])) AND status = 'open'
     AND entity_id = ANY(CAST(:entities AS integer[]))
)
SELECT task.* FROM mine JOIN task ON task.id = mine.id
 ORDER BY mine.due_at NULLS LAST, mine.id LIMIT :limit OFFSET :offset
"""


def open_tasks_for(
    session: Session, who: Principal, *, limit: int = 100, offset: int = 0, lent: Collection[int] = ()
) -> list[Task]:
    """Open tasks the caller may act on: addressed to them or to one of their roles (an admin: any), in their
    entities, plus the `lent` ones (tasks of someone who delegated to them, services.core.delegations)."""
    page = text(_INBOX_PAGE).bindparams(
        entities=sorted(who.entity_ids),
        me=who.username,
        roles=sorted(who.roles),
        any_candidate="admin" in who.roles,
        lent=sorted(lent),
        k=limit + offset,
        limit=limit,
        offset=offset,
    )
    return list(session.scalars(select(Task).from_statement(page)).all())
