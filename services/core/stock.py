"""Stock service: every valued move posts its GL entry in the same transaction, once per key."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Row, text
from sqlmodel import Session

from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.money import quantize, quantize_cost
from rules.valuation import AverageCost, FifoLayer, consume_fifo, issue_average
from services.core import ledger
from services.core.errors import InsufficientStock, NotFound
from services.core.ledger import LineIn


@dataclass(frozen=True, slots=True)
class MoveIn:
    """A stock movement request; qty > 0 receives, qty < 0 issues."""

    item_id: int
    location_id: int
    qty: Decimal
    reason: str
    source_type: str
    source_id: str
    idempotency_key: str
    posting_date: date
    unit_cost: Decimal | None = None
    offset_account: str = AccountRole.GRNI
    offset_lines: Sequence[LineIn] = ()
    lot: str | None = None
    serial: str | None = None
    release_inbound: Decimal = Decimal(0)
    consume_reservation_key: str | None = None
    actor: str = "system"


@dataclass(frozen=True, slots=True)
class MoveOut:
    """The recorded move: its id, signed qty and value, and the GL entry."""

    move_id: int
    qty: Decimal
    value: Decimal
    unit_cost: Decimal
    journal_entry_id: int | None
    created: bool


@dataclass(frozen=True, slots=True)
class ItemLocation:
    """What valuation needs to know about an item at a location."""

    entity_id: int
    currency: str
    valuation_method: str
    allow_negative: bool


def _item_location(session: Session, item_id: int, location_id: int) -> ItemLocation:
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT l.entity_id, e.currency, i.valuation_method, i.allow_negative
              FROM item i, location l JOIN entity e ON e.id = l.entity_id
             WHERE i.id = :i AND l.id = :l
            """
            ),
            {"i": item_id, "l": location_id},
        )
        .first()
    )
    if row is None:
        raise NotFound("item_id", f"item {item_id} or location {location_id} does not exist")
    return ItemLocation(int(row[0]), str(row[1]), str(row[2]), bool(row[3]))


def ensure_balance(session: Session, item_id: int, location_id: int) -> ItemLocation:
    """Create the balance row of an item x location if it does not exist yet."""
    info = _item_location(session, item_id, location_id)
    session.connection().execute(
        text(
            """
            INSERT INTO stock_balance (item_id, location_id, entity_id, on_hand, reserved, inbound, in_transit,
                                       value, allow_negative)
            VALUES (:i, :l, :e, 0, 0, 0, 0, 0, :neg) ON CONFLICT DO NOTHING
            """
        ),
        {"i": item_id, "l": location_id, "e": info.entity_id, "neg": info.allow_negative},
    )
    return info


def move_by_key(session: Session, key: str, columns: str) -> Row[*tuple[Any, ...]] | None:
    """`columns` of the move of an idempotency key, or None: the key table names its id and posting date, so
    the read touches one partition of the stock ledger (a lookup by key alone would probe every partition)."""
    conn = session.connection()
    found = conn.execute(
        text("SELECT id, posting_date FROM stock_move_key WHERE idempotency_key = :k"), {"k": key}
    ).first()
    if found is None:
        return None
    return conn.execute(
        text(f"SELECT {columns} FROM stock_move WHERE id = :i AND posting_date = :d"),
        {"i": found.id, "d": found.posting_date},
    ).one()


def _existing_move(session: Session, key: str) -> MoveOut | None:
    row = move_by_key(session, key, "id, qty, value, unit_cost, journal_entry_id")
    if row is None:
        return None
    return MoveOut(int(row[0]), Decimal(row[1]), Decimal(row[2]), Decimal(row[3]), row[4], created=False)


def _lock_balance(session: Session, item_id: int, location_id: int) -> tuple[Decimal, Decimal]:
    """Lock the balance row (valuation reads then writes it) and return on_hand and value."""
    row = (
        session.connection()
        .execute(
            text(
                "SELECT on_hand, value FROM stock_balance WHERE item_id = :i AND location_id = :l FOR UPDATE"
            ),
            {"i": item_id, "l": location_id},
        )
        .one()
    )
    return Decimal(row[0]), Decimal(row[1])


