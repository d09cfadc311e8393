"""A generic create/list/get/update/archive router for master data (codes unique and immutable)."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel
from sqlmodel import Session, SQLModel, col, select

from api.deps import PrincipalDep, SessionDep, check_entity, require
from api.errors import responses
from api.schemas.base import PathId, many, record_model
from services.audit_log import audit_change
from services.auth import Principal


def crud_router(
    *,
    path: str,
    table: type[SQLModel],
    create: type[BaseModel],
    update: type[BaseModel] | None,
    write_roles: tuple[str, ...],
    entity_scoped: bool,
    archivable: bool = True,
    after_create: Callable[[Session, Any, Any], Any] | None = None,
) -> APIRouter:
    """Routes for one master-data resource; entity-scoped resources are visible to members only."""
    router = APIRouter(prefix=path, tags=["master data"], responses=responses(401))
    name = table.__name__
    record = record_model(table)
    scoped = (
        " Only records of the caller's entities are visible." if entity_scoped or name == "Entity" else ""
    )
    writers = f" Needs one of the roles {list(write_roles)} (admin always)."
    # The column naming the record's entity; an entity is scoped by its own id (members see it).
    scope = "entity_id" if entity_scoped else "id" if name == "Entity" else None

    def _entity_of(obj: Any) -> int | None:
        return None if scope is None else getattr(obj, scope, None)

    writer = Depends(require(*write_roles))

    def _load(session: Session, who: Principal, record_id: int) -> Any:
        obj = session.get(table, record_id)
        if obj is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"{name} {record_id} not found")
        if scope is not None:
            check_entity(who, getattr(obj, scope))
        return obj

    @router.get(
        "",
        summary=f"List {name} records",
        response_model=many(record),
        description=f"{name} records by id, archived ones only when asked; paged by limit/offset.{scoped}",
        responses=responses(422),
    )
    def list_records(
        session: SessionDep,
        who: PrincipalDep,
        include_archived: bool = False,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0),
    ) -> list[dict[str, Any]]:
        query = select(table)
        if scope is not None:
            query = query.where(col(getattr(table, scope)).in_(who.entity_ids))
        if archivable and not include_archived:
            query = query.where(col(table.archived).is_(False))  # type: ignore[attr-defined]
        query = query.order_by(col(table.id)).limit(limit).offset(offset)  # type: ignore[attr-defined]
        return [r.model_dump() for r in session.exec(query).all()]

    @router.get(
        "/{record_id}",
        summary=f"Get one {name}",
        response_model=record,
        description=f"One {name} record by id.{scoped}",
        responses=responses(404, 422),
    )
    def get_record(record_id: PathId, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
        return dict(_load(session, who, record_id).model_dump())

    @router.post(
        "",
        status_code=201,
        summary=f"Create a {name}",
        response_model=record,
        description=f"Create a {name} (audited); its code is unique and cannot change later.{writers}",
        responses=responses(403, 404, 409, 422),
    )
    def create_record(body: create, session: SessionDep, who: Principal = writer) -> dict[str, Any]:  # type: ignore[valid-type]
        data = body.model_dump()  # type: ignore[attr-defined]
        if entity_scoped:
            check_entity(who, data["entity_id"])
        if after_create is not None:
            obj = after_create(session, who, data)
        else:
            if "created_by" in table.model_fields:
                data["created_by"] = who.username
            obj = table(**data)
            session.add(obj)
            session.flush()
        audit_change(
            session,
            who,
            f"{name}.create",
            name,
            str(obj.id),
            None,
            obj.model_dump(),
            _entity_of(obj),
        )
        session.commit()
        session.refresh(obj)
        return dict(obj.model_dump())

    if update is not None:

        @router.patch(
            "/{record_id}",
            summary=f"Change a {name} (codes are immutable)",
            response_model=record,
            description=f"Change the given fields of a {name} (audited, before and after).{writers}",
            responses=responses(403, 404, 409, 422),
        )
        def update_record(
            record_id: PathId,
            body: update,  # type: ignore[valid-type]
            session: SessionDep,
            who: Principal = writer,
        ) -> dict[str, Any]:
            obj = _load(session, who, record_id)
            before = obj.model_dump()
            for field, value in body.model_dump(exclude_unset=True).items():  # type: ignore[attr-defined]
                setattr(obj, field, value)
            session.add(obj)
            session.flush()
            audit_change(
                session,
                who,
                f"{name}.update",
                name,
                str(record_id),
                before,
                obj.model_dump(),
                _entity_of(obj),
            )
            session.commit()
            session.refresh(obj)
            return dict(obj.model_dump())

    if archivable:

        @router.post(
            "/{record_id}/archive",
            summary=f"Archive a {name} (nothing is deleted)",
            response_model=record,
            description=f"Hide a {name} from lists and new documents; the record stays for history.{writers}",
            responses=responses(403, 404, 422),
        )
        def archive_record(record_id: PathId, session: SessionDep, who: Principal = writer) -> dict[str, Any]:
            obj = _load(session, who, record_id)
            before = obj.model_dump()
            obj.archived = True
            session.add(obj)
            session.flush()
            audit_change(
                session,
                who,
                f"{name}.archive",
                name,
                str(record_id),
                before,
                obj.model_dump(),
                _entity_of(obj),
            )
            session.commit()
            return dict(obj.model_dump())

    return router
