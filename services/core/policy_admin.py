"""Purchasing policy an admin manages per entity: approval bands, approval settings, match tolerances.

Every change is audited with before/after. A PO snapshots its bands and settings into its workflow input
when it is created (services.purchasing.orders.build_input), so a change applies to new POs only; tolerances
are read when an invoice is matched."""

from dataclasses import asdict
from typing import Any

from sqlmodel import Session, col, or_, select

from models.auth import ROLES
from models.purchasing import ApprovalBand, ApprovalSetting, MatchToleranceRow
from models.tasks import TaskSlaSetting
from rules.errors import RuleViolation
from rules.matching import DEFAULT_TOLERANCE
from rules.policy_admin import (
    DEFAULT_BANDS,
    DEFAULT_SETTING,
    BandRange,
    check_band,
    check_escalation,
    check_levels,
)
from rules.task_sla import SLA_KINDS
from services.core.audit_log import audit_change
from services.core.auth import Principal
from services.core.errors import Conflict, NotFound


def _visible(who: Principal, obj: Any, name: str, record_id: int) -> Any:
    """The record if it belongs to one of the caller's entities (generic rows are not managed here)."""
    if obj is None or obj.entity_id is None or not who.sees(obj.entity_id):
        raise NotFound(name, f"{name} {record_id} not found")
    return obj


def _range(band: ApprovalBand) -> BandRange:
    return BandRange(
        band.id,
        band.entity_id,
        band.category,
        band.min_amount,
        band.max_amount,
        band.effective_from,
        band.effective_to,
    )


def _check(session: Session, band: ApprovalBand) -> None:
    """Levels name known roles; no equally specific active band overlaps it."""
    check_levels(band.levels, ROLES)
    others = session.exec(
        select(ApprovalBand).where(ApprovalBand.entity_id == band.entity_id, col(ApprovalBand.active))
    ).all()
    check_band(_range(band), [_range(o) for o in others])


