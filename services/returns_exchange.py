"""Exchanges: the replacement order of an RMA, priced like POST /orders and linked to the return."""

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.returns import ExchangeRequest
from models.contracts.sales import OrderInput
from services.order_intake import Caller
from services.returns_intake import exchange_order
from services.returns_store import header


def replacement_order(session: Session, req: ExchangeRequest) -> OrderInput:
    """Price the replacement order (external id `{rma}-X` on the RMA's channel) and record the link."""
    rma = header(session, req.rma_number, lock=True)
    caller = Caller(
        username=str(rma["requested_by"]),
        entity_ids=frozenset({int(rma["entity_id"])}),
        may_override_floor=False,
    )
    order = exchange_order(session, rma, req.rma_number, req.lines, caller, req.today)
    session.connection().execute(
        text("UPDATE return_authorisation SET exchange_order_number = :o WHERE id = :r"),
        {"o": order.order_number, "r": rma["id"]},
    )
    return order
