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


def open_documents(session: Session, entity_id: int) -> list[OpenDocument]:
    """Every open PO, sales order, return and transfer of the entity."""
    found: list[OpenDocument] = []
    for doc_type, sql in _OPEN:
        for row in session.connection().execute(text(sql), {"e": entity_id}):
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
