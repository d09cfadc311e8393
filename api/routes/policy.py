"""Policy administration for an entity's admins: approval bands and settings, match tolerances, delegations.

Changes are audited (who, before, after) and apply to documents created afterwards: a PO keeps the bands
and settings it was created with. Return policies and budgets have their own routes (returns, replenishment).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from api.deps import SessionDep, check_entity, require
from api.errors import responses
from api.schemas.base import PathId, QueryId, many
from api.schemas.policy import (
    BandCreate,
    BandUpdate,
    BandView,
    DelegationCreate,
    DelegationView,
    SettingBody,
    SettingView,
    TaskSlaBody,
    TaskSlaInForce,
    TaskSlaReset,
    TaskSlaView,
    ToleranceCreate,
    ToleranceUpdate,
    ToleranceView,
)
from services.core import delegations, policy_admin
from services.core.auth import Principal

router = APIRouter(tags=["policy"], responses=responses(401, 403, 422))
SlaKind = Annotated[str, Path(min_length=1, max_length=40, description="a task kind, e.g. backorder")]
admin = Depends(require("admin"))
# Controllers review policy (and the audit trail); only admins change it.
reader = Depends(require("admin", "controller"))


def _dump(rows: list[Any]) -> list[dict[str, Any]]:
    return [r.model_dump() for r in rows]


@router.get(
    "/approval-bands",
    summary="An entity's approval bands (amount x category -> levels)",
    response_model=many(BandView),
    responses=responses(404),
)
def list_bands(
    entity_id: QueryId, session: SessionDep, include_retired: bool = False, who: Principal = reader
) -> list[dict[str, Any]]:
    """Bands in force (and retired ones when asked) of one of your entities; admins and controllers read."""
    check_entity(who, entity_id)
    return _dump(policy_admin.list_bands(session, entity_id, include_retired))


@router.post(
    "/approval-bands",
    status_code=201,
    summary="Add an approval band (effective-dated)",
    response_model=BandView,
    responses=responses(404, 409),
)
def create_band(body: BandCreate, session: SessionDep, who: Principal = admin) -> dict[str, Any]:
    """A band of amounts (and category) with the approval levels it needs, from a date; audited."""
    check_entity(who, body.entity_id)
    return dict(policy_admin.create_band(session, who, body.model_dump()).model_dump())


@router.patch(
    "/approval-bands/{band_id}",
    summary="Change a band's amounts, levels or dates (new POs only)",
    response_model=BandView,
    responses=responses(404, 409),
)
def change_band(
    band_id: PathId, body: BandUpdate, session: SessionDep, who: Principal = admin
) -> dict[str, Any]:
    """Change a band; POs already created keep the bands they were created with; audited."""
    changes = body.model_dump(exclude_unset=True)
    return dict(policy_admin.change_band(session, who, band_id, changes).model_dump())


@router.post(
    "/approval-bands/{band_id}/retire",
    summary="Stop using a band for new POs (kept for the record)",
    response_model=BandView,
    responses=responses(404, 409),
)
def retire_band(band_id: PathId, session: SessionDep, who: Principal = admin) -> dict[str, Any]:
    """Retire a band: new POs no longer use it; it stays for the record; audited."""
    return dict(policy_admin.retire_band(session, who, band_id).model_dump())


@router.get(
    "/approval-settings",
    summary="An entity's approval settings, one row per effective date",
    response_model=many(SettingView),
    responses=responses(404),
)
def list_settings(entity_id: QueryId, session: SessionDep, who: Principal = reader) -> list[dict[str, Any]]:
    """Approval settings of one of your entities, one row per effective date."""
    check_entity(who, entity_id)
    return _dump(policy_admin.list_settings(session, entity_id))


@router.put(
    "/approval-settings/{entity_id}",
    summary="Set SLA, escalation, rolling cap, grace and over-receipt tolerance from a date",
    response_model=SettingView,
    responses=responses(404, 409),
)
def put_setting(
    entity_id: PathId, body: SettingBody, session: SessionDep, who: Principal = admin
) -> dict[str, Any]:
    """Set the approval settings from a date (the given fields; the rest as before); audited."""
    check_entity(who, entity_id)
    data = body.model_dump(exclude_unset=True)
    return dict(policy_admin.put_setting(session, who, entity_id, data).model_dump())


@router.get(
    "/match-tolerances",
    summary="An entity's three-way-match tolerances",
    response_model=many(ToleranceView),
    responses=responses(404),
)
def list_tolerances(entity_id: QueryId, session: SessionDep, who: Principal = reader) -> list[dict[str, Any]]:
    """Match tolerances (entity-wide, per supplier, per category) of one of your entities."""
    check_entity(who, entity_id)
    return _dump(policy_admin.list_tolerances(session, entity_id))


@router.post(
    "/match-tolerances",
    status_code=201,
    summary="Add a match tolerance (entity, supplier, category)",
    response_model=ToleranceView,
    responses=responses(404, 409),
)
def create_tolerance(body: ToleranceCreate, session: SessionDep, who: Principal = admin) -> dict[str, Any]:
    """Add a tolerance for quantity and price differences; audited."""
    check_entity(who, body.entity_id)
    return dict(policy_admin.create_tolerance(session, who, body.model_dump()).model_dump())


@router.patch(
    "/match-tolerances/{tolerance_id}",
    summary="Change a tolerance (invoices matched from now on)",
    response_model=ToleranceView,
    responses=responses(404, 409),
)
def change_tolerance(
    tolerance_id: PathId, body: ToleranceUpdate, session: SessionDep, who: Principal = admin
) -> dict[str, Any]:
    """Change a tolerance; invoices matched from now on use it; audited."""
    changes = body.model_dump(exclude_unset=True)
    return dict(policy_admin.change_tolerance(session, who, tolerance_id, changes).model_dump())


@router.delete(
    "/match-tolerances/{tolerance_id}",
    summary="Remove a tolerance (the next less specific applies)",
    response_model=ToleranceView,
    responses=responses(404),
)
def delete_tolerance(tolerance_id: PathId, session: SessionDep, who: Principal = admin) -> dict[str, Any]:
    """Remove a tolerance; the answer is the removed row (the audit trail keeps it)."""
    return policy_admin.delete_tolerance(session, who, tolerance_id)


@router.get(
    "/delegations",
    summary="Delegations in an entity (who may act for whom, when, for which tasks)",
    response_model=many(DelegationView),
    responses=responses(404),
)
def list_delegations(
    entity_id: QueryId, session: SessionDep, include_revoked: bool = False, who: Principal = reader
) -> list[dict[str, Any]]:
    """Delegations of one of your entities, revoked ones when asked."""
    return _dump(delegations.list_delegations(session, who, entity_id, include_revoked))


@router.post(
    "/delegations",
    status_code=201,
    summary="Let one user act for another for a period",
    response_model=DelegationView,
    responses=responses(404, 409),
)
def create_delegation(body: DelegationCreate, session: SessionDep, who: Principal = admin) -> dict[str, Any]:
    """Let a user act on another's tasks (all or some kinds) for a period; audited."""
    return dict(delegations.create_delegation(session, who, body.model_dump()).model_dump())


