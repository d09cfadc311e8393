"""Read models of purchase orders for the API (served from PostgreSQL, not from workflow queries)."""

from typing import Any

from sqlalchemy import text
from sqlmodel import Session


def _rows(session: Session, sql: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in session.connection().execute(text(sql), params).mappings().all()]


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
        """
        SELECT number, entity_id, supplier_id, currency, total, total_func, stage, pending_on, revision,
               requested_by, order_date, expected_date, parent_number, cycle_time_seconds, created_at
          FROM purchase_order
         WHERE entity_id = ANY(:ents) AND (CAST(:stage AS text) IS NULL OR stage = :stage)
           AND (CAST(:sup AS int) IS NULL OR supplier_id = :sup) AND (CAST(:ent AS int) IS NULL OR entity_id = :ent)
         ORDER BY id DESC LIMIT :lim OFFSET :off
        """,
        ents=entity_ids,
        stage=stage,
        sup=supplier_id,
        ent=entity_id,
        lim=limit,
        off=offset,
    )


def po_detail(session: Session, number: str) -> dict[str, Any] | None:
    """Everything about one PO: header, lines, receipts, invoices with matches, exceptions, postings, decisions."""
    heads = _rows(session, "SELECT * FROM purchase_order WHERE number = :n", n=number)
    if not heads:
        return None
    po = heads[0]
    po_id = po["id"]
    po["lines"] = _rows(
        session, "SELECT * FROM purchase_order_line WHERE po_id = :p ORDER BY line_no", p=po_id
    )
    receipts = _rows(session, "SELECT * FROM goods_receipt WHERE po_id = :p ORDER BY receipt_no", p=po_id)
    for r in receipts:
        r["lines"] = _rows(
            session,
            "SELECT g.*, l.line_no FROM goods_receipt_line g JOIN purchase_order_line l ON l.id = g.po_line_id"
            " WHERE g.receipt_id = :r ORDER BY g.id",
            r=r["id"],
        )
    po["receipts"] = receipts
    invoices = _rows(session, "SELECT * FROM supplier_invoice WHERE po_id = :p ORDER BY id", p=po_id)
    for inv in invoices:
        inv["lines"] = _rows(
            session, "SELECT * FROM supplier_invoice_line WHERE invoice_id = :i ORDER BY line_no", i=inv["id"]
        )
        inv["matches"] = _rows(
            session, "SELECT * FROM invoice_match WHERE invoice_id = :i ORDER BY attempt, id", i=inv["id"]
        )
    po["invoices"] = invoices
    po["inbound_exceptions"] = _rows(
        session, "SELECT * FROM inbound_exception WHERE po_id = :p ORDER BY id", p=po_id
    )
    po["postings"] = _rows(
        session,
        """
        SELECT e.id, e.idempotency_key, e.posting_date, e.memo, e.reverses_entry_id,
               json_agg(json_build_object('account', a.code, 'role', a.role, 'currency', l.currency,
                        'amount', l.amount, 'amount_func', l.amount_func) ORDER BY l.id) AS lines
          FROM journal_entry e JOIN journal_line l ON l.entry_id = e.id JOIN account a ON a.id = l.account_id
         WHERE e.source_type = 'purchase_order' AND e.source_id = :n
         GROUP BY e.id ORDER BY e.id
        """,
        n=number,
    )
    po["tasks"] = _rows(
        session,
        "SELECT id, kind, title, candidate_role, candidate_user, status, decision, decided_by, acting_for, comment,"
        " escalation_level, due_at, created_at, decided_at, details FROM task"
        " WHERE subject_type = 'purchase_order' AND subject_id = :n ORDER BY id",
        n=number,
    )
    po["history"] = _rows(
        session,
        "SELECT at, actor, acting_for, action, after FROM audit_event"
        " WHERE subject_type = 'purchase_order' AND subject_id = :n ORDER BY id",
        n=number,
    )
    po["linked"] = _rows(
        session, "SELECT number, stage FROM purchase_order WHERE parent_number = :n ORDER BY id", n=number
    )
    return po
