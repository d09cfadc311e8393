"""Date checks that need the database: a receipt not before its PO, a posting date in an open period."""

from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from models.purchasing import PurchaseOrder
from rules.errors import RuleViolation
from rules.periods import PeriodStatus, period_of
from services.core.ledger import period_status


def check_open_period(session: Session, entity_id: int, field: str, on: date) -> None:
    """Refuse a date whose period is soft-closed or closed (only closers post there, never a workflow)."""
    period = period_of(on)
    status = period_status(session, entity_id, period)
    if status != PeriodStatus.OPEN:
        raise RuleViolation(field, f"period {period} is {status}; date it in an open period")


def check_receipt_date(session: Session, number: str, received_on: date) -> None:
    """Refuse a receipt dated before its PO was ordered (the supplier scorecard's lead time) or in a closed period."""
    row = (
        session.connection()
        .execute(
            select(col(PurchaseOrder.entity_id), col(PurchaseOrder.order_date)).where(
                col(PurchaseOrder.number) == number
            )
        )
        .first()
    )
    if row is None:
        return  # the route answers 404
    entity_id, ordered = row
    if received_on < ordered:
        raise RuleViolation("received_on", f"must not be before the PO's order date {ordered.isoformat()}")
    check_open_period(session, entity_id, "received_on", received_on)
