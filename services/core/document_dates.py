"""Date checks that need the database: a receipt not before its PO, a posting date in an open period."""

from datetime import date

from sqlalchemy import text
from sqlmodel import Session

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
        .execute(text("SELECT entity_id, order_date FROM purchase_order WHERE number = :n"), {"n": number})
        .first()
    )
    if row is None:
        return  # the route answers 404
    if received_on < row[1]:
        raise RuleViolation("received_on", f"must not be before the PO's order date {row[1].isoformat()}")
    check_open_period(session, int(row[0]), "received_on", received_on)
