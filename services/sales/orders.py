"""Sales order persistence: intake rows, line progress, stage, backorder dates (inside the caller's transaction)."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.sales import (
    BackorderRequest,
    BackorderResult,
    LineUpdate,
    OrderInput,
    PricedLine,
    StageUpdate,
)
from services.core.events import emit, skus
from services.sales.store import OrderHead, order_head

DEFAULT_LEAD_DAYS = 14


def persist_order(session: Session, order: OrderInput) -> int:
    """Insert the order and its lines once; a second call returns the existing id."""
    gross = sum((line.gross for line in order.lines), Decimal(0))
    discount = sum((line.discount for line in order.lines), Decimal(0))
    tax = sum((line.tax for line in order.lines), Decimal(0))
    row = (
        session.connection()
        .execute(
            text(
                """
            INSERT INTO sales_order (number, workflow_id, entity_id, channel_id, customer_id, external_id,
                                     ship_to_region, currency, payment_method, order_date, status, total_gross,
                                     total_discount, total_tax, total_due, settled, created_by)
            VALUES (:n, :wf, :e, :c, :cu, :x, :r, :cur, :pm, :d, 'received', :g, :disc, :tax, :due, false, :by)
            ON CONFLICT (number) DO NOTHING RETURNING id
            """
            ),
            {
                "n": order.order_number,
                "wf": f"Order-{order.order_number}",
                "e": order.entity_id,
                "c": order.channel_id,
                "cu": order.customer_id,
                "x": order.external_id,
                "r": order.ship_to_region,
                "cur": order.currency,
                "pm": order.payment_method,
                "d": order.order_date,
                "g": gross,
                "disc": discount,
                "tax": tax,
                "due": gross - discount + tax,
                "by": order.created_by,
            },
        )
        .first()
    )
    if row is None:
        return order_head(session, order.order_number).id
    order_id = int(row[0])
    for line in order.lines:
        insert_line(session, order_id, line)
    emit(
        session,
        event_type="sales_order.received",
        key=f"so:{order.order_number}:received",
        entity_id=order.entity_id,
        document_type="sales_order",
        document_id=order.order_number,
        data={
            "order_number": order.order_number,
            "channel_code": order.channel_code,
            "external_id": order.external_id,
            "currency": order.currency,
            "total_due": str(gross - discount + tax),
        },
    )
    return order_id


def insert_line(session: Session, order_id: int, line: PricedLine) -> None:
    """Insert one order line (once per order x line number)."""
    session.connection().execute(
        text(
            """
            INSERT INTO sales_order_line (order_id, line_no, item_id, qty, unit_price, gross, discount, tax_rate, tax,
                                          promotion_code, substitute_for, qty_shipped, qty_cancelled,
                                          qty_backordered, status)
            VALUES (:o, :ln, :i, :q, :p, :g, :disc, :tr, :tax, :promo, :sub, 0, 0, 0, 'open')
            ON CONFLICT (order_id, line_no) DO NOTHING
            """
        ),
        {
            "o": order_id,
            "ln": line.line_no,
            "i": line.item_id,
            "q": line.qty,
            "p": line.unit_price,
            "g": line.gross,
            "disc": line.discount,
            "tr": line.tax_rate,
            "tax": line.tax,
            "promo": line.promotion_code,
            "sub": line.substitute_for,
        },
    )


def set_stage(session: Session, upd: StageUpdate) -> None:
    """Record the order's stage (what operators and GET /orders see); reaching cancelled is reported."""
    session.connection().execute(
        text("UPDATE sales_order SET status = :s WHERE number = :n"), {"s": upd.stage, "n": upd.order_number}
    )
    if upd.stage == "cancelled":
        # The stage is set once every line's open quantity is cancelled and holds are released.
        emit(
            session,
            event_type="sales_order.cancelled",
            key=f"so:{upd.order_number}:cancelled",
            entity_id=order_head(session, upd.order_number).entity_id,
            document_type="sales_order",
            document_id=upd.order_number,
            data={"order_number": upd.order_number},
        )


def update_line(session: Session, upd: LineUpdate) -> None:
    """Record a line's promised date, backordered or cancelled quantity and status (absolute values)."""
    order_id = order_head(session, upd.order_number).id
    session.connection().execute(
        text(
            """
            UPDATE sales_order_line
               SET promised_date = COALESCE(:pd, promised_date), qty_backordered = COALESCE(:bo, qty_backordered),
                   qty_cancelled = COALESCE(:qc, qty_cancelled), status = COALESCE(:st, status)
             WHERE order_id = :o AND line_no = :ln
            """
        ),
        {
            "pd": upd.promised_date,
            "bo": upd.qty_backordered,
            "qc": upd.qty_cancelled,
            "st": upd.status,
            "o": order_id,
            "ln": upd.line_no,
        },
    )


