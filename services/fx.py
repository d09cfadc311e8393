"""Exchange rates from the fx_rate table (latest rate on or before the date)."""

from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from services.errors import NotFound


def rate(session: Session, from_currency: str, to_currency: str, on: date) -> Decimal:
    """Units of to_currency per unit of from_currency on a date; inverse rates are used when stored."""
    if from_currency == to_currency:
        return Decimal("1")
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT rate, false AS inverse, rate_date FROM fx_rate
             WHERE from_currency = :f AND to_currency = :t AND rate_date <= :d
            UNION ALL
            SELECT rate, true, rate_date FROM fx_rate
             WHERE from_currency = :t AND to_currency = :f AND rate_date <= :d
            ORDER BY rate_date DESC, inverse LIMIT 1
            """
            ),
            {"f": from_currency, "t": to_currency, "d": on},
        )
        .first()
    )
    if row is None:
        raise NotFound("currency", f"no exchange rate {from_currency}->{to_currency} on or before {on}")
    value = Decimal(row[0])
    return (Decimal(1) / value) if row[1] else value