@router.post(
    "/delegations/{delegation_id}/revoke",
    summary="End a delegation now",
    response_model=DelegationView,
    responses=responses(404, 409),
)
def revoke_delegation(delegation_id: PathId, session: SessionDep, who: Principal = admin) -> dict[str, Any]:
    """End a delegation now; what was decided under it stays decided; audited."""
    return dict(delegations.revoke_delegation(session, who, delegation_id).model_dump())


@router.get(
    "/task-service-levels",
    summary="How long each kind of task may wait, and who it escalates to",
    response_model=many(TaskSlaInForce),
    responses=responses(404),
)
def list_task_slas(entity_id: QueryId, session: SessionDep, who: Principal = reader) -> list[dict[str, Any]]:
    """Each task kind's service level in force for an entity: its own or the default."""
    check_entity(who, entity_id)
    return policy_admin.list_task_slas(session, entity_id)


@router.put(
    "/task-service-levels/{entity_id}/{kind}",
    summary="Set an entity's service level for a kind of task",
    response_model=TaskSlaView,
    responses=responses(404, 409),
)
def put_task_sla(
    entity_id: PathId, kind: SlaKind, body: TaskSlaBody, session: SessionDep, who: Principal = admin
) -> dict[str, Any]:
    """How long tasks of this kind may wait in the entity, when to remind, whom to escalate to; audited."""
    check_entity(who, entity_id)
    return dict(policy_admin.put_task_sla(session, who, entity_id, kind, body.model_dump()).model_dump())


@router.delete(
    "/task-service-levels/{entity_id}/{kind}",
    summary="Go back to the default service level for a kind of task",
    response_model=TaskSlaReset,
    responses=responses(404),
)
def reset_task_sla(
    entity_id: PathId, kind: SlaKind, session: SessionDep, who: Principal = admin
) -> dict[str, Any]:
    """Drop the entity's own service level for this kind: the default applies again; audited."""
    check_entity(who, entity_id)
    return policy_admin.reset_task_sla(session, who, entity_id, kind)