def _inbound_po(session: Session, entity_id: int, item_id: int) -> tuple[str, date, int] | None:
    """The open purchase order line of the item arriving first, if the purchasing tables exist."""
    if session.connection().execute(text("SELECT to_regclass('purchase_order_line')")).scalar() is None:
        return None
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT po.number, po.expected_date, pl.location_id
              FROM purchase_order po JOIN purchase_order_line pl ON pl.po_id = po.id
             WHERE po.entity_id = :e AND pl.item_id = :i AND po.stage IN ('issued', 'delayed', 'receiving')
               AND pl.qty - pl.received_qty - pl.cancelled_qty > 0
             ORDER BY po.expected_date, po.number LIMIT 1
            """
            ),
            {"e": entity_id, "i": item_id},
        )
        .first()
    )
    return (str(row[0]), row[1], int(row[2])) if row else None


def _lead_time_days(session: Session, item_id: int) -> int:
    """Shortest lead time among the item's suppliers, or a default when it has none."""
    days = (
        session.connection()
        .execute(
            text(
                """
            SELECT min(s.lead_time_days) FROM supplier s JOIN supplier_price p ON p.supplier_id = s.id
             WHERE p.item_id = :i AND NOT s.archived
            """
            ),
            {"i": item_id},
        )
        .scalar()
    )
    return int(days) if days is not None else DEFAULT_LEAD_DAYS


def sourcing_locations(session: Session, order: OrderHead) -> list[int]:
    """Locations the order's channel may sell from: its store for POS, else the entity's warehouses and stores."""
    if order.channel_kind == "pos":
        return [order.store_location_id] if order.store_location_id else []
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT id FROM location WHERE entity_id = :e AND NOT archived AND kind IN ('warehouse', 'store')
             ORDER BY kind = 'store', id
            """
            ),
            {"e": order.entity_id},
        )
        .all()
    )
    return [int(r[0]) for r in rows]


def _allocation_round(session: Session, order_number: str) -> int:
    """The order's latest allocation round: rounds claim `order:{n}:alloc:1`, `:2`, ... one after another."""
    done = 0
    while True:
        # Primary-key lookups in windows of 32: a prefix LIKE would scan the whole table.
        window = {f"order:{order_number}:alloc:{r}": r for r in range(done + 1, done + 33)}
        claimed = set(
            session.connection()
            .execute(text("SELECT key FROM applied_effect WHERE key = ANY(:k)"), {"k": list(window)})
            .scalars()
        )
        for key, r in window.items():
            if key not in claimed:
                return done
            done = r


def backorder(session: Session, req: BackorderRequest) -> BackorderResult:
    """Promise the inbound PO's expected date, else today + supplier lead time; list locations to watch."""
    order = order_head(session, req.order_number)
    po = _inbound_po(session, order.entity_id, req.item_id)
    if po is not None:
        number, expected, location_id = po
        result = BackorderResult(
            promised_date=max(expected, req.today),
            po_number=number,
            location_ids=sorted({location_id, *sourcing_locations(session, order)}),
        )
    else:
        result = BackorderResult(
            promised_date=req.today + timedelta(days=_lead_time_days(session, req.item_id)),
            po_number=None,
            location_ids=sourcing_locations(session, order),
        )
    update_line(
        session,
        LineUpdate(
            order_number=req.order_number,
            line_no=req.line_no,
            promised_date=result.promised_date,
            qty_backordered=req.qty,
            status="backordered",
        ),
    )
    # A backorder always follows the allocation round that came up short, so that round names the fact:
    # a retry of this activity finds the same round, a later shortage of the line comes with a new one.
    round_no = _allocation_round(session, req.order_number)
    emit(
        session,
        event_type="sales_order.backordered",
        key=f"so:{req.order_number}:line:{req.line_no}:backordered:{round_no}",
        entity_id=order.entity_id,
        document_type="sales_order",
        document_id=req.order_number,
        data={
            "order_number": req.order_number,
            "lines": [
                {
                    "line_no": req.line_no,
                    "item_id": req.item_id,
                    "sku": skus(session, [req.item_id]).get(req.item_id),
                    "qty": str(req.qty),
                }
            ],
            "promised_date": result.promised_date.isoformat(),
        },
    )
    return result
