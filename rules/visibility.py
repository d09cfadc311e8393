"""Who may read a task or an audit row beyond the entity check: the people a record concerns and those who
supervise them. Plain data in, a yes or no out (the API turns no into 404 or an absent row)."""

from collections.abc import Collection
from dataclasses import dataclass

# Roles that supervise everything in their entities: they read every task and the full audit trail.
# (There is no separate auditor role yet; a read-only auditor would be added here.)
SUPERVISORS = frozenset({"admin", "controller"})


@dataclass(frozen=True, slots=True)
class Reader:
    """The caller as the rules see it, with the people who delegated to them today."""

    username: str
    roles: frozenset[str]
    entity_ids: frozenset[int]
    # (delegator username, delegator roles) of every delegation in force for this caller
    delegators: tuple[tuple[str, frozenset[str]], ...] = ()

    @property
    def supervises(self) -> bool:
        """True for the roles that oversee their entities' work."""
        return bool(self.roles & SUPERVISORS)


@dataclass(frozen=True, slots=True)
class TaskFacts:
    """What the rule needs of a task: where it lives, to whom it is addressed, who touched it."""

    entity_id: int
    candidate_user: str | None
    candidate_role: str | None
    requested_by: str | None = None
    decided_by: str | None = None
    acting_for: str | None = None


def _addressed_to(task: TaskFacts, username: str, roles: Collection[str]) -> bool:
    return task.candidate_user == username or (
        task.candidate_role is not None and task.candidate_role in roles
    )


def may_read_task(who: Reader, task: TaskFacts) -> bool:
    """A task (its amounts, its details) is read by those who may act on it or supervise it.

    Acting: the addressed user or role, anyone a delegation in force lets act for them. Involved: who
    requested it and who decided it (or was acted for). Supervising: admin and controller of the entity.
    A warehouse user of the same entity reads no PO approval."""
    if task.entity_id not in who.entity_ids:
        return False
    if who.supervises or _addressed_to(task, who.username, who.roles):
        return True
    if who.username in (task.requested_by, task.decided_by, task.acting_for):
        return True
    return any(_addressed_to(task, name, roles) for name, roles in who.delegators)


def may_read_audit_row(who: Reader, *, entity_id: int | None, actor: str, acting_for: str | None) -> bool:
    """Supervisors read the audit of their entities (and entity-less master data); others their own acts."""
    if entity_id is not None and entity_id not in who.entity_ids:
        return False
    return who.supervises or who.username in (actor, acting_for)
