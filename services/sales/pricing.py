"""Price-list and promotion look-ups for order intake (read-only); sales tax is the tax port (ports.tax)."""

from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session


def channel_price(session: Session, channel_id: int, item_id: int, on: date) -> Decimal | None:
    """The channel's list price of an item on a date (latest row valid then), or None."""
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT price FROM channel_price WHERE channel_id = :c AND item_id = :i AND valid_from <= :d
             ORDER BY valid_from DESC LIMIT 1
            """
            ),
            {"c": channel_id, "i": item_id, "d": on},
        )
        .first()
    )
    return Decimal(row[0]) if row else None


def promotion_percent(session: Session, code: str, channel_id: int, on: date) -> Decimal | None:
    """Percent off of a promotion valid on the channel (or on every channel) on a date, or None."""
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT percent_off FROM promotion
             WHERE code = :code AND (channel_id IS NULL OR channel_id = :c)
               AND valid_from <= :d AND (valid_to IS NULL OR valid_to >= :d)
            """
            ),
            {"code": code, "c": channel_id, "d": on},
        )
        .first()
    )
    return Decimal(row[0]) if row else None
