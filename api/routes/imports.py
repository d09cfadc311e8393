"""Bulk import of items, suppliers, customers and opening stock (JSON rows or CSV), with a per-row report."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel
from sqlmodel import Session, SQLModel

from api.batch import Accepted, BatchResult, run_batch
from api.deps import PrincipalDep, SessionDep
from api.errors import responses
from api.schemas.imports import (
    MAX_IMPORT_ROWS,
    ImportKind,
    ImportReport,
    ImportRequest,
    ImportRowResult,
    OpeningStockRow,
)
from api.schemas.master import CustomerCreate, ItemCreate, SupplierCreate
from models.master import Customer, Item, Supplier
from rules.errors import RuleViolation
from rules.import_rows import csv_line, parse_csv
from services.core.auth import Principal
from services.core.imports import import_opening_stock, import_record

router = APIRouter(prefix="/imports", tags=["imports"], responses=responses(401, 403, 422))
# The roles that create each kind one by one may import it; opening stock posts to the ledger.
ROLES: dict[str, tuple[str, ...]] = {
    "items": ("admin", "buyer"),
    "suppliers": ("admin", "buyer"),
    "customers": ("admin", "sales_ops"),
    "opening-stock": ("admin", "controller"),
}
# kind: (row schema, table, key field)
MASTER: dict[str, tuple[type[BaseModel], type[SQLModel], str]] = {
    "items": (ItemCreate, Item, "sku"),
    "suppliers": (SupplierCreate, Supplier, "code"),
    "customers": (CustomerCreate, Customer, "code"),
}


def _handler(kind: str, who: Principal) -> tuple[type[BaseModel], Callable[[Session, Any], Accepted]]:
    """The row schema and what to do with a valid row of this kind."""
    if kind == "opening-stock":

        def opening(session: Session, row: OpeningStockRow) -> Accepted:
            outcome, move_id = import_opening_stock(
                session,
                who,
                sku=row.sku,
                location_code=row.location_code,
                qty=row.qty,
                unit_cost=row.unit_cost,
                posting_date=row.day(),
                lot=row.lot,
            )
            return Accepted(status="created" if outcome == "created" else "unchanged", id=move_id)

        return OpeningStockRow, opening
    schema, table, key = MASTER[kind]

    def master(session: Session, row: BaseModel) -> Accepted:
        outcome, record_id = import_record(session, who, table, key, row.model_dump())
        return Accepted(status="created" if outcome == "created" else "unchanged", id=record_id)

    return schema, master


def _key(kind: str, raw: dict[str, Any]) -> str | None:
    """The row's key as sent, for the report (SKU, code, or SKU@location)."""
    if kind == "opening-stock":
        return f"{raw.get('sku')}@{raw.get('location_code')}"[:120]
    value = raw.get(MASTER[kind][2])
    return str(value)[:120] if value is not None else None


def _report(
    kind: ImportKind, body: ImportRequest, records: list[dict[str, Any]], result: BatchResult, committed: bool
) -> ImportReport:
    rows: list[ImportRowResult] = []
    for r in result.results:
        raw = records[r.index]
        status_ = "refused" if r.status == "rejected" else r.status
        if not committed and status_ == "created":
            status_ = "not_written"
        rows.append(
            ImportRowResult(
                row=r.index + 1,
                line=csv_line(r.index) if body.csv is not None else None,
                key=_key(kind, raw),
                status=status_,
                id=r.id if committed else None,
                field=r.error.field if r.error else None,
                reason=r.error.reason if r.error else None,
            )
        )
    count = {s: sum(1 for r in rows if r.status == s) for s in ("created", "unchanged", "refused")}
    return ImportReport(
        kind=kind,
        mode=body.mode,
        committed=committed,
        created=count["created"],
        unchanged=count["unchanged"],
        refused=count["refused"],
        rows=rows,
    )


@router.post(
    "/{kind}",
    summary="Import items, suppliers, customers or opening stock; every row is checked like a single create",
)
def import_rows(
    kind: ImportKind, body: ImportRequest, session: SessionDep, who: PrincipalDep
) -> ImportReport:
    """Validate each row with the create schema; all_or_nothing writes nothing if any row is refused.

    Rows come as JSON or as CSV text; the report gives each row's outcome (created, unchanged, refused naming
    the field) and whether anything was committed."""
    if not who.has_role(*ROLES[kind]):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs one of the roles {list(ROLES[kind])}")
    records = body.rows if body.rows is not None else parse_csv(body.csv or "")
    if not records:
        raise RuleViolation("csv", "the CSV has a header row but no data rows")
    if len(records) > MAX_IMPORT_ROWS:
        raise RuleViolation("csv", f"at most {MAX_IMPORT_ROWS} rows per import, not {len(records)}")
    schema, handler = _handler(kind, who)
    result = run_batch(session, records, schema, handler, max_records=MAX_IMPORT_ROWS)
    committed = body.mode == "valid_rows" or result.rejected == 0
    if committed:
        session.commit()
    else:
        session.rollback()
    return _report(kind, body, records, result, committed)
