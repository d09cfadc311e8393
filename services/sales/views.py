"""Read models of sales orders for the API: header, lines, allocations, shipments, payments, postings, tasks."""

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from rules.periods import period_of


def _rows(session: Session, sql: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in session.connection().execute(text(sql), params).mappings().all()]


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """The order header as GET /orders/{number} shows it, with its channel and customer."""

    id: int
    number: str
    workflow_id: str
    entity_id: int
    channel: str
    channel_kind: str
    customer: str
    external_id: str
    ship_to_region: str
    currency: str
    payment_method: str
    order_date: date
    status: str
    total_gross: Decimal
    total_discount: Decimal
    total_tax: Decimal
    total_due: Decimal
    settled: bool


_SUMMARY = """
SELECT o.id, o.number, o.workflow_id, o.entity_id, c.code AS channel, c.kind AS channel_kind,
       cu.code AS customer, o.external_id, o.ship_to_region, o.currency, o.payment_method, o.order_date,
       o.status, o.total_gross, o.total_discount, o.total_tax, o.total_due, o.settled
  FROM sales_order o JOIN channel c ON c.id = o.channel_id JOIN customer cu ON cu.id = o.customer_id
 WHERE o.number = :n
"""


def order_header(session: Session, number: str) -> OrderSummary | None:
    """The order header with its channel code, or None."""
    row = session.connection().execute(text(_SUMMARY), {"n": number}).first()
    if row is None:
        return None
    return OrderSummary(
        id=int(row[0]),
        number=str(row[1]),
        workflow_id=str(row[2]),
        entity_id=int(row[3]),
        channel=str(row[4]),
        channel_kind=str(row[5]),
        customer=str(row[6]),
        external_id=str(row[7]),
        ship_to_region=str(row[8]),
        currency=str(row[9]),
        payment_method=str(row[10]),
        order_date=row[11],
        status=str(row[12]),
        total_gross=Decimal(row[13]),
        total_discount=Decimal(row[14]),
        total_tax=Decimal(row[15]),
        total_due=Decimal(row[16]),
        settled=bool(row[17]),
    )


def order_detail(session: Session, header: OrderSummary) -> dict[str, Any]:
    """Everything GET /orders/{number} shows."""
    oid, number = header.id, header.number
    return {
        **asdict(header),
        "lines": _rows(
            session,
            """
            SELECT l.line_no, i.sku, l.qty, l.unit_price, l.gross, l.discount, l.tax_rate, l.tax, l.promotion_code,
                   l.substitute_for, l.qty_shipped, l.qty_cancelled, l.qty_backordered, l.promised_date, l.status
              FROM sales_order_line l JOIN item i ON i.id = l.item_id WHERE l.order_id = :o ORDER BY l.line_no
            """,
            o=oid,
        ),
        "allocations": _rows(
            session,
            """
            SELECT a.line_no, a.location_id, a.qty, a.reservation_key, r.status FROM sales_allocation a
              LEFT JOIN reservation r ON r.idempotency_key = a.reservation_key WHERE a.order_id = :o ORDER BY a.id
            """,
            o=oid,
        ),
        "shipments": shipments(session, oid),
        "payments": _rows(
            session,
            "SELECT kind, method, amount, currency, reference, payment_key, journal_entry_id FROM sales_payment"
            " WHERE order_id = :o ORDER BY id",
            o=oid,
        ),
        "postings": _postings(session, number),
        "tasks": _rows(
            session,
            "SELECT id, kind, status, title, candidate_role, decision, options FROM task WHERE workflow_id = :w"
            " ORDER BY id",
            w=header.workflow_id,
        ),
    }


def shipments(session: Session, order_id: int) -> list[dict[str, Any]]:
    """The order's shipments, each with its lines."""
    found = session.connection().execute(
        text("SELECT * FROM shipment WHERE order_id = :o ORDER BY id"), {"o": order_id}
    )
    return [
        {
            **s._asdict(),
            "lines": _rows(
                session,
                "SELECT line_no, qty, cost FROM shipment_line WHERE shipment_id = :s ORDER BY id",
                s=int(s.id),
            ),
        }
        for s in found
    ]


def _postings(session: Session, number: str) -> list[dict[str, Any]]:
    """The order's journal entries, each with its lines."""
    entries = session.connection().execute(
        text(
            """
            SELECT id, idempotency_key, posting_date, memo FROM journal_entry
             WHERE source_type = 'sales_order' AND source_id = :n ORDER BY id
            """
        ),
        {"n": number},
    )
    return [{**e._asdict(), "lines": _entry_lines(session, int(e.id), e.posting_date)} for e in entries]


def _entry_lines(session: Session, entry_id: int, posting_date: date) -> list[dict[str, Any]]:
    """One journal entry's lines with their accounts."""
    return _rows(
        session,
        """
        SELECT a.code AS account, a.role, l.amount, l.currency, l.memo FROM journal_line l
          JOIN account a ON a.id = l.account_id WHERE l.entry_id = :e AND l.period = :p ORDER BY l.id
        """,
        e=entry_id,
        p=period_of(posting_date),  # prunes to the entry's partition
    )


def list_orders(
    session: Session, entity_ids: list[int], status: str | None, channel: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Orders of the caller's entities, newest first."""
    return _rows(
        session,
        """
        SELECT o.number, c.code AS channel, o.status, o.total_due, o.currency, o.order_date FROM sales_order o
          JOIN channel c ON c.id = o.channel_id
         WHERE o.entity_id = ANY(:e) AND (CAST(:s AS text) IS NULL OR o.status = :s)
           AND (CAST(:c AS text) IS NULL OR c.code = :c)
         ORDER BY o.id DESC LIMIT :l OFFSET :off
        """,
        e=entity_ids,
        s=status,
        c=channel,
        l=limit,
        off=offset,
    )
