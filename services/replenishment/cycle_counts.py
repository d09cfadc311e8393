"""Cycle counts: record the item set to count, then post counted vs book quantities as adjustments.

A loss issues the missing quantity at its valuation cost against the shrinkage expense; a gain receives the
surplus at the current average cost (or the last known cost) with shrinkage credited. Every line keeps
counted vs book quantity: the stock-accuracy KPI reads them.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.event_data import EventLine
from models.contracts.replenishment import CountInput, CountLineOut, CountPost, CountResult
from rules.accounts import AccountRole
from rules.errors import RuleViolation
from services.core import events, stock
from services.core.errors import Conflict, NotFound


def validate(session: Session, inp: CountInput) -> None:
    """Refuse a foreign or non-stock location, an empty item set, and unknown items."""
    conn = session.connection()
    row = conn.execute(
        text("SELECT entity_id, kind, archived FROM location WHERE id = :l"), {"l": inp.location_id}
    ).first()
    if row is None or row[2] or int(row[0]) != inp.entity_id or row[1] == "in_transit":
        raise RuleViolation(
            "location_id", f"location {inp.location_id} is not a stock location of the entity"
        )
    if not inp.item_ids:
        raise RuleViolation("item_ids", "a count needs at least one item")
    if len(set(inp.item_ids)) != len(inp.item_ids):
        raise RuleViolation("item_ids", "an item is listed twice")
    known = conn.execute(
        text("SELECT count(*) FROM item WHERE id = ANY(CAST(:ids AS int[]))"), {"ids": inp.item_ids}
    ).scalar_one()
    if int(known) != len(inp.item_ids):
        raise RuleViolation("item_ids", "unknown item in the set")


def persist(session: Session, inp: CountInput) -> None:
    """Record the count and its item lines once per number."""
    validate(session, inp)
    conn = session.connection()
    row = conn.execute(
        text(
            """
            INSERT INTO cycle_count (number, workflow_id, entity_id, location_id, status, requested_by)
            VALUES (:n, :w, :e, :l, 'open', :by) ON CONFLICT (number) DO NOTHING RETURNING id
            """
        ),
        {
            "n": inp.number,
            "w": inp.workflow_id,
            "e": inp.entity_id,
            "l": inp.location_id,
            "by": inp.requested_by,
        },
    ).first()
    if row is None:
        return
    conn.execute(
        text("INSERT INTO cycle_count_line (count_id, item_id) SELECT :c, unnest(CAST(:ids AS int[]))"),
        {"c": row[0], "ids": inp.item_ids},
    )


def _gain_cost(session: Session, item_id: int, location_id: int) -> Decimal:
    """Unit cost of found stock: the average on hand, else the last cost this item moved at, else zero."""
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT CASE WHEN b.on_hand > 0 THEN b.value / b.on_hand END,
                   (SELECT m.unit_cost FROM stock_move m WHERE m.item_id = :i AND m.unit_cost > 0
                     ORDER BY m.id DESC LIMIT 1)
              FROM stock_balance b WHERE b.item_id = :i AND b.location_id = :l
            """
            ),
            {"i": item_id, "l": location_id},
        )
        .first()
    )
    if row is None:
        return Decimal(0)
    return Decimal(row[0] if row[0] is not None else row[1] if row[1] is not None else 0)


def _stored(session: Session, count_id: int, number: str) -> CountResult:
    """The posted result of a count."""
    rows = session.connection().execute(
        text(
            "SELECT item_id, system_qty, counted_qty, difference, value FROM cycle_count_line"
            " WHERE count_id = :c ORDER BY item_id"
        ),
        {"c": count_id},
    )
    lines = [
        CountLineOut(
            item_id=int(r[0]),
            system_qty=Decimal(r[1]),
            counted_qty=Decimal(r[2]),
            difference=Decimal(r[3]),
            value=Decimal(r[4]),
        )
        for r in rows
    ]
    return CountResult(number=number, lines=lines, shrinkage=-sum((ln.value for ln in lines), Decimal(0)))


@dataclass(frozen=True, slots=True)
class _CountHead:
    """The cycle count row being posted."""

    id: int
    entity_id: int
    location_id: int
    status: str


