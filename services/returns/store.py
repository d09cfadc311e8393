"""RMA persistence: the header and lines (once per RMA number, re-checked under lock), stage, serials sold."""

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from sqlalchemy import select, text
from sqlmodel import Session, col

from models.contracts.returns import PersistResult, ReturnInput, StageUpdate
from models.contracts.sales import PaymentMethod
from models.returns import ReturnAuthorisation, ReturnDisposition
from rules.errors import RuleViolation
from rules.returns import check_quantity
from services.core.errors import NotFound
from services.returns.sold import order_lines


@dataclass(frozen=True, slots=True)
class RmaHead:
    """The RMA header with its order number, channel and customer codes and the order's payment method."""

    id: int
    rma_number: str
    workflow_id: str
    entity_id: int
    order_id: int
    channel_id: int
    customer_id: int
    currency: str
    refund_method: str
    requested_by: str
    order_number: str
    channel_code: str
    customer_code: str
    payment_method: PaymentMethod


@dataclass(frozen=True, slots=True)
class RmaLine:
    """One returned line: what comes back, the customer's share of net and tax, the original unit cost."""

    line_no: int
    order_line_no: int
    item_id: int
    sku: str
    tracking: str
    qty: Decimal
    net: Decimal
    tax: Decimal
    unit_cost: Decimal
    received_qty: Decimal


_HEADER = """
SELECT r.id, r.rma_number, r.workflow_id, r.entity_id, r.order_id, r.channel_id, r.customer_id, r.currency,
       r.refund_method, r.requested_by, o.number AS order_number, c.code AS channel_code, cu.code AS customer_code,
       o.payment_method
  FROM return_authorisation r JOIN sales_order o ON o.id = r.order_id
  JOIN channel c ON c.id = r.channel_id JOIN customer cu ON cu.id = r.customer_id
 WHERE r.rma_number = :n
"""


def header(session: Session, rma_number: str, *, lock: bool = False) -> RmaHead:
    """The RMA header by number (optionally locked for the rest of the transaction)."""
    sql = _HEADER + (" FOR UPDATE OF r" if lock else "")
    row = session.connection().execute(text(sql), {"n": rma_number}).first()
    if row is None:
        raise NotFound("rma_number", f"return {rma_number} does not exist")
    return RmaHead(
        id=int(row[0]),
        rma_number=str(row[1]),
        workflow_id=str(row[2]),
        entity_id=int(row[3]),
        order_id=int(row[4]),
        channel_id=int(row[5]),
        customer_id=int(row[6]),
        currency=str(row[7]),
        refund_method=str(row[8]),
        requested_by=str(row[9]),
        order_number=str(row[10]),
        channel_code=str(row[11]),
        customer_code=str(row[12]),
        payment_method=cast(PaymentMethod, row[13]),  # the table's check constraint holds it to these values
    )


def lines(session: Session, return_id: int) -> dict[int, RmaLine]:
    """The RMA's lines by line number."""
    rows = session.connection().execute(
        text(
            "SELECT l.line_no, l.order_line_no, l.item_id, i.sku, i.tracking, l.qty, l.net, l.tax, l.unit_cost,"
            " l.received_qty FROM return_line l JOIN item i ON i.id = l.item_id"
            " WHERE l.return_id = :r ORDER BY l.line_no"
        ),
        {"r": return_id},
    )
    return {
        int(r[0]): RmaLine(
            line_no=int(r[0]),
            order_line_no=int(r[1]),
            item_id=int(r[2]),
            sku=str(r[3]),
            tracking=str(r[4]),
            qty=Decimal(r[5]),
            net=Decimal(r[6]),
            tax=Decimal(r[7]),
            unit_cost=Decimal(r[8]),
            received_qty=Decimal(r[9]),
        )
        for r in rows
    }


def booked_part_value(session: Session, return_id: int, part_no: int) -> Decimal | None:
    """The value a part of the return was booked at, or None while it is not booked."""
    value = (
        session.connection()
        .execute(
            select(col(ReturnDisposition.value)).where(
                col(ReturnDisposition.return_id) == return_id, col(ReturnDisposition.part_no) == part_no
            )
        )
        .scalar()
    )
    return None if value is None else Decimal(value)


