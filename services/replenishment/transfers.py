"""Transfer orders: ship (source -> the entity's in-transit location) and receive (-> destination).

Model: the goods physically sit on the entity's `in_transit` location while travelling (valued stock, so the
stock ledger, balances and inventory GL keep agreeing), and the destination's balance carries the quantity
in `in_transit`, which replenishment counts as projected stock there. Within one entity inventory stays
inventory: every move's offset is the inventory account itself, so each GL entry nets to zero.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.event_data import EventLine
from models.contracts.replenishment import TransferInput, TransferState, TransferStep
from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.money import quantize, quantize_cost
from services.core import events, stock
from services.core.errors import Conflict, NotFound
from services.core.ledger import LineIn


@dataclass(frozen=True, slots=True)
class _Head:
    """The locked transfer row."""

    id: int
    entity_id: int
    currency: str
    from_id: int
    to_id: int
    transit_id: int
    status: str


def validate(session: Session, inp: TransferInput) -> None:
    """Refuse unknown or foreign locations, equal ends, and empty or non-positive lines (422 by field)."""
    conn = session.connection()
    for field, loc in (("from_location_id", inp.from_location_id), ("to_location_id", inp.to_location_id)):
        row = conn.execute(
            text("SELECT entity_id, kind, archived FROM location WHERE id = :l"), {"l": loc}
        ).first()
        if row is None or row[2] or int(row[0]) != inp.entity_id or row[1] not in ("warehouse", "store"):
            raise RuleViolation(
                field, f"location {loc} is not a warehouse or store of entity {inp.entity_id}"
            )
    if inp.from_location_id == inp.to_location_id:
        raise RuleViolation("to_location_id", "a transfer needs two different locations")
    if not inp.lines:
        raise RuleViolation("lines", "a transfer needs at least one line")
    for i, line in enumerate(inp.lines):
        if line.qty <= 0:
            raise RuleViolation(f"lines[{i}].qty", f"must be positive, got {line.qty}")
        found = conn.execute(text("SELECT archived FROM item WHERE id = :i"), {"i": line.item_id}).first()
        if found is None or found[0]:
            raise RuleViolation(f"lines[{i}].item_id", f"unknown or archived item {line.item_id}")


def transit_location(session: Session, entity_id: int) -> int:
    """The entity's in-transit location, created on first use."""
    conn = session.connection()
    row = conn.execute(
        text(
            "SELECT id FROM location WHERE entity_id = :e AND kind = 'in_transit' AND NOT archived"
            " ORDER BY id LIMIT 1"
        ),
        {"e": entity_id},
    ).first()
    if row is not None:
        return int(row[0])
    conn.execute(
        text(
            "INSERT INTO location (entity_id, code, name, kind, archived)"
            " SELECT id, 'TRANSIT-' || code, 'In transit (' || code || ')', 'in_transit', false FROM entity"
            " WHERE id = :e ON CONFLICT (code) DO NOTHING"
        ),
        {"e": entity_id},
    )
    return int(
        conn.execute(
            text("SELECT id FROM location WHERE entity_id = :e AND kind = 'in_transit' ORDER BY id LIMIT 1"),
            {"e": entity_id},
        ).scalar_one()
    )


def persist(session: Session, inp: TransferInput) -> None:
    """Record the transfer and its lines once per number."""
    validate(session, inp)
    conn = session.connection()
    row = conn.execute(
        text(
            """
            INSERT INTO transfer_order (number, workflow_id, entity_id, from_location_id, to_location_id,
                                        transit_location_id, status, requested_by)
            VALUES (:n, :w, :e, :f, :t, :x, 'draft', :by) ON CONFLICT (number) DO NOTHING RETURNING id
            """
        ),
        {
            "n": inp.number,
            "w": inp.workflow_id,
            "e": inp.entity_id,
            "f": inp.from_location_id,
            "t": inp.to_location_id,
            "x": transit_location(session, inp.entity_id),
            "by": inp.requested_by,
        },
    ).first()
    if row is None:
        return
    for i, line in enumerate(inp.lines):
        conn.execute(
            text(
                "INSERT INTO transfer_order_line (transfer_id, line_no, item_id, qty) VALUES (:t, :n, :i, :q)"
            ),
            {"t": row[0], "n": i + 1, "i": line.item_id, "q": line.qty},
        )