def post(session: Session, req: CountPost) -> CountResult:
    """Adjust book to counted quantity per item with a shrinkage posting; posting twice posts once."""
    head = _lock_head(session, req.number)
    if head.status == "posted":
        return _stored(session, head.id, req.number)
    if head.status != "open":
        raise Conflict("status", f"cycle count {req.number} is {head.status}")
    items = [
        int(r[0])
        for r in session.connection().execute(
            text("SELECT item_id FROM cycle_count_line WHERE count_id = :c ORDER BY item_id"), {"c": head.id}
        )
    ]
    if sorted(req.counts) != items:
        raise RuleViolation("counts", f"count exactly the items {items}")
    for item_id in items:
        _adjust_item(session, req, head, item_id)
    session.connection().execute(
        text("UPDATE cycle_count SET status = 'posted', counted_by = :b, counted_on = :d WHERE id = :c"),
        {"b": req.counted_by, "d": req.counted_on, "c": head.id},
    )
    result = _stored(session, head.id, req.number)
    _emit_posted(session, req, head, result)
    return result


def _lock_head(session: Session, number: str) -> _CountHead:
    """The count row, locked for posting, or NotFound."""
    row = (
        session.connection()
        .execute(
            text("SELECT id, entity_id, location_id, status FROM cycle_count WHERE number = :n FOR UPDATE"),
            {"n": number},
        )
        .first()
    )
    if row is None:
        raise NotFound("number", f"cycle count {number} does not exist")
    return _CountHead(int(row[0]), int(row[1]), int(row[2]), str(row[3]))


def _adjust_item(session: Session, req: CountPost, head: _CountHead, item_id: int) -> None:
    """Move the difference between counted and book quantity (valued, against shrinkage) and keep both."""
    counted = req.counts[item_id]
    if counted < 0:
        raise RuleViolation(f"counts.{item_id}", "a counted quantity cannot be negative")
    location_id = head.location_id
    stock.ensure_balance(session, item_id, location_id)
    book = (
        session.connection()
        .execute(
            text(
                "SELECT on_hand, reserved FROM stock_balance WHERE item_id = :i AND location_id = :l FOR UPDATE"
            ),
            {"i": item_id, "l": location_id},
        )
        .one()
    )
    system_qty, reserved = Decimal(book[0]), Decimal(book[1])
    if counted < reserved:
        raise Conflict(
            f"counts.{item_id}", f"counted {counted} is below the {reserved} reserved: release first"
        )
    diff = counted - system_qty
    value, move_id = Decimal(0), None
    if diff:
        moved = stock.move(
            session,
            stock.MoveIn(
                item_id=item_id,
                location_id=location_id,
                qty=diff,
                reason="cycle_count",
                source_type="cycle_count",
                source_id=req.number,
                idempotency_key=f"cc:{req.number}:item:{item_id}",
                posting_date=req.counted_on,
                unit_cost=_gain_cost(session, item_id, location_id) if diff > 0 else None,
                offset_account=AccountRole.SHRINKAGE,
                actor=req.counted_by,
            ),
        )
        value, move_id = moved.value, moved.move_id
    session.connection().execute(
        text(
            "UPDATE cycle_count_line SET system_qty = :s, counted_qty = :c, difference = :d, value = :v,"
            " stock_move_id = :m WHERE count_id = :cc AND item_id = :i"
        ),
        {"s": system_qty, "c": counted, "d": diff, "v": value, "m": move_id, "cc": head.id, "i": item_id},
    )


def _emit_posted(session: Session, req: CountPost, head: _CountHead, result: CountResult) -> None:
    """The cycle_count.posted event with each item's difference."""
    events.emit(
        session,
        event_type="cycle_count.posted",
        key=f"cc:{req.number}:posted",
        entity_id=head.entity_id,
        document_type="cycle_count",
        document_id=req.number,
        data={
            "number": req.number,
            "location_id": head.location_id,
            "counted_on": req.counted_on,
            "shrinkage": result.shrinkage,
            "lines": [
                EventLine(
                    line_no=i + 1, item_id=ln.item_id, qty=ln.difference, location_id=head.location_id
                ).model_dump()
                for i, ln in enumerate(result.lines)
            ],
        },
    )


def cancel(session: Session, number: str) -> None:
    """Cancel an open count (nothing posted)."""
    session.connection().execute(
        text("UPDATE cycle_count SET status = 'cancelled' WHERE number = :n AND status = 'open'"),
        {"n": number},
    )


def next_number(session: Session) -> str:
    """Allocate a count number (gaps are fine)."""
    return str(session.connection().execute(text("SELECT nextval('cycle_count_number_seq')")).scalar_one())
