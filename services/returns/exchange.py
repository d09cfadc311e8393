"""Exchanges: the replacement order of an RMA, priced like POST /orders and linked to the return."""

from sqlalchemy import update
from sqlmodel import Session, col

from models.contracts.returns import ExchangeRequest
from models.contracts.sales import OrderInput
from models.returns import ReturnAuthorisation
from services.returns.intake import exchange_order
from services.returns.store import header
from services.sales.intake import Caller


def replacement_order(session: Session, req: ExchangeRequest) -> OrderInput:
    """Price the replacement order (external id `{rma}-X` on the RMA's channel) and record the link."""
    rma = header(session, req.rma_number, lock=True)
    caller = Caller(
        username=rma.requested_by,
        entity_ids=frozenset({rma.entity_id}),
        may_override_floor=False,
    )
    order = exchange_order(session, rma, req.rma_number, req.lines, caller, req.today)
    session.connection().execute(
        update(ReturnAuthorisation)
        .where(col(ReturnAuthorisation.id) == rma.id)
        .values(exchange_order_number=order.order_number)
    )
    return order
