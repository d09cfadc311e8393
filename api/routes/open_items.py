"""AP/AR open items: what is open per document, the aging report (JSON or CSV), and the reconciliation of
open items with the control accounts; each answer covers only the caller's entities."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.deps import SessionDep, check_entity, require
from api.downloads import csv_download
from api.errors import responses
from api.routes.reports import CSV, Format
from api.schemas.base import MAX_ID
from api.schemas.open_items import AgingReport, OpenItemList, OpenItemReconciliation, Side
from models.contracts.bounds import DATE_CEILING, DATE_FLOOR
from rules.aging import LABELS
from services.core import open_items_reports
from services.core.auth import Principal

router = APIRouter(prefix="/open-items", tags=["open items"], responses=responses(401))
finance = Depends(require("controller", "ap_clerk"))
AsOf = Annotated[
    date | None, Query(ge=DATE_FLOOR, le=DATE_CEILING, description="default today; later dates age ahead")
]
EntityFilter = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="one of my entities; default all of them")
]
SideQuery = Annotated[Side, Query(description="ar: receivables, ap: payables")]


def _entities(who: Principal, entity_id: int | None) -> list[int]:
    """The entity asked for (if it is the caller's), else every entity of the caller."""
    if entity_id is None:
        return sorted(who.entity_ids)
    check_entity(who, entity_id)
    return [entity_id]


@router.get(
    "",
    summary="Open AP or AR documents, oldest due first",
    response_model=OpenItemList,
    responses={**CSV, **responses(403, 422)},
)
def list_open_items(
    session: SessionDep,
    side: SideQuery,
    entity_id: EntityFilter = None,
    as_of: AsOf = None,
    counterparty: Annotated[str | None, Query(min_length=1, max_length=80)] = None,
    who: Principal = finance,
    format: Format = "json",
) -> Any:
    """Open AP or AR documents, oldest due first."""
    day = as_of or date.today()
    items = open_items_reports.open_items(session, _entities(who, entity_id), side, day, counterparty)
    if format == "csv":
        return csv_download(items, f"open-items-{side}-{day}")
    return {"side": side, "as_of": day, "items": items}


@router.get(
    "/aging",
    summary="Aging by due date (current, 1-30, 31-60, 61-90, over 90 days) per entity and counterparty",
    response_model=AgingReport,
    responses={**CSV, **responses(403, 422)},
)
def aging(
    session: SessionDep,
    side: SideQuery,
    entity_id: EntityFilter = None,
    as_of: AsOf = None,
    who: Principal = finance,
    format: Format = "json",
) -> Any:
    """Aging by due date (current, 1-30, 31-60, 61-90, over 90 days) per entity and counterparty."""
    day = as_of or date.today()
    rows = open_items_reports.aging(session, _entities(who, entity_id), side, day)
    if format == "csv":
        columns = ["entity_id", "counterparty", "currency", *LABELS, "total"]
        return csv_download([{c: r[c] for c in columns} for r in rows], f"aging-{side}-{day}")
    return {"side": side, "as_of": day, "rows": rows}


@router.get(
    "/reconciliation",
    summary="AP and AR open items compared with their control accounts for one entity",
    response_model=OpenItemReconciliation,
    responses=responses(403, 422),
)
def reconciliation(
    session: SessionDep,
    entity_id: Annotated[int, Query(ge=1, le=MAX_ID)],
    as_of: AsOf = None,
    who: Principal = finance,
) -> dict[str, Any]:
    """AP and AR open items compared with their control accounts for one entity."""
    check_entity(who, entity_id)
    day = as_of or date.today()
    return {
        "entity_id": entity_id,
        "as_of": day,
        "sides": open_items_reports.reconciliation(session, entity_id, day),
    }


__all__ = ["router"]
