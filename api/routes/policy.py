"""Policy administration for an entity's admins: approval bands and settings, match tolerances, delegations.

Changes are audited (who, before, after) and apply to documents created afterwards: a PO keeps the bands
and settings it was created with. Return policies and budgets have their own routes (returns, replenishment).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from api.deps import SessionDep, check_entity, require
from api.schemas.base import PathId, QueryId
from api.schemas.policy import (
    BandCreate,
    BandUpdate,
    DelegationCreate,
    SettingBody,
    TaskSlaBody,
    ToleranceCreate,
    ToleranceUpdate,
)
from services import delegations, policy_admin
from services.auth import Principal

router = APIRouter(tags=["policy"])
SlaKind = Annotated[str, Path(min_length=1, max_length=40, description="a task kind, e.g. backorder")]
admin = Depends(require("admin"))
# Controllers review policy (and the audit trail); only admins change it.
reader = Depends(require("admin", "controller"))


def _dump(rows: list[Any]) -> list[dict[str, Any]]:
    return [r.model_dump() for r in rows]


@router.get("/approval-bands", summary="An entity's approval bands (amount x category -> levels)")
def list_bands(
    entity_id: QueryId, session: SessionDep, include_retired: bool = False, who: Principal = reader
) -> list[dict[str, Any]]:
    check_entity(who, entity_id)
    return _dump(policy_admin.list_bands(session, entity_id, include_retired))


@router.post("/approval-bands", status_code=201, summary="Add an approval band (effective-dated)")
def create_band(body: BandCreate, session: SessionDep, who: Principal = admin) -> dict[str, Any]:
    check_entity(who, body.entity_id)
    return dict(policy_admin.create_band(session, who, body.model_dump()).model_dump())


@router.patch("/approval-bands/{band_id}", summary="Change a band's amounts, levels or dates (new POs only)")
def change_band(
    band_id: PathId, body: BandUpdate, session: SessionDep, who: Principal = admin
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    return dict(policy_admin.change_band(session, who, band_id, changes).model_dump())


@router.post(
    "/approval-bands/{band_id}/retire", summary="Stop using a band for new POs (kept for the record)"
)
def retire_band(band_id: PathId, session: SessionDep, who: Principal = admin) -> dict[str, Any]:
    return dict(policy_admin.retire_band(session, who, band_id).model_dump())


@router.get("/approval-settings", summary="An entity's approval settings, one row per effective date")
def list_settings(entity_id: QueryId, session: SessionDep, who: Principal = reader) -> list[dict[str, Any]]:
    check_entity(who, entity_id)
    return _dump(policy_admin.list_settings(session, entity_id))


@router.put(
    "/approval-settings/{entity_id}",
    summary="Set SLA, escalation, rolling cap, grace and over-receipt tolerance from a date",
)
def put_setting(
    entity_id: PathId, body: SettingBody, session: SessionDep, who: Principal = admin
) -> dict[str, Any]:
    check_entity(who, entity_id)
    data = body.model_dump(exclude_unset=True)
    return dict(policy_admin.put_setting(session, who, entity_id, data).model_dump())


@router.get("/match-tolerances", summary="An entity's three-way-match tolerances")
def list_tolerances(entity_id: QueryId, session: SessionDep, who: Principal = reader) -> list[dict[str, Any]]:
    check_entity(who, entity_id)
    return _dump(policy_admin.list_tolerances(session, entity_id))


@router.post(
    "/match-tolerances", status_code=201, summary="Add a match tolerance (entity, supplier, category)"
)
def create_tolerance(body: ToleranceCreate, session: SessionDep, who: Principal = admin) -> dict[str, Any]:
    check_entity(who, body.entity_id)
    return dict(policy_admin.create_tolerance(session, who, body.model_dump()).model_dump())


@router.patch("/match-tolerances/{tolerance_id}", summary="Change a tolerance (invoices matched from now on)")
def change_tolerance(
    tolerance_id: PathId, body: ToleranceUpdate, session: SessionDep, who: Principal = admin
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    return dict(policy_admin.change_tolerance(session, who, tolerance_id, changes).model_dump())


@router.delete(
    "/match-tolerances/{tolerance_id}", summary="Remove a tolerance (the next less specific applies)"
)
def delete_tolerance(tolerance_id: PathId, session: SessionDep, who: Principal = admin) -> dict[str, Any]:
    return policy_admin.delete_tolerance(session, who, tolerance_id)


@router.get("/delegations", summary="Delegations in an entity (who may act for whom, when, for which tasks)")
def list_delegations(
    entity_id: QueryId, session: SessionDep, include_revoked: bool = False, who: Principal = reader
) -> list[dict[str, Any]]:
    return _dump(delegations.list_delegations(session, who, entity_id, include_revoked))


@router.post("/delegations", status_code=201, summary="Let one user act for another for a period")
def create_delegation(body: DelegationCreate, session: SessionDep, who: Principal = admin) -> dict[str, Any]:
    return dict(delegations.create_delegation(session, who, body.model_dump()).model_dump())


@router.post("/delegations/{delegation_id}/revoke", summary="End a delegation now")
def revoke_delegation(delegation_id: PathId, session: SessionDep, who: Principal = admin) -> dict[str, Any]:
    return dict(delegations.revoke_delegation(session, who, delegation_id).model_dump())


@router.get("/task-service-levels", summary="How long each kind of task may wait, and who it escalates to")
def list_task_slas(entity_id: QueryId, session: SessionDep, who: Principal = reader) -> list[dict[str, Any]]:
    check_entity(who, entity_id)
    return policy_admin.list_task_slas(session, entity_id)


@router.put(
    "/task-service-levels/{entity_id}/{kind}", summary="Set an entity's service level for a kind of task"
)
def put_task_sla(
    entity_id: PathId, kind: SlaKind, body: TaskSlaBody, session: SessionDep, who: Principal = admin
) -> dict[str, Any]:
    check_entity(who, entity_id)
    return dict(policy_admin.put_task_sla(session, who, entity_id, kind, body.model_dump()).model_dump())


@router.delete(
    "/task-service-levels/{entity_id}/{kind}",
    summary="Go back to the default service level for a kind of task",
)
def reset_task_sla(
    entity_id: PathId, kind: SlaKind, session: SessionDep, who: Principal = admin
) -> dict[str, Any]:
    check_entity(who, entity_id)
    return policy_admin.reset_task_sla(session, who, entity_id, kind)
