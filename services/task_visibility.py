"""Whether a caller may read a task: rules.visibility over the task and the delegations in force today."""

from sqlalchemy import text
from sqlmodel import Session

from models.tasks import Task
from rules.visibility import Reader, TaskFacts, may_read_task
from services.auth import Principal


def _delegators(session: Session, delegate: str) -> tuple[tuple[str, frozenset[str]], ...]:
    rows = session.connection().execute(
        text(
            """
            SELECT u.username, u.roles FROM delegation d JOIN app_user u ON u.username = d.delegator
             WHERE d.delegate = :a AND current_date BETWEEN d.valid_from AND d.valid_to AND u.active
            """
        ),
        {"a": delegate},
    )
    return tuple((str(r[0]), frozenset(r[1])) for r in rows)


def may_read(session: Session, who: Principal, task: Task) -> bool:
    """True when the caller may act on the task (or for someone who may), was involved, or supervises it."""
    reader = Reader(who.username, who.roles, who.entity_ids, _delegators(session, who.username))
    facts = TaskFacts(
        task.entity_id,
        task.candidate_user,
        task.candidate_role,
        task.requested_by,
        task.decided_by,
        task.acting_for,
    )
    return may_read_task(reader, facts)