def _head(session: Session, number: str) -> _Head:
    """Lock the transfer: ship and receive read its status and then change it."""
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT t.id, t.entity_id, e.currency, t.from_location_id, t.to_location_id, t.transit_location_id,
                   t.status
              FROM transfer_order t JOIN entity e ON e.id = t.entity_id WHERE t.number = :n FOR UPDATE OF t
            """
            ),
            {"n": number},
        )
        .first()
    )
    if row is None:
        raise NotFound("number", f"transfer {number} does not exist")
    return _Head(int(row[0]), int(row[1]), str(row[2]), int(row[3]), int(row[4]), int(row[5]), str(row[6]))


def _lines(session: Session, transfer_id: int) -> list[tuple[int, int, Decimal]]:
    """(line_no, item_id, qty) of a transfer."""
    rows = session.connection().execute(
        text("SELECT line_no, item_id, qty FROM transfer_order_line WHERE transfer_id = :t ORDER BY line_no"),
        {"t": transfer_id},
    )
    return [(int(r[0]), int(r[1]), Decimal(r[2])) for r in rows]


def _relocate(
    session: Session,
    head: _Head,
    number: str,
    key: str,
    item_id: int,
    qty: Decimal,
    src: int,
    dst: int,
    on: date,
) -> Decimal:
    """Issue from src and receive at dst at the issued cost; the GL sees inventory against inventory."""
    out = stock.move(
        session,
        stock.MoveIn(
            item_id=item_id,
            location_id=src,
            qty=-qty,
            reason="transfer_out",
            idempotency_key=f"{key}:out",
            offset_account=AccountRole.INVENTORY,
            source_type="transfer_order",
            source_id=number,
            posting_date=on,
        ),
    )
    value = -out.value
    unit_cost = quantize_cost(value / qty)
    received = quantize(qty * unit_cost, head.currency)
    # A six-place unit cost can miss the issued value by a cent on huge quantities: book that cent as a variance.
    offsets = [LineIn(AccountRole.INVENTORY, -value, "transfer")]
    if received != value:
        offsets.append(LineIn(AccountRole.PRICE_VARIANCE, value - received, "transfer rounding"))
    stock.move(
        session,
        stock.MoveIn(
            item_id=item_id,
            location_id=dst,
            qty=qty,
            reason="transfer_in",
            idempotency_key=f"{key}:in",
            unit_cost=unit_cost,
            offset_lines=offsets,
            source_type="transfer_order",
            source_id=number,
            posting_date=on,
        ),
    )
    return value


def _in_transit(session: Session, item_id: int, location_id: int, qty: Decimal) -> None:
    """Add (or remove) quantity on the way to a destination, seen by its projected stock."""
    stock.ensure_balance(session, item_id, location_id)
    session.connection().execute(
        text("UPDATE stock_balance SET in_transit = in_transit + :q WHERE item_id = :i AND location_id = :l"),
        {"q": qty, "i": item_id, "l": location_id},
    )


def _event_lines(lines: list[tuple[int, int, Decimal]], location_id: int) -> list[EventLine]:
    return [EventLine(line_no=n, item_id=i, qty=q, location_id=location_id) for n, i, q in lines]


def ship(session: Session, step: TransferStep) -> TransferState:
    """Move every line into transit (once: a shipped transfer answers with its state)."""
    head = _head(session, step.number)
    if head.status in ("shipped", "received"):
        return TransferState(number=step.number, status=head.status)
    if head.status != "draft":
        raise Conflict("status", f"transfer {step.number} is {head.status}")
    lines = _lines(session, head.id)
    total = Decimal(0)
    for line_no, item_id, qty in lines:
        key = f"to:{step.number}:l{line_no}:ship"
        value = _relocate(
            session, head, step.number, key, item_id, qty, head.from_id, head.transit_id, step.on
        )
        _in_transit(session, item_id, head.to_id, qty)
        session.connection().execute(
            text(
                "UPDATE transfer_order_line SET unit_cost = :c, value = :v WHERE transfer_id = :t AND line_no = :n"
            ),
            {"c": quantize_cost(value / qty), "v": value, "t": head.id, "n": line_no},
        )
        total += value
    session.connection().execute(
        text("UPDATE transfer_order SET status = 'shipped', shipped_by = :a, shipped_on = :d WHERE id = :t"),
        {"a": step.actor, "d": step.on, "t": head.id},
    )
    events.emit(
        session,
        event_type="transfer_order.shipped",
        key=f"to:{step.number}:shipped",
        entity_id=head.entity_id,
        document_type="transfer_order",
        document_id=step.number,
        data={
            "number": step.number,
            "from_location_id": head.from_id,
            "to_location_id": head.to_id,
            "shipped_on": step.on,
            "value": total,
            "lines": [ln.model_dump() for ln in _event_lines(lines, head.from_id)],
        },
    )
    return TransferState(number=step.number, status="shipped", value=total)


def receive(session: Session, step: TransferStep) -> TransferState:
    """Move every line from transit onto the destination (once)."""
    head = _head(session, step.number)
    if head.status == "received":
        return TransferState(number=step.number, status="received")
    if head.status != "shipped":
        raise Conflict("status", f"transfer {step.number} is {head.status}, not shipped")
    lines = _lines(session, head.id)
    total = Decimal(0)
    for line_no, item_id, qty in lines:
        key = f"to:{step.number}:l{line_no}:receive"
        total += _relocate(
            session, head, step.number, key, item_id, qty, head.transit_id, head.to_id, step.on
        )
        _in_transit(session, item_id, head.to_id, -qty)
    session.connection().execute(
        text(
            "UPDATE transfer_order SET status = 'received', received_by = :a, received_on = :d WHERE id = :t"
        ),
        {"a": step.actor, "d": step.on, "t": head.id},
    )
    events.emit(
        session,
        event_type="transfer_order.received",
        key=f"to:{step.number}:received",
        entity_id=head.entity_id,
        document_type="transfer_order",
        document_id=step.number,
        data={
            "number": step.number,
            "from_location_id": head.from_id,
            "to_location_id": head.to_id,
            "received_on": step.on,
            "value": total,
            "lines": [ln.model_dump() for ln in _event_lines(lines, head.to_id)],
        },
    )
    return TransferState(number=step.number, status="received", value=total)


def status_of(session: Session, number: str) -> str | None:
    """A transfer's status, or None when it does not exist."""
    value = (
        session.connection()
        .execute(text("SELECT status FROM transfer_order WHERE number = :n"), {"n": number})
        .scalar()
    )
    return None if value is None else str(value)


def next_number(session: Session) -> str:
    """Allocate a transfer number (gaps are fine)."""
    return str(session.connection().execute(text("SELECT nextval('transfer_order_number_seq')")).scalar_one())
