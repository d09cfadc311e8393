"""The catalogue feed a storefront or PIM sends: many items in one request, upserted by SKU, each
accepted or refused on its own."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlmodel import Session, select

from api.batch import Accepted, BatchRequest, BatchResult, run_batch
from api.deps import SessionDep, require
from api.errors import responses
from api.schemas.master import ItemCreate, ItemUpdate
from models.master import Item
from rules.errors import RuleViolation
from services.core.audit_log import audit_change
from services.core.auth import Principal

router = APIRouter(prefix="/items", tags=["catalogue feed"], responses=responses(401, 403, 422))
Writer = Annotated[Principal, Depends(require("admin", "buyer"))]
# Valuation and tracking decide how stock already on hand was valued: a feed may not change them.
_FIXED = ("valuation_method", "tracking", "unit", "allow_negative")
_EDITABLE = tuple(ItemUpdate.model_fields)


def _upsert(session: Session, who: Principal, rec: ItemCreate) -> Accepted:
    item = session.exec(select(Item).where(Item.sku == rec.sku)).first()
    if item is None:
        item = Item(**rec.model_dump())
        session.add(item)
        session.flush()
        audit_change(session, who, "Item.create", "Item", str(item.id), None, item.model_dump())
        return Accepted(status="created", id=item.id)
    for field in _FIXED:
        if getattr(item, field) != getattr(rec, field):
            raise RuleViolation(field, f"{field} of {rec.sku} is {getattr(item, field)!r} and cannot change")
    before = item.model_dump()
    changed = {f: getattr(rec, f) for f in _EDITABLE if getattr(item, f) != getattr(rec, f)}
    if not changed and not item.archived:
        return Accepted(status="unchanged", id=item.id)
    for field, value in changed.items():
        setattr(item, field, value)
    item.archived = False  # a feed that sends an item means it is sold again
    session.add(item)
    session.flush()
    audit_change(session, who, "Item.update", "Item", str(item.id), before, item.model_dump())
    return Accepted(status="updated", id=item.id)


@router.post(
    "/batch",
    summary="Catalogue feed: create or update many items by SKU, each on its own",
    response_model=BatchResult,
)
def items_batch(body: BatchRequest, session: SessionDep, who: Writer) -> dict[str, Any]:
    """Up to 1,000 items upserted by SKU, each in its own savepoint: 200 with each record's outcome (created,
    updated, unchanged, or refused naming the field); valuation, tracking and unit cannot change."""
    result: BatchResult = run_batch(session, body.records, ItemCreate, lambda s, rec: _upsert(s, who, rec))
    session.commit()
    return result.model_dump()
