"""Purchase order rows: read, create, revise and stage (what happens after approval: po_progress)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text, update
from sqlmodel import Session, col

from models.contracts.purchasing import (
    PurchaseOrderInput,
    SaveRevision,
    StageChange,
)
from models.contracts.tasks import AuditRecord
from models.purchasing import PurchaseOrder, PurchaseOrderLine
from services.core.errors import NotFound
from services.core.tasks import record_audit
from workflows.purchasing.policy import func_total, po_total


@dataclass(frozen=True, slots=True)
class PoHead:
    """The header facts activities need."""

    id: int
    number: str
    workflow_id: str
    entity_id: int
    supplier_id: int
    currency: str
    fx_rate: Decimal
    total: Decimal
    requested_by: str
    payment_terms: str


@dataclass(frozen=True, slots=True)
class OrderLine:
    """A PO line with what happened to it so far."""

    id: int
    line_no: int
    item_id: int
    location_id: int
    qty: Decimal
    price: Decimal
    landed_unit: Decimal
    received_qty: Decimal
    cancelled_qty: Decimal
    invoiced_qty: Decimal
    rejected_qty: Decimal

    @property
    def open_qty(self) -> Decimal:
        """What is still on order: neither received nor cancelled."""
        return self.qty - self.received_qty - self.cancelled_qty


def key_of(value: int | None) -> int:
    """A primary key as read back (NOT NULL in the table; the model types it optional for inserts)."""
    if value is None:
        raise ValueError("a primary key read back as NULL")
    return value


def find(session: Session, number: str, *, lock: bool = False) -> PoHead | None:
    """The PO header by number, or None (optionally locked for the rest of the transaction)."""
    query = select(
        col(PurchaseOrder.id),
        col(PurchaseOrder.number),
        col(PurchaseOrder.workflow_id),
        col(PurchaseOrder.entity_id),
        col(PurchaseOrder.supplier_id),
        col(PurchaseOrder.currency),
        col(PurchaseOrder.fx_rate),
        col(PurchaseOrder.total),
        col(PurchaseOrder.requested_by),
        col(PurchaseOrder.payment_terms),
    ).where(col(PurchaseOrder.number) == number)
    row = session.connection().execute(query.with_for_update() if lock else query).first()
    if row is None:
        return None
    return PoHead(
        id=key_of(row.id),
        number=str(row.number),
        workflow_id=str(row.workflow_id),
        entity_id=int(row.entity_id),
        supplier_id=int(row.supplier_id),
        currency=str(row.currency),
        fx_rate=Decimal(row.fx_rate),
        total=Decimal(row.total),
        requested_by=str(row.requested_by),
        payment_terms=str(row.payment_terms),
    )


def head(session: Session, number: str, *, lock: bool = False) -> PoHead:
    """The PO header by number (optionally locked for the rest of the transaction); NotFound otherwise."""
    po = find(session, number, lock=lock)
    if po is None:
        raise NotFound("number", f"purchase order {number} does not exist")
    return po


def lines(session: Session, po_id: int) -> list[OrderLine]:
    """The PO's lines in line order."""
    rows = session.connection().execute(
        select(
            col(PurchaseOrderLine.id),
            col(PurchaseOrderLine.line_no),
            col(PurchaseOrderLine.item_id),
            col(PurchaseOrderLine.location_id),
            col(PurchaseOrderLine.qty),
            col(PurchaseOrderLine.price),
            col(PurchaseOrderLine.landed_unit),
            col(PurchaseOrderLine.received_qty),
            col(PurchaseOrderLine.cancelled_qty),
            col(PurchaseOrderLine.invoiced_qty),
            col(PurchaseOrderLine.rejected_qty),
        )
        .where(col(PurchaseOrderLine.po_id) == po_id)
        .order_by(col(PurchaseOrderLine.line_no))
    )
    return [
        OrderLine(
            id=key_of(r.id),
            line_no=int(r.line_no),
            item_id=int(r.item_id),
            location_id=int(r.location_id),
            qty=Decimal(r.qty),
            price=Decimal(r.price),
            landed_unit=Decimal(r.landed_unit),
            received_qty=Decimal(r.received_qty),
            cancelled_qty=Decimal(r.cancelled_qty),
            invoiced_qty=Decimal(r.invoiced_qty),
            rejected_qty=Decimal(r.rejected_qty),
        )
        for r in rows
    ]


def lines_by_no(session: Session, po_id: int) -> dict[int, OrderLine]:
    """The PO's lines by line number."""
    return {ln.line_no: ln for ln in lines(session, po_id)}


