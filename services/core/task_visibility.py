"""Whether a caller may read a task: rules.visibility over the task and the delegations that lend it today."""

from sqlmodel import Session

from models.tasks import Task
from rules.visibility import Reader, TaskFacts, may_read_task
from services.core.auth import Principal
from services.core.delegations import delegators_for


def may_read(session: Session, who: Principal, task: Task) -> bool:
    """True when the caller may act on the task (or for someone who lends it), was involved, or supervises it."""
    lent = tuple((d.username, frozenset(d.roles)) for d in delegators_for(session, who.username, task))
    reader = Reader(who.username, who.roles, who.entity_ids, lent)
    facts = TaskFacts(
        task.entity_id,
        task.candidate_user,
        task.candidate_role,
        task.requested_by,
        task.decided_by,
        task.acting_for,
    )
    return may_read_task(reader, facts)
