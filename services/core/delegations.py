"""Delegations: who may act for whom, when, in which entity and for which task kinds; revocable."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from models.auth import Delegation
from models.contracts.tasks import Delegator
from models.tasks import Task
from rules.errors import RuleViolation
from rules.policy_admin import check_delegation
from services.core.audit_log import audit_change
from services.core.auth import Principal
from services.core.errors import NotFound

# A delegation lends authority today when it is not revoked, its period covers today, its scope covers the
# task (entity and kind; NULL = any) and the delegator is still an active user of the task's entity.
_LENDS = """
    d.revoked_at IS NULL AND current_date BETWEEN d.valid_from AND d.valid_to
    AND (d.entity_id IS NULL OR d.entity_id = t.entity_id)
    AND (d.task_kinds IS NULL OR t.kind = ANY(d.task_kinds))
    AND u.active AND EXISTS (SELECT 1 FROM user_entity ue WHERE ue.user_id = u.id AND ue.entity_id = t.entity_id)
"""


def _user_entities(session: Session, username: str) -> set[int] | None:
    """The entities of an active user, or None when there is no such user."""
    rows = session.connection().execute(
        text(
            "SELECT u.id, ue.entity_id FROM app_user u LEFT JOIN user_entity ue ON ue.user_id = u.id"
            " WHERE u.username = :u AND u.active"
        ),
        {"u": username},
    )
    found = rows.all()
    return {int(r[1]) for r in found if r[1] is not None} if found else None


def create_delegation(session: Session, who: Principal, data: dict[str, Any]) -> Delegation:
    """Let `delegate` act for `delegator` in one entity; both must be active users of that entity."""
    check_delegation(data["delegator"], data["delegate"], data["valid_from"], data["valid_to"])
    entity_id = int(data["entity_id"])
    if not who.sees(entity_id):
        raise NotFound("entity_id", f"entity {entity_id} not found")
    for field in ("delegator", "delegate"):
        entities = _user_entities(session, data[field])
        if entities is None:
            raise RuleViolation(field, f"no active user {data[field]!r}")
        if entity_id not in entities:
            raise RuleViolation(field, f"{data[field]} is not a user of entity {entity_id}")
    delegation = Delegation(**data, created_by=who.username)
    session.add(delegation)
    session.flush()
    audit_change(
        session,
        who,
        "Delegation.create",
        "Delegation",
        str(delegation.id),
        None,
        delegation.model_dump(),
        entity_id,
    )
    session.commit()
    session.refresh(delegation)
    return delegation


def list_delegations(
    session: Session, who: Principal, entity_id: int, include_revoked: bool
) -> list[Delegation]:
    """Delegations in one of the caller's entities, newest first."""
    if not who.sees(entity_id):
        raise NotFound("entity_id", f"entity {entity_id} not found")
    query = select(Delegation).where(Delegation.entity_id == entity_id)
    if not include_revoked:
        query = query.where(col(Delegation.revoked_at).is_(None))
    return list(session.exec(query.order_by(col(Delegation.id).desc())).all())


def revoke_delegation(session: Session, who: Principal, delegation_id: int) -> Delegation:
    """End a delegation now (revoking twice changes nothing); decisions already taken stand."""
    delegation = session.get(Delegation, delegation_id)
    if delegation is None or delegation.entity_id is None or not who.sees(delegation.entity_id):
        raise NotFound("delegation", f"delegation {delegation_id} not found")
    if delegation.revoked_at is not None:
        return delegation
    before = delegation.model_dump()
    delegation.revoked_at = datetime.now(UTC)
    delegation.revoked_by = who.username
    session.add(delegation)
    session.flush()
    audit_change(
        session,
        who,
        "Delegation.revoke",
        "Delegation",
        str(delegation_id),
        before,
        delegation.model_dump(),
        delegation.entity_id,
    )
    session.commit()
    session.refresh(delegation)
    return delegation


def _lends_today(session: Session, delegate: str) -> bool:
    """Does anyone lend this user their tasks today (an active, unrevoked delegation)?"""
    found = session.connection().execute(
        text(
            "SELECT 1 FROM delegation d WHERE d.delegate = :me AND d.revoked_at IS NULL"
            " AND current_date BETWEEN d.valid_from AND d.valid_to LIMIT 1"
        ),
        {"me": delegate},
    )
    return found.first() is not None


def delegated_tasks(session: Session, who: Principal) -> dict[int, str]:
    """Open tasks in the caller's entities that someone lends them today: task id -> the delegator."""
    if not who.entity_ids or not _lends_today(session, who.username):
        return {}  # the usual case: no open-task scan (it cost 33 ms a page at 100,000 open tasks)
    rows = session.connection().execute(
        text(
            f"""
            SELECT t.id, min(d.delegator) FROM task t
              JOIN delegation d ON d.delegate = :me
              JOIN app_user u ON u.username = d.delegator
             WHERE t.status = 'open' AND t.entity_id = ANY(:mine) AND {_LENDS}
               AND (t.candidate_user = d.delegator OR t.candidate_role = ANY(u.roles)
                    OR (t.candidate_role IS NOT NULL AND 'admin' = ANY(u.roles)))
             GROUP BY t.id
            """
        ),
        {"me": who.username, "mine": sorted(who.entity_ids)},
    )
    return {int(r[0]): str(r[1]) for r in rows}


def delegators_for(session: Session, actor: str, task: Task) -> list[Delegator]:
    """Whom the actor may act for on this task today, with the authority each one lends."""
    rows = session.connection().execute(
        text(
            f"""
            SELECT DISTINCT u.username, u.roles, u.approval_limit FROM delegation d
              JOIN app_user u ON u.username = d.delegator
              JOIN task t ON t.id = :task
             WHERE d.delegate = :a AND {_LENDS}
             ORDER BY u.username
            """
        ),
        {"a": actor, "task": task.id},
    )
    return [Delegator(username=r[0], roles=list(r[1]), approval_limit=r[2]) for r in rows]
