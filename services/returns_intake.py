"""Return intake: check a return request against the shipped order (422 naming the field) and build the RMA."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.returns import ExchangeLine, RefundMethod, ReturnInput, ReturnLineIn
from models.contracts.sales import OrderInput
from rules.errors import RuleViolation
from rules.money import quantize_cost
from rules.returns import check_quantity, check_serials, check_window, refund_share
from services.order_intake import Caller, OrderAsk, price_order
from services.returns_policy import policy_for

# RMAs that no longer claim units: refused, or closed because the goods never came.
_DEAD_STAGES = ("rejected", "expired")


@dataclass(slots=True)
class _OrderLine:
    """A replacement order line as price_order reads it: list price, no override, no promotion."""

    sku: str
    qty: Decimal
    unit_price: Decimal | None = None
    promotion_code: str | None = None
    discount: Decimal | None = None


class LineAsk(Protocol):
    """What a caller sends for one returned order line."""

    @property
    def line_no(self) -> int:
        """The order line number."""
        ...

    @property
    def qty(self) -> Decimal:
        """Units returned."""
        ...

    @property
    def reason_code(self) -> str:
        """Why they come back."""
        ...

    @property
    def serials(self) -> list[str]:
        """Serial numbers of serial-tracked units."""
        ...


@dataclass(frozen=True, slots=True)
class ReturnAsk:
    """What a caller sends for one return."""

    order_number: str
    refund_method: RefundMethod
    lines: Sequence[LineAsk]
    exchange: Sequence[ExchangeLine] = ()


def _rows(session: Session, sql: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in session.connection().execute(text(sql), params).mappings().all()]


def _order(session: Session, number: str, caller: Caller) -> dict[str, Any]:
    rows = _rows(
        session,
        """
        SELECT o.id, o.number, o.entity_id, o.channel_id, c.code AS channel_code, c.kind AS channel_kind,
               o.customer_id, cu.code AS customer_code, o.currency, o.payment_method
          FROM sales_order o JOIN channel c ON c.id = o.channel_id JOIN customer cu ON cu.id = o.customer_id
         WHERE o.number = :n
        """,
        n=number,
    )
    # Another entity's order is reported exactly like an unknown one.
    if not rows or int(rows[0]["entity_id"]) not in caller.entity_ids:
        raise RuleViolation("order_number", f"unknown order {number!r}")
    return rows[0]


def order_lines(session: Session, order_id: int) -> dict[int, dict[str, Any]]:
    """Each order line with its item, amounts, shipped quantity, last ship date and quantity already returned."""
    rows = _rows(
        session,
        f"""
        SELECT l.line_no, l.item_id, i.sku, i.tracking, l.qty, l.gross - l.discount AS net, l.tax, l.qty_shipped,
               (SELECT max(s.shipped_on) FROM shipment s JOIN shipment_line sl ON sl.shipment_id = s.id
                 WHERE s.order_id = l.order_id AND sl.line_no = l.line_no) AS shipped_on,
               (SELECT COALESCE(sum(CASE WHEN r.stage IN ('refunded', 'closed') THEN rl.received_qty
                                         ELSE rl.qty END), 0)
                  FROM return_line rl JOIN return_authorisation r ON r.id = rl.return_id
                 WHERE r.order_id = l.order_id AND rl.order_line_no = l.line_no
                   AND r.stage NOT IN {_DEAD_STAGES!r}) AS returned
          FROM sales_order_line l JOIN item i ON i.id = l.item_id WHERE l.order_id = :o ORDER BY l.line_no
        """,
        o=order_id,
    )
    return {int(r["line_no"]): r for r in rows}


def _serials(session: Session, order_id: int, line_no: int) -> tuple[set[str], set[str]]:
    """Serials sold on the order line, and those already on a live return of it."""
    sold = {
        str(r["serial"])
        for r in _rows(
            session,
            "SELECT serial FROM sold_serial WHERE order_id = :o AND line_no = :ln",
            o=order_id,
            ln=line_no,
        )
    }
    returned = {
        str(sn)
        for r in _rows(
            session,
            f"""
            SELECT rl.serials FROM return_line rl JOIN return_authorisation r ON r.id = rl.return_id
             WHERE r.order_id = :o AND rl.order_line_no = :ln AND r.stage NOT IN {_DEAD_STAGES!r}
            """,
            o=order_id,
            ln=line_no,
        )
        for sn in r["serials"]
    }
    return sold, returned


def original_unit_cost(session: Session, order_id: int, line_no: int) -> Decimal:
    """The cost the line's units left stock at: the value of its shipment stock moves per unit."""
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT COALESCE(sum(-m.value), 0), COALESCE(sum(-m.qty), 0)
              FROM shipment s JOIN shipment_line sl ON sl.shipment_id = s.id JOIN stock_move m ON m.id = sl.stock_move_id
             WHERE s.order_id = :o AND sl.line_no = :ln
            """
            ),
            {"o": order_id, "ln": line_no},
        )
        .one()
    )
    value, qty = Decimal(row[0]), Decimal(row[1])
    return quantize_cost(value / qty) if qty else Decimal(0)


def next_rma_number(session: Session) -> str:
    """A new RMA number from the database sequence."""
    n = int(session.connection().execute(text("SELECT nextval('return_number_seq')")).scalar_one())
    return f"RMA{n:07d}"


def exchange_order(
    session: Session,
    order: dict[str, Any],
    rma_number: str,
    lines: Sequence[ExchangeLine],
    caller: Caller,
    today: date,
) -> OrderInput:
    """The replacement order of an exchange, priced like POST /orders (external id derived from the RMA)."""
    ask = OrderAsk(
        channel=str(order["channel_code"]),
        external_id=f"{rma_number}-X",
        customer=str(order["customer_code"]),
        ship_to_region=None,
        currency=None,
        payment_method=order["payment_method"],
        lines=[_OrderLine(sku=x.sku, qty=x.qty) for x in lines],
    )
    try:
        return price_order(session, ask, caller, today)
    except RuleViolation as exc:
        raise RuleViolation(exc.field.replace("lines", "exchange", 1), exc.reason) from exc


def build_return(
    session: Session, ask: ReturnAsk, caller: Caller, today: date, rma_number: str
) -> ReturnInput:
    """Check every field of a return request and price and cost every line; raises RuleViolation naming the field."""
    order = _order(session, ask.order_number, caller)
    if ask.refund_method == "store_credit" and order["channel_kind"] == "marketplace":
        raise RuleViolation(
            "refund_method", "marketplace orders are refunded through the marketplace, not store credit"
        )
    if not ask.lines:
        raise RuleViolation("lines", "name at least one order line to return")
    policy = policy_for(session, int(order["channel_id"]), int(order["customer_id"]))
    known = order_lines(session, int(order["id"]))
    seen: set[int] = set()
    lines: list[ReturnLineIn] = []
    for i, a in enumerate(ask.lines):
        field = f"lines[{i}]"
        line = known.get(a.line_no)
        if line is None:
            raise RuleViolation(f"{field}.line_no", f"order {ask.order_number} has no line {a.line_no}")
        if a.line_no in seen:
            raise RuleViolation(f"{field}.line_no", f"line {a.line_no} is named twice")
        seen.add(a.line_no)
        shipped, returned = Decimal(line["qty_shipped"]), Decimal(line["returned"])
        check_quantity(f"{field}.qty", a.qty, shipped, returned)
        check_window(f"{field}.line_no", line["shipped_on"], today, policy.window_days)
        if line["tracking"] == "serial":
            sold, taken = _serials(session, int(order["id"]), a.line_no)
            check_serials(f"{field}.serials", a.qty, list(a.serials), sold, taken)
        elif a.serials:
            raise RuleViolation(f"{field}.serials", f"{line['sku']} is not serial-tracked")
        share = refund_share(
            Decimal(line["net"]),
            Decimal(line["tax"]),
            Decimal(line["qty"]),
            returned,
            a.qty,
            str(order["currency"]),
        )
        lines.append(
            ReturnLineIn(
                line_no=i + 1,
                order_line_no=a.line_no,
                item_id=int(line["item_id"]),
                sku=str(line["sku"]),
                qty=a.qty,
                reason_code=a.reason_code,
                serials=list(a.serials),
                net=share.net,
                tax=share.tax,
                unit_cost=original_unit_cost(session, int(order["id"]), a.line_no),
            )
        )
    if ask.exchange:
        exchange_order(session, order, rma_number, ask.exchange, caller, today)  # validates SKUs and prices
    return ReturnInput(
        rma_number=rma_number,
        entity_id=int(order["entity_id"]),
        order_number=str(order["number"]),
        order_id=int(order["id"]),
        channel_id=int(order["channel_id"]),
        channel_code=str(order["channel_code"]),
        customer_id=int(order["customer_id"]),
        currency=str(order["currency"]),
        payment_method=str(order["payment_method"]),
        refund_method=ask.refund_method,
        requested_by=caller.username,
        requested_on=today,
        lines=lines,
        policy=policy,
        exchange=list(ask.exchange),
    )
