"""A generic create/list/get/update/archive router for master data (codes unique and immutable)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel
from sqlmodel import Session, SQLModel, col, select

from api.deps import PrincipalDep, SessionDep, check_entity, require
from api.errors import responses
from api.schemas.base import PathId, many, record_model
from services.core.audit_log import audit_change
from services.core.auth import Principal


@dataclass(frozen=True)
class _Resource:
    """One master-data table as its routes see it: name, record model, entity scope and the texts shown."""

    table: type[SQLModel]
    name: str
    record: type[BaseModel]
    # The column naming the record's entity; an entity is scoped by its own id (members see it).
    scope: str | None
    scoped: str
    writers: str
    archivable: bool

    def entity_of(self, obj: Any) -> int | None:
        """The entity a record belongs to (None for shared master data)."""
        return None if self.scope is None else getattr(obj, self.scope, None)

    def load(self, session: Session, who: Principal, record_id: int) -> Any:
        """The record, 404 when missing; 403 when it belongs to an entity the caller is not a member of."""
        obj = session.get(self.table, record_id)
        if obj is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"{self.name} {record_id} not found")
        if self.scope is not None:
            check_entity(who, getattr(obj, self.scope))
        return obj

    def audit(
        self, session: Session, who: Principal, action: str, record_id: str, before: Any, obj: Any
    ) -> None:
        """Audit a change of a record (before and after)."""
        audit_change(
            session,
            who,
            f"{self.name}.{action}",
            self.name,
            record_id,
            before,
            obj.model_dump(),
            self.entity_of(obj),
        )

    def save(
        self, session: Session, who: Principal, action: str, record_id: int, before: Any, obj: Any
    ) -> None:
        """Write a changed record, audit it and commit."""
        session.add(obj)
        session.flush()
        self.audit(session, who, action, str(record_id), before, obj)
        session.commit()


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
    res = _Resource(
        table=table,
        name=name,
        record=record_model(table),
        scope="entity_id" if entity_scoped else "id" if name == "Entity" else None,
        scoped=(
            " Only records of the caller's entities are visible." if entity_scoped or name == "Entity" else ""
        ),
        writers=f" Needs one of the roles {list(write_roles)} (admin always).",
        archivable=archivable,
    )
    writer = Depends(require(*write_roles))
    _add_reads(router, res)
    _add_create(router, res, create, writer, entity_scoped, after_create)
    if update is not None:
        _add_update(router, res, update, writer)
    if archivable:
        _add_archive(router, res, writer)
    return router


def _add_reads(router: APIRouter, res: _Resource) -> None:
    """GET the list (paged, archived ones on request) and GET one record."""
    table, name, record, scope = res.table, res.name, res.record, res.scope

    @router.get(
        "",
        summary=f"List {name} records",
        response_model=many(record),
        description=f"{name} records by id, archived ones only when asked; paged by limit/offset.{res.scoped}",
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
        if res.archivable and not include_archived:
            query = query.where(col(table.archived).is_(False))  # type: ignore[attr-defined]
        query = query.order_by(col(table.id)).limit(limit).offset(offset)  # type: ignore[attr-defined]
        return [r.model_dump() for r in session.exec(query).all()]

    @router.get(
        "/{record_id}",
        summary=f"Get one {name}",
        response_model=record,
        description=f"One {name} record by id.{res.scoped}",
        responses=responses(404, 422),
    )
    def get_record(record_id: PathId, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
        return dict(res.load(session, who, record_id).model_dump())


def _add_create(
    router: APIRouter,
    res: _Resource,
    create: type[BaseModel],
    writer: Any,
    entity_scoped: bool,
    after_create: Callable[[Session, Any, Any], Any] | None,
) -> None:
    """POST a new record (audited); `after_create` builds it instead when the resource needs more than a row."""
    table, name = res.table, res.name

    @router.post(
        "",
        status_code=201,
        summary=f"Create a {name}",
        response_model=res.record,
        description=f"Create a {name} (audited); its code is unique and cannot change later.{res.writers}",
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
        res.audit(session, who, "create", str(obj.id), None, obj)
        session.commit()
        session.refresh(obj)
        return dict(obj.model_dump())


def _add_update(router: APIRouter, res: _Resource, update: type[BaseModel], writer: Any) -> None:
    """PATCH the given fields of a record (audited, before and after)."""
    name = res.name

    @router.patch(
        "/{record_id}",
        summary=f"Change a {name} (codes are immutable)",
        response_model=res.record,
        description=f"Change the given fields of a {name} (audited, before and after).{res.writers}",
        responses=responses(403, 404, 409, 422),
    )
    def update_record(
        record_id: PathId,
        body: update,  # type: ignore[valid-type]
        session: SessionDep,
        who: Principal = writer,
    ) -> dict[str, Any]:
        obj = res.load(session, who, record_id)
        before = obj.model_dump()
        for field, value in body.model_dump(exclude_unset=True).items():  # type: ignore[attr-defined]
            setattr(obj, field, value)
        res.save(session, who, "update", record_id, before, obj)
        session.refresh(obj)
        return dict(obj.model_dump())


def _add_archive(router: APIRouter, res: _Resource, writer: Any) -> None:
    """POST /{id}/archive: hidden from lists and new documents, kept for history."""
    name = res.name

    @router.post(
        "/{record_id}/archive",
        summary=f"Archive a {name} (nothing is deleted)",
        response_model=res.record,
        description=f"Hide a {name} from lists and new documents; the record stays for history.{res.writers}",
        responses=responses(403, 404, 422),
    )
    def archive_record(record_id: PathId, session: SessionDep, who: Principal = writer) -> dict[str, Any]:
        obj = res.load(session, who, record_id)
        before = obj.model_dump()
        obj.archived = True
        res.save(session, who, "archive", record_id, before, obj)
        return dict(obj.model_dump())
