"""Read models of returns for the API: the RMA with lines, dispositions, credit note, postings, moves, tasks."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from rules.periods import period_of


def _rows(session: Session, sql: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in session.connection().execute(text(sql), params).mappings().all()]


@dataclass(frozen=True, slots=True)
class ReturnSummary:
    """The RMA header as GET /returns/{rma} shows it (`shown`: its columns, with its order, channel and customer),
    and the keys the routes act on."""

    id: int
    rma_number: str
    workflow_id: str
    entity_id: int
    order_number: str
    shown: dict[str, Any]


_SUMMARY = """
SELECT r.id, r.rma_number, r.workflow_id, r.entity_id, o.number AS order_number, c.code AS channel,
       cu.code AS customer, r.currency, r.refund_method, r.stage, r.pending_on, r.requested_by,
       r.requested_on, r.goods_due, r.approved_by, r.value, r.refunded, r.refunded_early,
       r.credit_note_number, r.exchange_order_number, r.closed_reason
  FROM return_authorisation r JOIN sales_order o ON o.id = r.order_id JOIN channel c ON c.id = r.channel_id
  JOIN customer cu ON cu.id = r.customer_id
 WHERE r.rma_number = :n
"""


def return_header(session: Session, rma_number: str) -> ReturnSummary | None:
    """The RMA header with its order, channel and customer, or None."""
    row = session.connection().execute(text(_SUMMARY), {"n": rma_number}).mappings().first()
    if row is None:
        return None
    return ReturnSummary(
        id=int(row["id"]),
        rma_number=str(row["rma_number"]),
        workflow_id=str(row["workflow_id"]),
        entity_id=int(row["entity_id"]),
        order_number=str(row["order_number"]),
        shown=dict(row),
    )


def return_detail(session: Session, head: ReturnSummary) -> dict[str, Any]:
    """Everything GET /returns/{rma} shows."""
    rid, number = head.id, head.rma_number
    return {
        **head.shown,
        "lines": _rows(
            session,
            """
            SELECT l.line_no, l.order_line_no, i.sku, l.qty, l.reason_code, l.serials, l.net, l.tax, l.unit_cost,
                   l.received_qty
              FROM return_line l JOIN item i ON i.id = l.item_id WHERE l.return_id = :r ORDER BY l.line_no
            """,
            r=rid,
        ),
        "dispositions": _dispositions(session, rid),
        "credit_note": _credit_note(session, rid),
        "stock_moves": _rows(
            session,
            """
            SELECT id, item_id, location_id, serial, qty, unit_cost, value, reason, posting_date FROM stock_move
             WHERE source_type = 'return' AND source_id = :n ORDER BY id
            """,
            n=number,
        ),
        "postings": _postings(session, number),
        "documents": _rows(
            session,
            "SELECT kind, idempotency_key, payload, created_at FROM outbox_message WHERE document_id IN (:n, :o)"
            " AND idempotency_key LIKE :k ORDER BY id",
            n=number,
            o=head.order_number,
            k=f"return:{number}:%",
        ),
        "tasks": _rows(
            session,
            "SELECT id, kind, status, title, candidate_role, requested_by, decision, decided_by, options FROM task"
            " WHERE workflow_id = :w ORDER BY id",
            w=head.workflow_id,
        ),
    }


def _postings(session: Session, number: str) -> list[dict[str, Any]]:
    """The return's journal entries (by source or by key), each with its lines and their partners."""
    entries = session.connection().execute(
        text(
            """
            SELECT id, idempotency_key, posting_date, memo FROM journal_entry
             WHERE (source_type = 'return' AND source_id = :n) OR idempotency_key LIKE :k ORDER BY id
            """
        ),
        {"n": number, "k": f"return:{number}:%"},
    )
    return [{**e._asdict(), "lines": _entry_lines(session, int(e.id), e.posting_date)} for e in entries]


def _entry_lines(session: Session, entry_id: int, posting_date: date) -> list[dict[str, Any]]:
    """One journal entry's lines with their accounts and partners."""
    return _rows(
        session,
        """
        SELECT a.code AS account, a.role, l.amount, l.currency, l.memo, l.partner_type, l.partner_id
          FROM journal_line l JOIN account a ON a.id = l.account_id WHERE l.entry_id = :e AND l.period = :p ORDER BY l.id
        """,
        e=entry_id,
        p=period_of(posting_date),  # prunes to the entry's partition
    )


def _dispositions(session: Session, return_id: int) -> list[dict[str, Any]]:
    """What became of each returned part (restock, scrap, to vendor), in part order."""
    return _rows(
        session,
        """
            SELECT d.part_no, d.line_no, d.qty, d.disposition, d.location_id, d.serial, d.value, d.stock_move_id,
                   d.journal_entry_id, s.code AS supplier, d.debit_note_number, d.received_on, d.received_by
              FROM return_disposition d LEFT JOIN supplier s ON s.id = d.supplier_id
             WHERE d.return_id = :r ORDER BY d.part_no
            """,
        r=return_id,
    )


def _credit_note(session: Session, return_id: int) -> dict[str, Any] | None:
    """The return's credit note, or None before the refund."""
    return next(
        iter(
            _rows(
                session,
                "SELECT number, net, tax, total, method, journal_entry_id, payment_id, issued_on FROM credit_note"
                " WHERE return_id = :r",
                r=return_id,
            )
        ),
        None,
    )


def list_returns(
    session: Session, entity_ids: list[int], stage: str | None, order: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Returns of the caller's entities, newest first."""
    return _rows(
        session,
        """
        SELECT r.rma_number, o.number AS order_number, c.code AS channel, r.stage, r.pending_on, r.value, r.refunded,
               r.currency, r.requested_on
          FROM return_authorisation r JOIN sales_order o ON o.id = r.order_id JOIN channel c ON c.id = r.channel_id
         WHERE r.entity_id = ANY(:e) AND (CAST(:s AS text) IS NULL OR r.stage = :s)
           AND (CAST(:o AS text) IS NULL OR o.number = :o)
         ORDER BY r.id DESC LIMIT :l OFFSET :off
        """,
        e=entity_ids,
        s=stage,
        o=order,
        l=limit,
        off=offset,
    )