def persist(session: Session, rma: ReturnInput) -> PersistResult:
    """Record the RMA once; refuse it (stage rejected) when a concurrent return took the quantity meanwhile."""
    ra = ReturnAuthorisation
    existing = (
        session.connection()
        .execute(select(col(ra.stage), col(ra.closed_reason)).where(col(ra.rma_number) == rma.rma_number))
        .first()
    )
    if existing is not None:
        return PersistResult(accepted=existing[0] != "rejected", reason=existing[1])
    reason = _quantity_refusal(session, rma)
    return_id = _insert_header(session, rma, reason)
    for line in rma.lines:
        session.connection().execute(
            text(
                """
                INSERT INTO return_line (return_id, line_no, order_line_no, item_id, qty, reason_code, serials, net, tax,
                                         unit_cost, received_qty)
                VALUES (:r, :ln, :oln, :i, :q, :rc, CAST(:sn AS jsonb), :net, :tax, :uc, 0)
                """
            ),
            {
                "r": return_id,
                "ln": line.line_no,
                "oln": line.order_line_no,
                "i": line.item_id,
                "q": line.qty,
                "rc": line.reason_code,
                "sn": json.dumps(line.serials),
                "net": line.net,
                "tax": line.tax,
                "uc": line.unit_cost,
            },
        )
    return PersistResult(accepted=reason is None, reason=reason)


def _quantity_refusal(session: Session, rma: ReturnInput) -> str | None:
    """Why the RMA cannot be taken (a line returns more than is shipped and not yet returned), or None."""
    # Lock the order's lines: two RMAs of one order are checked one after the other.
    session.connection().execute(
        text("SELECT id FROM sales_order_line WHERE order_id = :o ORDER BY line_no FOR UPDATE"),
        {"o": rma.order_id},
    )
    known = order_lines(session, rma.order_id)
    for line in rma.lines:
        ol = known[line.order_line_no]
        try:
            check_quantity(f"line {line.order_line_no}", line.qty, ol.qty_shipped, ol.returned)
        except RuleViolation as exc:
            return f"{exc.field}: {exc.reason}"
    return None


def _insert_header(session: Session, rma: ReturnInput, reason: str | None) -> int:
    """The return_authorisation row, rejected when `reason` says why; returns its id."""
    return int(
        session.connection()
        .execute(
            text(
                """
            INSERT INTO return_authorisation (rma_number, workflow_id, entity_id, order_id, channel_id, customer_id,
                                              currency, refund_method, stage, pending_on, requested_by, requested_on,
                                              value, refunded, refunded_early, closed_reason)
            VALUES (:n, :wf, :e, :o, :ch, :cu, :cur, :rm, :stage, '', :by, :on, :v, 0, false, :reason) RETURNING id
            """
            ),
            {
                "n": rma.rma_number,
                "wf": f"Return-{rma.rma_number}",
                "e": rma.entity_id,
                "o": rma.order_id,
                "ch": rma.channel_id,
                "cu": rma.customer_id,
                "cur": rma.currency,
                "rm": rma.refund_method,
                "stage": "rejected" if reason else "requested",
                "by": rma.requested_by,
                "on": rma.requested_on,
                "v": rma.value,
                "reason": reason,
            },
        )
        .scalar_one()
    )


def set_stage(session: Session, upd: StageUpdate) -> None:
    """Record the RMA's stage and what it waits on (what GET /returns shows)."""
    session.connection().execute(
        text(
            """
            UPDATE return_authorisation
               SET stage = :s, pending_on = :p, approved_by = COALESCE(:a, approved_by),
                   goods_due = COALESCE(:d, goods_due), closed_reason = COALESCE(:r, closed_reason)
             WHERE rma_number = :n
            """
        ),
        {
            "s": upd.stage,
            "p": upd.pending_on[:200],
            "a": upd.approved_by,
            "d": upd.goods_due,
            "r": upd.closed_reason,
            "n": upd.rma_number,
        },
    )


def record_serials(session: Session, order_id: int, line_no: int, serials: list[str], actor: str) -> int:
    """Record serial numbers scanned out with an order line (never more than it shipped); returns how many are known."""
    row = (
        session.connection()
        .execute(
            text(
                "SELECT l.item_id, l.qty_shipped, i.tracking FROM sales_order_line l JOIN item i ON i.id = l.item_id"
                " WHERE l.order_id = :o AND l.line_no = :ln"
            ),
            {"o": order_id, "ln": line_no},
        )
        .first()
    )
    if row is None:
        raise RuleViolation("line_no", f"the order has no line {line_no}")
    if row[2] != "serial":
        raise RuleViolation("serials", "the line's item is not serial-tracked")
    for sn in serials:
        session.connection().execute(
            text(
                """
                INSERT INTO sold_serial (order_id, line_no, item_id, serial, recorded_by) VALUES (:o, :ln, :i, :s, :a)
                ON CONFLICT (order_id, line_no, serial) DO NOTHING
                """
            ),
            {"o": order_id, "ln": line_no, "i": row[0], "s": sn, "a": actor},
        )
    known = int(
        session.connection()
        .execute(
            text("SELECT count(*) FROM sold_serial WHERE order_id = :o AND line_no = :ln"),
            {"o": order_id, "ln": line_no},
        )
        .scalar_one()
    )
    if known > Decimal(row[1]):
        raise RuleViolation("serials", f"the line shipped {row[1]} units, not {known}")
    return known
