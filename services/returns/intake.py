"""Return intake: check a return request against the shipped order (422 naming the field) and build the RMA."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.returns import ExchangeLine, RefundMethod, ReturnInput, ReturnLineIn
from models.contracts.sales import OrderInput, PaymentMethod
from rules.errors import RuleViolation
from rules.returns import check_quantity, check_serials, check_window, refund_share
from services.returns.policy import policy_for
from services.returns.sold import (
    SoldLine,
    SoldOrder,
    order_by_number,
    order_lines,
    original_unit_cost,
    serials,
)
from services.sales.intake import Caller, OrderAsk, price_order


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


class SoldTo(Protocol):
    """Whom a replacement order goes to: the channel, customer and payment method of the original order."""

    @property
    def channel_code(self) -> str:
        """The channel's code."""
        ...

    @property
    def customer_code(self) -> str:
        """The customer's code."""
        ...

    @property
    def payment_method(self) -> PaymentMethod:
        """How the original order was paid."""
        ...


def _order(session: Session, number: str, caller: Caller) -> SoldOrder:
    order = order_by_number(session, number)
    # Another entity's order is reported exactly like an unknown one.
    if order is None or order.entity_id not in caller.entity_ids:
        raise RuleViolation("order_number", f"unknown order {number!r}")
    return order


def next_rma_number(session: Session) -> str:
    """A new RMA number from the database sequence."""
    n = int(session.connection().execute(text("SELECT nextval('return_number_seq')")).scalar_one())
    return f"RMA{n:07d}"


def exchange_order(
    session: Session,
    order: SoldTo,
    rma_number: str,
    lines: Sequence[ExchangeLine],
    caller: Caller,
    today: date,
) -> OrderInput:
    """The replacement order of an exchange, priced like POST /orders (external id derived from the RMA)."""
    ask = OrderAsk(
        channel=order.channel_code,
        external_id=f"{rma_number}-X",
        customer=order.customer_code,
        ship_to_region=None,
        currency=None,
        payment_method=order.payment_method,
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
    if ask.refund_method == "store_credit" and order.channel_kind == "marketplace":
        raise RuleViolation(
            "refund_method", "marketplace orders are refunded through the marketplace, not store credit"
        )
    if not ask.lines:
        raise RuleViolation("lines", "name at least one order line to return")
    policy = policy_for(session, order.channel_id, order.customer_id)
    known = order_lines(session, order.id)
    seen: set[int] = set()
    lines: list[ReturnLineIn] = []
    for i, a in enumerate(ask.lines):
        lines.append(
            _return_line(session, ask.order_number, order, known, seen, i, a, today, policy.window_days)
        )
    if ask.exchange:
        exchange_order(session, order, rma_number, ask.exchange, caller, today)  # validates SKUs and prices
    return ReturnInput(
        rma_number=rma_number,
        entity_id=order.entity_id,
        order_number=order.number,
        order_id=order.id,
        channel_id=order.channel_id,
        channel_code=order.channel_code,
        customer_id=order.customer_id,
        currency=order.currency,
        payment_method=order.payment_method,
        refund_method=ask.refund_method,
        requested_by=caller.username,
        requested_on=today,
        lines=lines,
        policy=policy,
        exchange=list(ask.exchange),
    )


def _return_line(
    session: Session,
    order_number: str,
    order: SoldOrder,
    known: dict[int, SoldLine],
    seen: set[int],
    i: int,
    a: LineAsk,
    today: date,
    window_days: int,
) -> ReturnLineIn:
    """Check one asked line (once, within the shipped and not yet returned quantity, the window, its serials)
    and give it its share of the paid net and tax and its original unit cost; adds its line number to `seen`."""
    field = f"lines[{i}]"
    line = known.get(a.line_no)
    if line is None:
        raise RuleViolation(f"{field}.line_no", f"order {order_number} has no line {a.line_no}")
    if a.line_no in seen:
        raise RuleViolation(f"{field}.line_no", f"line {a.line_no} is named twice")
    seen.add(a.line_no)
    check_quantity(f"{field}.qty", a.qty, line.qty_shipped, line.returned)
    # A line with units left to return has shipped, so it has a ship date.
    assert line.shipped_on is not None
    check_window(f"{field}.line_no", line.shipped_on, today, window_days)
    if line.tracking == "serial":
        sold, taken = serials(session, order.id, a.line_no)
        check_serials(f"{field}.serials", a.qty, list(a.serials), sold, taken)
    elif a.serials:
        raise RuleViolation(f"{field}.serials", f"{line.sku} is not serial-tracked")
    share = refund_share(line.net, line.tax, line.qty, line.returned, a.qty, order.currency)
    return ReturnLineIn(
        line_no=i + 1,
        order_line_no=a.line_no,
        item_id=line.item_id,
        sku=line.sku,
        qty=a.qty,
        reason_code=a.reason_code,
        serials=list(a.serials),
        net=share.net,
        tax=share.tax,
        unit_cost=original_unit_cost(session, order.id, a.line_no),
    )
