"""What was sold and shipped on the order a return is against: the order, its lines, serials and unit costs."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import cast

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.sales import PaymentMethod
from rules.money import quantize_cost

# RMAs that no longer claim units: refused, or closed because the goods never came.
DEAD_STAGES = ("rejected", "expired")


@dataclass(frozen=True, slots=True)
class SoldOrder:
    """The sales order a return is raised against, with its channel and customer."""

    id: int
    number: str
    entity_id: int
    channel_id: int
    channel_code: str
    channel_kind: str
    customer_id: int
    customer_code: str
    currency: str
    payment_method: PaymentMethod


@dataclass(frozen=True, slots=True)
class SoldLine:
    """One order line with its item, paid amounts, shipped quantity, last ship date and quantity already returned."""

    line_no: int
    item_id: int
    sku: str
    tracking: str
    qty: Decimal
    net: Decimal
    tax: Decimal
    qty_shipped: Decimal
    shipped_on: date | None
    returned: Decimal


_ORDER_BY_NUMBER = """
SELECT o.id, o.number, o.entity_id, o.channel_id, c.code AS channel_code, c.kind AS channel_kind,
       o.customer_id, cu.code AS customer_code, o.currency, o.payment_method
  FROM sales_order o JOIN channel c ON c.id = o.channel_id JOIN customer cu ON cu.id = o.customer_id
 WHERE o.number = :n
"""

# Returned so far: what a closed RMA received, what a live one asks for (dead ones claim nothing).
_LINES_WITH_RETURNED = f"""
SELECT l.line_no, l.item_id, i.sku, i.tracking, l.qty, l.gross - l.discount AS net, l.tax, l.qty_shipped,
       (SELECT max(s.shipped_on) FROM shipment s JOIN shipment_line sl ON sl.shipment_id = s.id
         WHERE s.order_id = l.order_id AND sl.line_no = l.line_no) AS shipped_on,
       (SELECT COALESCE(sum(CASE WHEN r.stage IN ('refunded', 'closed') THEN rl.received_qty
                                 ELSE rl.qty END), 0)
          FROM return_line rl JOIN return_authorisation r ON r.id = rl.return_id
         WHERE r.order_id = l.order_id AND rl.order_line_no = l.line_no
           AND r.stage NOT IN {DEAD_STAGES!r}) AS returned
  FROM sales_order_line l JOIN item i ON i.id = l.item_id WHERE l.order_id = :o ORDER BY l.line_no
"""

_SERIALS_ON_LIVE_RETURNS = f"""
SELECT rl.serials FROM return_line rl JOIN return_authorisation r ON r.id = rl.return_id
 WHERE r.order_id = :o AND rl.order_line_no = :ln AND r.stage NOT IN {DEAD_STAGES!r}
"""

_SHIPPED_COST = """
SELECT COALESCE(sum(-m.value), 0), COALESCE(sum(-m.qty), 0)
  FROM shipment s JOIN shipment_line sl ON sl.shipment_id = s.id
  -- Through the key table to the one partition of the move's posting date (by id alone: every partition).
  JOIN stock_move_key k ON k.id = sl.stock_move_id JOIN stock_move m ON m.id = k.id AND m.posting_date = k.posting_date
 WHERE s.order_id = :o AND sl.line_no = :ln
"""


def order_by_number(session: Session, number: str) -> SoldOrder | None:
    """The order with its channel and customer codes, or None."""
    row = session.connection().execute(text(_ORDER_BY_NUMBER), {"n": number}).first()
    if row is None:
        return None
    return SoldOrder(
        id=int(row[0]),
        number=str(row[1]),
        entity_id=int(row[2]),
        channel_id=int(row[3]),
        channel_code=str(row[4]),
        channel_kind=str(row[5]),
        customer_id=int(row[6]),
        customer_code=str(row[7]),
        currency=str(row[8]),
        payment_method=cast(PaymentMethod, row[9]),  # the table's check constraint holds it to these values
    )


def order_lines(session: Session, order_id: int) -> dict[int, SoldLine]:
    """Each order line by line number, with its item, amounts, shipped and already returned quantities."""
    rows = session.connection().execute(text(_LINES_WITH_RETURNED), {"o": order_id}).all()
    return {
        int(r[0]): SoldLine(
            line_no=int(r[0]),
            item_id=int(r[1]),
            sku=str(r[2]),
            tracking=str(r[3]),
            qty=Decimal(r[4]),
            net=Decimal(r[5]),
            tax=Decimal(r[6]),
            qty_shipped=Decimal(r[7]),
            shipped_on=r[8],
            returned=Decimal(r[9]),
        )
        for r in rows
    }


def serials(session: Session, order_id: int, line_no: int) -> tuple[set[str], set[str]]:
    """Serials sold on the order line, and those already on a live return of it."""
    sold = {
        str(r[0])
        for r in session.connection().execute(
            text("SELECT serial FROM sold_serial WHERE order_id = :o AND line_no = :ln"),
            {"o": order_id, "ln": line_no},
        )
    }
    returned = {
        str(sn)
        for r in session.connection().execute(text(_SERIALS_ON_LIVE_RETURNS), {"o": order_id, "ln": line_no})
        for sn in r[0]
    }
    return sold, returned


def original_unit_cost(session: Session, order_id: int, line_no: int) -> Decimal:
    """The cost the line's units left stock at: the value of its shipment stock moves per unit."""
    row = session.connection().execute(text(_SHIPPED_COST), {"o": order_id, "ln": line_no}).one()
    value, qty = Decimal(row[0]), Decimal(row[1])
    return quantize_cost(value / qty) if qty else Decimal(0)


def shipped_from(session: Session, order_id: int, line_no: int) -> int | None:
    """The location the order line last shipped from."""
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT s.location_id FROM shipment s JOIN shipment_line sl ON sl.shipment_id = s.id
             WHERE s.order_id = :o AND sl.line_no = :ln ORDER BY s.shipped_on DESC, s.id DESC LIMIT 1
            """
            ),
            {"o": order_id, "ln": line_no},
        )
        .first()
    )
    return int(row[0]) if row else None
