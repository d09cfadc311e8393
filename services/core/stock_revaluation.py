"""Revalue stock without moving it (e.g. a landed-cost true-up): a value-only stock move with its GL entry."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.money import allocate, quantize, quantize_cost
from services.core.ledger import LineIn
from services.core.stock import ItemLocation, MoveOut, ensure_balance, move_by_key, post_value


@dataclass(frozen=True, slots=True)
class RevalueIn:
    """Add `value` (signed) to the stock of an item at a location, against `offset_account`."""

    item_id: int
    location_id: int
    value: Decimal
    reason: str
    source_type: str
    source_id: str
    idempotency_key: str
    posting_date: date
    offset_account: str = AccountRole.LANDED_COST_ACCRUAL
    offset_lines: Sequence[LineIn] = ()
    actor: str = "system"


def revalue(session: Session, req: RevalueIn) -> MoveOut:
    """Record the value change once per key: stock ledger, balance, FIFO layers and GL move together."""
    row = move_by_key(session, req.idempotency_key, "id, value, journal_entry_id")
    if row is not None:
        return MoveOut(int(row[0]), Decimal(0), Decimal(row[1]), Decimal(0), row[2], created=False)
    info = ensure_balance(session, req.item_id, req.location_id)
    value = quantize(req.value, info.currency)
    if value == 0:
        raise RuleViolation("value", "a revaluation needs a non-zero value")
    _require_stock(session, req)
    entry_id = post_value(session, info, req, value)
    move_id = _insert_value_move(session, info, req, value, entry_id)
    session.connection().execute(
        text("UPDATE stock_balance SET value = value + :v WHERE item_id = :i AND location_id = :l"),
        {"v": value, "i": req.item_id, "l": req.location_id},
    )
    if info.valuation_method == "fifo":
        _spread_over_layers(session, req.item_id, req.location_id, value, info.currency)
    return MoveOut(move_id, Decimal(0), value, Decimal(0), entry_id, created=True)


def _require_stock(session: Session, req: RevalueIn) -> None:
    """Lock the balance; refuse when nothing is on hand."""
    on_hand = Decimal(
        session.connection()
        .execute(
            text("SELECT on_hand FROM stock_balance WHERE item_id = :i AND location_id = :l FOR UPDATE"),
            {"i": req.item_id, "l": req.location_id},
        )
        .scalar_one()
    )
    if on_hand <= 0:
        # With nothing on hand the value has nowhere to sit; the caller books it to COGS instead.
        raise RuleViolation(
            "value", f"no stock of item {req.item_id} at location {req.location_id} to revalue"
        )


def _insert_value_move(
    session: Session, info: ItemLocation, req: RevalueIn, value: Decimal, entry_id: int
) -> int:
    """The value-only stock_move row (quantity 0); returns its id."""
    return int(
        session.connection()
        .execute(
            text(
                """
                INSERT INTO stock_move (entity_id, item_id, location_id, qty, unit_cost, value, reason, source_type,
                                        source_id, idempotency_key, posting_date, journal_entry_id)
                VALUES (:e, :i, :l, 0, 0, :v, :r, :st, :si, :k, :d, :je) RETURNING id
                """
            ),
            {
                "e": info.entity_id,
                "i": req.item_id,
                "l": req.location_id,
                "v": value,
                "r": req.reason,
                "st": req.source_type,
                "si": req.source_id,
                "k": req.idempotency_key,
                "d": req.posting_date,
                "je": entry_id,
            },
        )
        .scalar_one()
    )


def _spread_over_layers(
    session: Session, item_id: int, location_id: int, value: Decimal, currency: str
) -> None:
    """FIFO: the open layers carry the new value in proportion to what remains of each."""
    layers = (
        session.connection()
        .execute(
            text(
                "SELECT id, qty_remaining, unit_cost FROM fifo_layer"
                " WHERE item_id = :i AND location_id = :l AND qty_remaining > 0 ORDER BY received_on, id"
            ),
            {"i": item_id, "l": location_id},
        )
        .all()
    )
    if not layers:
        return
    # Split by remaining quantity; issues later value layers at qty x unit cost, so a cent may drift.
    shares = allocate(value, [Decimal(r[1]) for r in layers], currency)
    for (layer_id, remaining, unit_cost), share in zip(layers, shares, strict=True):
        session.connection().execute(
            text("UPDATE fifo_layer SET unit_cost = :c WHERE id = :id"),
            {"c": quantize_cost(Decimal(unit_cost) + share / Decimal(remaining)), "id": layer_id},
        )