def _issue_value(
    session: Session, info: ItemLocation, move: MoveIn, on_hand: Decimal, value: Decimal
) -> Decimal:
    """Value of an outgoing quantity by the item's method; FIFO layers are consumed here."""
    qty = -move.qty
    if info.valuation_method == "fifo":
        rows = (
            session.connection()
            .execute(
                text(
                    """
                SELECT id, qty_remaining, unit_cost FROM fifo_layer
                 WHERE item_id = :i AND location_id = :l AND qty_remaining > 0 ORDER BY received_on, id
                """
                ),
                {"i": move.item_id, "l": move.location_id},
            )
            .all()
        )
        layers = [FifoLayer(str(r[0]), Decimal(r[1]), Decimal(r[2])) for r in rows]
        try:
            issue = consume_fifo(layers, qty, info.currency)
        except RuleViolation as exc:
            raise InsufficientStock("qty", f"only {on_hand} on hand at location {move.location_id}") from exc
        for used in issue.consumed:
            session.connection().execute(
                text("UPDATE fifo_layer SET qty_remaining = qty_remaining - :q WHERE id = :id"),
                {"q": used.qty, "id": int(used.layer_id)},
            )
        return issue.value
    if on_hand < qty and not info.allow_negative:
        raise InsufficientStock("qty", f"only {on_hand} on hand at location {move.location_id}, {qty} asked")
    if on_hand <= 0:
        return Decimal(0)
    # Going negative (only where the item allows it) issues what is on hand at its value; the
    # uncosted remainder is valued when the next receipt arrives, as a new move.
    _, issued = issue_average(AverageCost(on_hand, value), min(qty, on_hand), info.currency)
    return issued


def move(session: Session, move: MoveIn) -> MoveOut:
    """Record a receipt (qty > 0) or an issue (qty < 0) with its valuation and GL posting, once per key."""
    if move.qty == 0:
        raise RuleViolation("qty", "a stock move needs a non-zero quantity")
    existing = _existing_move(session, move.idempotency_key)
    if existing is not None:
        return existing
    info = ensure_balance(session, move.item_id, move.location_id)
    on_hand, value = _lock_balance(session, move.item_id, move.location_id)
    delta_value, unit_cost = _move_value(session, info, move, on_hand, value)
    entry_id = post_value(session, info, move, delta_value) if delta_value else None
    move_id = _insert_move(session, info, move, unit_cost, delta_value, entry_id)
    if move.qty > 0 and info.valuation_method == "fifo":
        _add_fifo_layer(session, move, move_id, unit_cost)
    consumed = (
        _consume_reservation(session, move.consume_reservation_key)
        if move.consume_reservation_key
        else Decimal(0)
    )
    _apply_to_balance(session, move, delta_value, consumed)
    return MoveOut(move_id, move.qty, delta_value, unit_cost, entry_id, created=True)


def _move_value(
    session: Session, info: ItemLocation, move: MoveIn, on_hand: Decimal, value: Decimal
) -> tuple[Decimal, Decimal]:
    """The signed value of the move and its unit cost: a receipt at its cost, an issue by the item's method."""
    if move.qty > 0:
        if move.unit_cost is None:
            raise RuleViolation("unit_cost", "a receipt needs a unit cost")
        unit_cost = quantize_cost(move.unit_cost)
        return quantize(move.qty * unit_cost, info.currency), unit_cost
    delta_value = -_issue_value(session, info, move, on_hand, value)
    return delta_value, (quantize_cost(-delta_value / -move.qty) if delta_value else Decimal(0))


