"""Read models of purchase orders for the API (served from PostgreSQL, not from workflow queries)."""

from typing import Any

from sqlalchemy import Executable, select, text
from sqlmodel import Session, col

from models.purchasing import (
    GoodsReceipt,
    GoodsReceiptLine,
    InboundException,
    InvoiceMatch,
    PurchaseOrder,
    PurchaseOrderLine,
    SupplierInvoice,
    SupplierInvoiceLine,
)


def _rows(session: Session, sql: str, **params: Any) -> list[dict[str, Any]]:
    """The rows of a hand-written query as column dicts."""
    return [dict(r) for r in session.connection().execute(text(sql), params).mappings().all()]


def _records(session: Session, query: Executable) -> list[dict[str, Any]]:
    """The rows of a table query as column dicts."""
    return [r._asdict() for r in session.connection().execute(query).all()]


# The filters are optional: a NULL parameter filters nothing.
_PO_LIST = """
    SELECT number, entity_id, supplier_id, currency, total, total_func, stage, pending_on, revision,
           requested_by, order_date, expected_date, parent_number, cycle_time_seconds, created_at
      FROM purchase_order
     WHERE entity_id = ANY(:ents) AND (CAST(:stage AS text) IS NULL OR stage = :stage)
       AND (CAST(:sup AS int) IS NULL OR supplier_id = :sup) AND (CAST(:ent AS int) IS NULL OR entity_id = :ent)
     ORDER BY id DESC LIMIT :lim OFFSET :off
"""


def po_list(
    session: Session,
    entity_ids: list[int],
    *,
    stage: str | None,
    supplier_id: int | None,
    entity_id: int | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """Headers of the POs in the caller's entities, filtered."""
    return _rows(
        session,
        _PO_LIST,
        ents=entity_ids,
        stage=stage,
        sup=supplier_id,
        ent=entity_id,
        lim=limit,
        off=offset,
    )


def _receipts(session: Session, po_id: int) -> list[dict[str, Any]]:
    """The PO's goods receipts in receipt order, each with its lines (and the PO line number they receive)."""
    receipts = session.connection().execute(
        select(GoodsReceipt).where(col(GoodsReceipt.po_id) == po_id).order_by(col(GoodsReceipt.receipt_no))
    )
    return [
        {
            **r._asdict(),
            "lines": _records(
                session,
                select(GoodsReceiptLine, col(PurchaseOrderLine.line_no))
                .join(PurchaseOrderLine, col(PurchaseOrderLine.id) == col(GoodsReceiptLine.po_line_id))
                .where(col(GoodsReceiptLine.receipt_id) == r.id)
                .order_by(col(GoodsReceiptLine.id)),
            ),
        }
        for r in receipts.all()
    ]


def _invoices(session: Session, po_id: int) -> list[dict[str, Any]]:
    """The PO's supplier invoices in arrival order, each with its lines and match attempts."""
    invoices = session.connection().execute(
        select(SupplierInvoice).where(col(SupplierInvoice.po_id) == po_id).order_by(col(SupplierInvoice.id))
    )
    return [
        {
            **inv._asdict(),
            "lines": _records(
                session,
                select(SupplierInvoiceLine)
                .where(col(SupplierInvoiceLine.invoice_id) == inv.id)
                .order_by(col(SupplierInvoiceLine.line_no)),
            ),
            "matches": _records(
                session,
                select(InvoiceMatch)
                .where(col(InvoiceMatch.invoice_id) == inv.id)
                .order_by(col(InvoiceMatch.attempt), col(InvoiceMatch.id)),
            ),
        }
        for inv in invoices.all()
    ]


# Each journal entry the PO posted, with its lines as JSON (set-based: one query for all entries).
_POSTINGS = """
    SELECT e.id, e.idempotency_key, e.posting_date, e.memo, e.reverses_entry_id,
           json_agg(json_build_object('account', a.code, 'role', a.role, 'currency', l.currency,
                    'amount', l.amount, 'amount_func', l.amount_func) ORDER BY l.id) AS lines
      FROM journal_entry e JOIN journal_line l ON l.entry_id = e.id JOIN account a ON a.id = l.account_id
     WHERE e.source_type = 'purchase_order' AND e.source_id = :n
     GROUP BY e.id ORDER BY e.id
"""
_TASKS = """
    SELECT id, kind, title, candidate_role, candidate_user, status, decision, decided_by, acting_for, comment,
           escalation_level, due_at, created_at, decided_at, details FROM task
     WHERE subject_type = 'purchase_order' AND subject_id = :n ORDER BY id
"""
_HISTORY = """
    SELECT at, actor, acting_for, action, after FROM audit_event
     WHERE subject_type = 'purchase_order' AND subject_id = :n ORDER BY id
"""


def po_detail(session: Session, number: str) -> dict[str, Any] | None:
    """Everything about one PO: header, lines, receipts, invoices with matches, exceptions, postings, decisions."""
    po = (
        session.connection().execute(select(PurchaseOrder).where(col(PurchaseOrder.number) == number)).first()
    )
    if po is None:
        return None
    return {
        **po._asdict(),
        "lines": _records(
            session,
            select(PurchaseOrderLine)
            .where(col(PurchaseOrderLine.po_id) == po.id)
            .order_by(col(PurchaseOrderLine.line_no)),
        ),
        "receipts": _receipts(session, po.id),
        "invoices": _invoices(session, po.id),
        "inbound_exceptions": _records(
            session,
            select(InboundException)
            .where(col(InboundException.po_id) == po.id)
            .order_by(col(InboundException.id)),
        ),
        "postings": _rows(session, _POSTINGS, n=number),
        "tasks": _rows(session, _TASKS, n=number),
        "history": _rows(session, _HISTORY, n=number),
        "linked": _records(
            session,
            select(col(PurchaseOrder.number), col(PurchaseOrder.stage))
            .where(col(PurchaseOrder.parent_number) == number)
            .order_by(col(PurchaseOrder.id)),
        ),
    }