def audit(session: Session, po: PoHead, key: str, action: str, actor: str, after: dict[str, Any]) -> None:
    """One audit event on the PO, once per key."""
    record_audit(
        session,
        AuditRecord(
            idempotency_key=key,
            actor=actor,
            action=action,
            subject_type="purchase_order",
            subject_id=po.number,
            entity_id=po.entity_id,
            after=after,
        ),
    )


def persist(session: Session, po: PurchaseOrderInput) -> int:
    """Insert the PO and its lines once per number; a retried activity finds the row and stops."""
    total = po_total(po.lines, po.currency)
    row = (
        session.connection()
        .execute(
            text(
                """
            INSERT INTO purchase_order (number, workflow_id, entity_id, supplier_id, currency, fx_rate, total,
                   total_func, stage, revision, requested_by, order_date, expected_date, payment_terms,
                   landed_cost_pct, parent_number)
            VALUES (:n, :wf, :e, :s, :c, :fx, :t, :tf, 'approval', 1, :req, :od, :ed, :terms, :lc, :parent)
            ON CONFLICT (number) DO NOTHING RETURNING id
            """
            ),
            {
                "n": po.number,
                "wf": po.workflow_id,
                "e": po.entity_id,
                "s": po.supplier_id,
                "c": po.currency,
                "fx": po.fx_rate,
                "t": total,
                "tf": func_total(total, po.fx_rate, po.entity_currency),
                "req": po.requested_by,
                "od": po.order_date,
                "ed": po.expected_date,
                "terms": po.payment_terms,
                "lc": po.landed_cost_pct,
                "parent": po.parent_number,
            },
        )
        .first()
    )
    if row is None:
        return head(session, po.number).id
    po_id = int(row[0])
    _insert_lines(session, po_id, po)
    audit(
        session,
        head(session, po.number),
        f"po:{po.number}:created",
        "po.created",
        po.requested_by,
        {"total": str(total), "currency": po.currency, "parent": po.parent_number},
    )
    return po_id


def _insert_lines(session: Session, po_id: int, po: PurchaseOrderInput) -> None:
    """The PO's lines, nothing received, cancelled or invoiced yet."""
    for line in po.lines:
        session.connection().execute(
            text(
                """
                INSERT INTO purchase_order_line (po_id, line_no, item_id, location_id, qty, price, landed_unit,
                       received_qty, rejected_qty, cancelled_qty, invoiced_qty)
                VALUES (:po, :ln, :i, :l, :q, :p, :lu, 0, 0, 0, 0)
                """
            ),
            {
                "po": po_id,
                "ln": line.line_no,
                "i": line.item_id,
                "l": line.location_id,
                "q": line.qty,
                "p": line.price,
                "lu": line.landed_unit,
            },
        )


def set_stage(session: Session, change: StageChange) -> None:
    """Move the PO to a stage and record why."""
    po = head(session, change.number)
    session.connection().execute(
        update(PurchaseOrder)
        .where(col(PurchaseOrder.id) == po.id)
        .values(stage=change.stage, pending_on=change.pending_on)
    )
    audit(
        session,
        po,
        change.key,
        f"po.stage.{change.stage}",
        change.actor,
        {"stage": change.stage, "pending_on": change.pending_on, "reason": change.reason},
    )


def save_revision(session: Session, rev: SaveRevision) -> None:
    """Replace quantities/prices with the revised ones (before issue, so nothing depends on them yet)."""
    po = head(session, rev.number, lock=True)
    kept = {line.line_no for line in rev.lines}
    session.connection().execute(
        text("DELETE FROM purchase_order_line WHERE po_id = :po AND NOT (line_no = ANY(:kept))"),
        {"po": po.id, "kept": sorted(kept)},
    )
    for line in rev.lines:
        session.connection().execute(
            update(PurchaseOrderLine)
            .where(col(PurchaseOrderLine.po_id) == po.id, col(PurchaseOrderLine.line_no) == line.line_no)
            .values(qty=line.qty, price=line.price, landed_unit=line.landed_unit)
        )
    session.connection().execute(
        update(PurchaseOrder)
        .where(col(PurchaseOrder.id) == po.id)
        .values(
            revision=rev.revision, total=rev.total, total_func=rev.total_func, expected_date=rev.expected_date
        )
    )
    audit(
        session,
        po,
        f"po:{rev.number}:revision:{rev.revision}",
        "po.revised",
        po.requested_by,
        {"revision": rev.revision, "total": str(rev.total)},
    )