class ValueChange(Protocol):
    """What posting a change of stock value needs to know (a MoveIn or a revaluation)."""

    @property
    def reason(self) -> str: ...
    @property
    def source_type(self) -> str: ...
    @property
    def source_id(self) -> str: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def posting_date(self) -> date: ...
    @property
    def offset_account(self) -> str: ...
    @property
    def offset_lines(self) -> Sequence[LineIn]: ...
    @property
    def actor(self) -> str: ...


def post_value(session: Session, info: ItemLocation, move: ValueChange, delta_value: Decimal) -> int:
    """Post Dr/Cr Inventory against the offsets (once per `{key}:gl`); returns the entry id."""
    offsets = list(move.offset_lines) or [LineIn(move.offset_account, -delta_value, move.reason)]
    if sum((o.amount for o in offsets), Decimal(0)) != -delta_value:
        raise RuleViolation("offset_lines", f"offsets must sum to {-delta_value}")
    posted = ledger.post(
        session,
        ledger.PostingRequest(
            entity_id=info.entity_id,
            idempotency_key=f"{move.idempotency_key}:gl",
            posting_date=move.posting_date,
            source_type=move.source_type,
            source_id=move.source_id,
            currency=info.currency,
            lines=[LineIn(AccountRole.INVENTORY, delta_value, move.reason), *offsets],
            memo=move.reason,
            actor=move.actor,
        ),
    )
    return posted.entry_id


def _insert_move(
    session: Session,
    info: ItemLocation,
    move: MoveIn,
    unit_cost: Decimal,
    delta_value: Decimal,
    entry_id: int | None,
) -> int:
    """The stock_move row; returns its id."""
    row = (
        session.connection()
        .execute(
            text(
                """
            INSERT INTO stock_move (entity_id, item_id, location_id, lot, serial, qty, unit_cost, value, reason,
                                    source_type, source_id, idempotency_key, posting_date, journal_entry_id)
            VALUES (:e, :i, :l, :lot, :serial, :q, :c, :v, :r, :st, :si, :k, :d, :je) RETURNING id
            """
            ),
            {
                "e": info.entity_id,
                "i": move.item_id,
                "l": move.location_id,
                "lot": move.lot,
                "serial": move.serial,
                "q": move.qty,
                "c": unit_cost,
                "v": delta_value,
                "r": move.reason,
                "st": move.source_type,
                "si": move.source_id,
                "k": move.idempotency_key,
                "d": move.posting_date,
                "je": entry_id,
            },
        )
        .one()
    )
    return int(row[0])


def _add_fifo_layer(session: Session, move: MoveIn, move_id: int, unit_cost: Decimal) -> None:
    """A FIFO item's receipt opens a cost layer."""
    session.connection().execute(
        text(
            """
                INSERT INTO fifo_layer (item_id, location_id, move_id, received_on, qty_in, qty_remaining, unit_cost)
                VALUES (:i, :l, :m, :d, :q, :q, :c)
                """
        ),
        {
            "i": move.item_id,
            "l": move.location_id,
            "m": move_id,
            "d": move.posting_date,
            "q": move.qty,
            "c": unit_cost,
        },
    )


def _apply_to_balance(session: Session, move: MoveIn, delta_value: Decimal, consumed: Decimal) -> None:
    """On hand and value move; a consumed reservation and the released inbound quantity come off."""
    session.connection().execute(
        text(
            """
            UPDATE stock_balance
               SET on_hand = on_hand + :q, value = value + :v, reserved = reserved - :r,
                   inbound = GREATEST(inbound - :ib, 0)
             WHERE item_id = :i AND location_id = :l
            """
        ),
        {
            "q": move.qty,
            "v": delta_value,
            "r": consumed,
            "ib": move.release_inbound,
            "i": move.item_id,
            "l": move.location_id,
        },
    )


def _consume_reservation(session: Session, key: str) -> Decimal:
    row = (
        session.connection()
        .execute(
            text(
                "UPDATE reservation SET status = 'consumed' WHERE idempotency_key = :k AND status = 'active' RETURNING qty"
            ),
            {"k": key},
        )
        .first()
    )
    return Decimal(row[0]) if row else Decimal(0)
