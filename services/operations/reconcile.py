"""Which documents PostgreSQL shows as open, per entity, with the workflow that should carry each."""

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.reconcile import DocType, OpenDocument, case_task_key

# One query per document type: (type, SQL). Terminal stages are the ones their workflows end in.
_OPEN: list[tuple[DocType, str]] = [
    (
        "purchase_order",
        "SELECT number, workflow_id, entity_id, stage FROM purchase_order"
        " WHERE entity_id = :e AND stage NOT IN ('closed','cancelled','rejected') ORDER BY number",
    ),
    (
        "sales_order",
        "SELECT number, workflow_id, entity_id, status FROM sales_order"
        " WHERE entity_id = :e AND status NOT IN ('closed','cancelled') ORDER BY number",
    ),
    (
        "return",
        "SELECT rma_number, workflow_id, entity_id, stage FROM return_authorisation"
        " WHERE entity_id = :e AND stage NOT IN ('closed','rejected','expired','cancelled') ORDER BY rma_number",
    ),
    (
        "transfer_order",
        "SELECT number, workflow_id, entity_id, status FROM transfer_order"
        " WHERE entity_id = :e AND status IN ('draft','shipped') ORDER BY number",
    ),
]


def entity_id_of(session: Session, entity_code: str) -> int | None:
    """The entity's id, or None when the code is unknown."""
    value = (
        session.connection()
        .execute(text("SELECT id FROM entity WHERE code = :c"), {"c": entity_code})
        .scalar()
    )
    return None if value is None else int(value)


# Cancelled documents that still hold something: an activity in flight when the workflow was cancelled
# (Temporal reports the cancellation at once) may commit after the compensation ran. Such a leftover
# appears within seconds, so only recent documents are looked at (the scan stays cheap as history grows).
LEFTOVER_DAYS = 7
_LEFTOVERS: list[tuple[DocType, str]] = [
    (
        "purchase_order",
        "SELECT p.number, p.workflow_id, p.entity_id, p.stage FROM purchase_order p"
        " WHERE p.entity_id = :e AND p.stage = 'cancelled' AND p.issued_at IS NOT NULL"
        " AND p.closed_at > now() - make_interval(days => :days) AND EXISTS ("
        "  SELECT 1 FROM purchase_order_line l WHERE l.po_id = p.id AND l.qty > l.received_qty + l.cancelled_qty)"
        " ORDER BY p.number",
    ),
    (
        "sales_order",
        "SELECT o.number, o.workflow_id, o.entity_id, o.status FROM sales_order o"
        " WHERE o.entity_id = :e AND o.status = 'cancelled' AND o.created_at > now() - make_interval(days => :days)"
        " AND ("
        "  EXISTS (SELECT 1 FROM reservation r WHERE r.source_id = o.number AND r.status = 'active')"
        "  OR (SELECT COALESCE(sum(CASE kind WHEN 'authorise' THEN amount ELSE -amount END), 0)"
        "      FROM sales_payment WHERE order_id = o.id AND kind IN ('authorise','capture','void')) > 0)"
        " ORDER BY o.number",
    ),
]


def open_documents(session: Session, entity_id: int) -> list[OpenDocument]:
    """Every open PO, sales order, return and transfer of the entity, and cancelled ones still holding stock or money."""
    found: list[OpenDocument] = []
    for doc_type, sql in _OPEN + _LEFTOVERS:
        for row in session.connection().execute(text(sql), {"e": entity_id, "days": LEFTOVER_DAYS}):
            found.append(
                OpenDocument(
                    doc_type=doc_type,
                    number=str(row[0]),
                    workflow_id=str(row[1]),
                    entity_id=int(row[2]),
                    stage=str(row[3]),
                )
            )
    return found


def case_exists(session: Session, doc_type: str, number: str) -> bool:
    """Whether the document already has its reconciliation task (open or acknowledged)."""
    row = (
        session.connection()
        .execute(text("SELECT 1 FROM task WHERE task_key = :k"), {"k": case_task_key(doc_type, number)})
        .first()
    )
    return row is not None
