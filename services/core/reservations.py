"""Reservations and inbound quantities on a stock balance, and effects claimed once: conditional updates
that never oversell."""

from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from rules.errors import RuleViolation
from services.core.stock import ensure_balance


def reserve(
    session: Session,
    *,
    item_id: int,
    location_id: int,
    qty: Decimal,
    idempotency_key: str,
    source_type: str,
    source_id: str,
    buffer: Decimal = Decimal(0),
) -> bool:
    """Reserve atomically with one conditional UPDATE (no read-then-write); False when short."""
    if qty <= 0:
        raise RuleViolation("qty", "a reservation needs a positive quantity")
    # No ensure_balance here: with no balance row there is no stock, and the UPDATE below finds no row.
    claimed = (
        session.connection()
        .execute(
            text(
                """
            INSERT INTO reservation (item_id, location_id, qty, source_type, source_id, idempotency_key, status)
            VALUES (:i, :l, :q, :st, :si, :k, 'active') ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
            """
            ),
            {
                "i": item_id,
                "l": location_id,
                "q": qty,
                "st": source_type,
                "si": source_id,
                "k": idempotency_key,
            },
        )
        .first()
    )
    if claimed is None:
        return True  # this key already reserved: a retried activity must not reserve twice
    updated = session.connection().execute(
        text(
            """
            UPDATE stock_balance SET reserved = reserved + :q
             WHERE item_id = :i AND location_id = :l AND on_hand - reserved - :b >= :q
            """
        ),
        {"q": qty, "i": item_id, "l": location_id, "b": buffer},
    )
    if updated.rowcount != 1:
        session.connection().execute(text("DELETE FROM reservation WHERE id = :id"), {"id": claimed[0]})
        return False
    return True


def release(session: Session, idempotency_key: str) -> Decimal:
    """Release an active reservation; releasing twice releases once."""
    row = (
        session.connection()
        .execute(
            text(
                """
            UPDATE reservation SET status = 'released' WHERE idempotency_key = :k AND status = 'active'
            RETURNING item_id, location_id, qty
            """
            ),
            {"k": idempotency_key},
        )
        .first()
    )
    if row is None:
        return Decimal(0)
    session.connection().execute(
        text("UPDATE stock_balance SET reserved = reserved - :q WHERE item_id = :i AND location_id = :l"),
        {"q": row[2], "i": row[0], "l": row[1]},
    )
    return Decimal(row[2])


def claim_effect(session: Session, key: str) -> bool:
    """Claim a one-shot side effect; False when it was applied already."""
    row = (
        session.connection()
        .execute(
            text("INSERT INTO applied_effect (key) VALUES (:k) ON CONFLICT DO NOTHING RETURNING key"),
            {"k": key},
        )
        .first()
    )
    return row is not None


def add_inbound(
    session: Session, *, item_id: int, location_id: int, qty: Decimal, idempotency_key: str
) -> bool:
    """Add (or with qty < 0, remove) quantity on order, once per key."""
    ensure_balance(session, item_id, location_id)
    if not claim_effect(session, idempotency_key):
        return False
    session.connection().execute(
        text(
            "UPDATE stock_balance SET inbound = GREATEST(inbound + :q, 0) WHERE item_id = :i AND location_id = :l"
        ),
        {"q": qty, "i": item_id, "l": location_id},
    )
    return True
