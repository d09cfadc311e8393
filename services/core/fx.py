"""Exchange rates from the fx_rate table (latest rate on or before the date)."""

from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from services.core.errors import NotFound


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


def daily_rates(
    session: Session, from_currency: str, to_currency: str, start: date, end: date
) -> list[Decimal]:
    """The rate in effect on each day from start to end (days before the first known rate are left out)."""
    if from_currency == to_currency:
        return [Decimal("1")]
    rows = session.connection().execute(
        text(
            """
        SELECT r.rate, r.inverse FROM generate_series(CAST(:s AS date), CAST(:e AS date), interval '1 day') AS d(day)
        CROSS JOIN LATERAL (
            SELECT rate, false AS inverse, rate_date FROM fx_rate
             WHERE from_currency = :f AND to_currency = :t AND rate_date <= d.day
            UNION ALL
            SELECT rate, true, rate_date FROM fx_rate
             WHERE from_currency = :t AND to_currency = :f AND rate_date <= d.day
            ORDER BY rate_date DESC, inverse LIMIT 1) AS r
        ORDER BY d.day
        """
        ),
        {"f": from_currency, "t": to_currency, "s": start, "e": end},
    )
    return [(Decimal(1) / Decimal(rate)) if inverse else Decimal(rate) for rate, inverse in rows]
