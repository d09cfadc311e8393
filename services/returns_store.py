"""RMA persistence: the header and lines (once per RMA number, re-checked under lock), stage, serials sold."""

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.returns import PersistResult, ReturnInput, StageUpdate
from rules.errors import RuleViolation
from rules.returns import check_quantity
from services.errors import NotFound
from services.returns_intake import order_lines


def header(session: Session, rma_number: str, *, lock: bool = False) -> dict[str, Any]:
    """The RMA header with its order number, channel and customer codes."""
    row = (
        session.connection()
        .execute(
            text(
                f"""
            SELECT r.*, o.number AS order_number, c.code AS channel_code, cu.code AS customer_code,
                   o.payment_method
              FROM return_authorisation r JOIN sales_order o ON o.id = r.order_id
              JOIN channel c ON c.id = r.channel_id JOIN customer cu ON cu.id = r.customer_id
             WHERE r.rma_number = :n {"FOR UPDATE OF r" if lock else ""}
            """
            ),
            {"n": rma_number},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("rma_number", f"return {rma_number} does not exist")
    return dict(row)


def lines(session: Session, return_id: int) -> dict[int, dict[str, Any]]:
    """The RMA's lines by line number."""
    rows = (
        session.connection()
        .execute(
            text(
                "SELECT l.*, i.sku, i.tracking FROM return_line l JOIN item i ON i.id = l.item_id"
                " WHERE l.return_id = :r ORDER BY l.line_no"
            ),
            {"r": return_id},
        )
        .mappings()
        .all()
    )
    return {int(r["line_no"]): dict(r) for r in rows}


def persist(session: Session, rma: ReturnInput) -> PersistResult:
    """Record the RMA once; refuse it (stage rejected) when a concurrent return took the quantity meanwhile."""
    existing = (
        session.connection()
        .execute(
            text("SELECT stage, closed_reason FROM return_authorisation WHERE rma_number = :n"),
            {"n": rma.rma_number},
        )
        .first()
    )
    if existing is not None:
        return PersistResult(accepted=existing[0] != "rejected", reason=existing[1])
    # Lock the order's lines: two RMAs of one order are checked one after the other.
    session.connection().execute(
        text("SELECT id FROM sales_order_line WHERE order_id = :o ORDER BY line_no FOR UPDATE"),
        {"o": rma.order_id},
    )
    reason: str | None = None
    known = order_lines(session, rma.order_id)
    for line in rma.lines:
        ol = known[line.order_line_no]
        try:
            check_quantity(
                f"line {line.order_line_no}", line.qty, Decimal(ol["qty_shipped"]), Decimal(ol["returned"])
            )
        except RuleViolation as exc:
            reason = f"{exc.field}: {exc.reason}"
            break
    return_id = int(
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