def _levels(levels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Levels as stored: {"role": ...} or {"user": ...}, without the empty key."""
    return [{k: v for k, v in level.items() if v is not None} for level in levels]


def _save(session: Session, who: Principal, obj: Any, action: str, before: dict[str, Any] | None) -> Any:
    """Write the record and its audit event in one transaction."""
    session.add(obj)
    session.flush()
    name = type(obj).__name__
    audit_change(session, who, f"{name}.{action}", name, str(obj.id), before, obj.model_dump(), obj.entity_id)
    session.commit()
    session.refresh(obj)
    return obj


def list_bands(session: Session, entity_id: int, include_retired: bool) -> list[ApprovalBand]:
    """An entity's bands, ordered by category and amount."""
    query = select(ApprovalBand).where(ApprovalBand.entity_id == entity_id)
    if not include_retired:
        query = query.where(col(ApprovalBand.active))
    query = query.order_by(col(ApprovalBand.category).nulls_first(), col(ApprovalBand.min_amount))
    return list(session.exec(query).all())


def create_band(session: Session, who: Principal, data: dict[str, Any]) -> ApprovalBand:
    """A new band (entity required: generic bands are the installation's, not an entity admin's)."""
    band = ApprovalBand(**{**data, "levels": _levels(data["levels"])})
    _check(session, band)
    saved: ApprovalBand = _save(session, who, band, "create", None)
    return saved


def change_band(session: Session, who: Principal, band_id: int, changes: dict[str, Any]) -> ApprovalBand:
    """Change amounts, levels or dates of an active band; POs already created keep their snapshot."""
    band: ApprovalBand = _visible(who, session.get(ApprovalBand, band_id), "band", band_id)
    if not band.active:
        raise NotFound("band", f"band {band_id} is retired")
    before = band.model_dump()
    for field, value in changes.items():
        if field in ("levels", "min_amount") and value is None:
            continue  # required on a band: null means "keep"
        setattr(band, field, _levels(value) if field == "levels" else value)
    _check(session, band)
    saved: ApprovalBand = _save(session, who, band, "update", before)
    return saved


def retire_band(session: Session, who: Principal, band_id: int) -> ApprovalBand:
    """Stop using a band for new POs (kept for the record)."""
    band: ApprovalBand = _visible(who, session.get(ApprovalBand, band_id), "band", band_id)
    before = band.model_dump()
    band.active = False
    saved: ApprovalBand = _save(session, who, band, "retire", before)
    return saved


def list_settings(session: Session, entity_id: int) -> list[ApprovalSetting]:
    """An entity's settings, one per effective date (the undated one first)."""
    query = (
        select(ApprovalSetting)
        .where(ApprovalSetting.entity_id == entity_id)
        .order_by(col(ApprovalSetting.effective_from).nulls_first())
    )
    return list(session.exec(query).all())


def put_setting(session: Session, who: Principal, entity_id: int, data: dict[str, Any]) -> ApprovalSetting:
    """Set the entity's settings from effective_from (None = since always), replacing a row of that date."""
    found = session.exec(
        select(ApprovalSetting).where(
            ApprovalSetting.entity_id == entity_id,
            col(ApprovalSetting.effective_from).is_not_distinct_from(data.get("effective_from")),
        )
    ).first()
    # A new dated row starts from the entity's latest settings (or the defaults): omitted fields are kept.
    latest = list_settings(session, entity_id)
    base = latest[-1].model_dump(exclude={"id", "effective_from"}) if latest else DEFAULT_SETTING
    setting = found or ApprovalSetting(**{**base, "entity_id": entity_id})
    before = found.model_dump() if found else None
    for field, value in data.items():
        setattr(setting, field, value)
    check_escalation(setting.escalation, ROLES)
    saved: ApprovalSetting = _save(session, who, setting, "update" if found else "create", before)
    return saved


def list_tolerances(session: Session, entity_id: int) -> list[MatchToleranceRow]:
    """An entity's match tolerances (the entity default has no supplier and no category)."""
    query = (
        select(MatchToleranceRow)
        .where(MatchToleranceRow.entity_id == entity_id)
        .order_by(col(MatchToleranceRow.id))
    )
    return list(session.exec(query).all())


def create_tolerance(session: Session, who: Principal, data: dict[str, Any]) -> MatchToleranceRow:
    """A tolerance for the entity, optionally for one supplier and/or category (duplicate key: 409)."""
    # NULL supplier/category never collide in a unique constraint: the same key twice is refused here.
    same = select(MatchToleranceRow).where(
        MatchToleranceRow.entity_id == data["entity_id"],
        col(MatchToleranceRow.supplier_id).is_not_distinct_from(data.get("supplier_id")),
        col(MatchToleranceRow.category).is_not_distinct_from(data.get("category")),
    )
    if session.exec(same).first() is not None:
        raise Conflict("supplier_id", "this entity has a tolerance for that supplier and category: change it")
    saved: MatchToleranceRow = _save(session, who, MatchToleranceRow(**data), "create", None)
    return saved


def change_tolerance(
    session: Session, who: Principal, tolerance_id: int, changes: dict[str, Any]
) -> MatchToleranceRow:
    """Change the percentages; invoices matched from now on use them."""
    row: MatchToleranceRow = _visible(
        who, session.get(MatchToleranceRow, tolerance_id), "tolerance", tolerance_id
    )
    before = row.model_dump()
    for field, value in changes.items():
        setattr(row, field, value)
    saved: MatchToleranceRow = _save(session, who, row, "update", before)
    return saved


def delete_tolerance(session: Session, who: Principal, tolerance_id: int) -> dict[str, Any]:
    """Remove a tolerance (the next less specific one applies); the audit event keeps what it was."""
    row: MatchToleranceRow = _visible(
        who, session.get(MatchToleranceRow, tolerance_id), "tolerance", tolerance_id
    )
    before = row.model_dump()
    session.delete(row)
    session.flush()
    audit_change(
        session,
        who,
        "MatchToleranceRow.delete",
        "MatchToleranceRow",
        str(tolerance_id),
        before,
        None,
        row.entity_id,
    )
    session.commit()
    return before


def apply_defaults(session: Session, entity_id: int) -> None:
    """A new entity's default bands, settings and match tolerance, so that it can buy at once."""
    for low, high, levels in DEFAULT_BANDS:
        session.add(
            ApprovalBand(
                entity_id=entity_id,
                min_amount=low,
                max_amount=high,
                levels=[dict(level) for level in levels],
            )
        )
    session.add(ApprovalSetting(entity_id=entity_id, **DEFAULT_SETTING))
    session.add(MatchToleranceRow(entity_id=entity_id, **asdict(DEFAULT_TOLERANCE)))
    session.flush()


def list_task_slas(session: Session, entity_id: int) -> list[dict[str, Any]]:
    """Every task kind's service level in force for the entity, and whether it is its own or the default."""
    rows = session.exec(
        select(TaskSlaSetting).where(
            or_(col(TaskSlaSetting.entity_id) == entity_id, col(TaskSlaSetting.entity_id).is_(None))
        )
    ).all()
    by_kind: dict[str, TaskSlaSetting] = {}
    for row in sorted(rows, key=lambda r: r.entity_id is not None):  # the entity's own row wins
        by_kind[row.kind] = row
    return [
        {
            "kind": kind,
            "sla_hours": row.sla_hours,
            "remind_pct": row.remind_pct,
            "escalate_to": row.escalate_to,
            "source": "entity" if row.entity_id is not None else "default",
            "updated_by": row.updated_by,
        }
        for kind, row in sorted(by_kind.items())
    ]


def _sla_kind(kind: str) -> str:
    if kind not in SLA_KINDS:
        raise RuleViolation("kind", f"{kind!r} has no service level here; one of {', '.join(SLA_KINDS)}")
    return kind


def put_task_sla(
    session: Session, who: Principal, entity_id: int, kind: str, data: dict[str, Any]
) -> TaskSlaSetting:
    """Set the entity's own service level for a kind (tasks opened from now on use it)."""
    _sla_kind(kind)
    target = data.get("escalate_to")
    if target is not None and target not in ROLES:
        raise RuleViolation("escalate_to", f"{target!r} is not a role; one of {', '.join(ROLES)}")
    row = session.exec(
        select(TaskSlaSetting).where(TaskSlaSetting.entity_id == entity_id, TaskSlaSetting.kind == kind)
    ).first()
    before = row.model_dump() if row is not None else None
    row = row or TaskSlaSetting(entity_id=entity_id, kind=kind, sla_hours=data["sla_hours"])
    row.sla_hours, row.remind_pct, row.escalate_to = data["sla_hours"], data["remind_pct"], target
    row.updated_by = who.username
    return _save(session, who, row, "set", before)  # type: ignore[no-any-return]


def reset_task_sla(session: Session, who: Principal, entity_id: int, kind: str) -> dict[str, Any]:
    """Drop the entity's own service level for a kind: the default applies to tasks opened from now on."""
    _sla_kind(kind)
    row = session.exec(
        select(TaskSlaSetting).where(TaskSlaSetting.entity_id == entity_id, TaskSlaSetting.kind == kind)
    ).first()
    if row is None:
        raise NotFound("kind", f"{kind} has no service level of entity {entity_id}'s own")
    before, row_id = row.model_dump(), row.id
    session.delete(row)
    session.flush()
    audit_change(session, who, "TaskSlaSetting.reset", "TaskSlaSetting", str(row_id), before, None, entity_id)
    session.commit()
    return {"kind": kind, "entity_id": entity_id, "source": "default"}
