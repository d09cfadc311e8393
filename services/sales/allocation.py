"""Allocate order lines to locations as the channel sees the stock, and reserve them atomically."""

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.sales import AllocateRequest, AllocateResult, LineNeed, Reserved
from rules.allocation import (
    Allocation,
    LocationStock,
    OrderLine,
    Waiter,
    allocate_order,
    hold_back,
    waiting_ahead,
)
from rules.money import quantize_qty
from services.core import reservations
from services.core.events import emit, skus
from services.sales.orders import sourcing_locations
from services.sales.store import OrderHead, order_head

# Ship from warehouses first; stores only when no warehouse has the goods.
_PRIORITY = {"warehouse": 10, "store": 50}
# Another order may take the stock between our read and our conditional UPDATE: re-read and retry.
_ATTEMPTS = 4


def _stocks(
    session: Session, order: OrderHead, items: list[int], exclude: set[int]
) -> dict[str, list[LocationStock]]:
    """Per item, every sourcing location's stock with the channel's buffer and cap applied."""
    locations = [loc for loc in sourcing_locations(session, order) if loc not in exclude]
    if not locations or not items:
        return {}
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT b.item_id, b.location_id, l.kind, b.on_hand, b.reserved,
                   COALESCE((SELECT sum(r.qty) FROM reservation r JOIN sales_order o ON o.number = r.source_id
                              WHERE r.status = 'active' AND r.source_type = 'sales_order'
                                AND r.item_id = b.item_id AND r.location_id = b.location_id
                                AND o.channel_id = :c), 0) AS channel_reserved
              FROM stock_balance b JOIN location l ON l.id = b.location_id
             WHERE b.item_id = ANY(:items) AND b.location_id = ANY(:locs)
            """
            ),
            {"items": items, "locs": locations, "c": order.channel_id},
        )
        .all()
    )
    pos = order.channel_kind == "pos"
    buffer = order.buffer
    share = order.max_share_pct
    result: dict[str, list[LocationStock]] = defaultdict(list)
    for item_id, location_id, kind, on_hand, reserved, channel_reserved in rows:
        cap = None
        if share is not None and not pos:
            # A capped channel (marketplace) may hold at most share% of what is on hand, its own holds included.
            cap = max(quantize_qty(Decimal(on_hand) * share / 100) - Decimal(channel_reserved), Decimal(0))
        result[str(item_id)].append(
            LocationStock(
                location=str(location_id),
                on_hand=Decimal(on_hand),
                reserved=Decimal(reserved),
                priority=_PRIORITY.get(kind, 90),
                channel_buffer=buffer,
                channel_cap=cap,
            )
        )
    return result


_WAITERS = """
SELECT l.item_id, o.number, o.id, c.allocation_priority, l.qty_backordered
  FROM sales_order_line l JOIN sales_order o ON o.id = l.order_id JOIN channel c ON c.id = o.channel_id
 WHERE l.item_id = ANY(:items) AND l.qty_backordered > 0 AND o.entity_id = :e AND o.id <> :me
   AND EXISTS (SELECT 1 FROM stock_waiter w
                WHERE w.workflow_id = o.workflow_id AND w.item_id = l.item_id AND w.status = 'waiting'
                  AND w.location_id = ANY(:locs))
"""


def _ahead(session: Session, order: OrderHead, need: list[LineNeed]) -> dict[str, Decimal]:
    """Per item, what backordered orders ranking ahead of this one (channel priority, then age) wait for.

    Only a waiting order (a backordered line retrying after goods arrived) defers to others: arriving
    stock goes to the waiters by channel priority then age, whichever of them looks first. A new order
    is served first come, first served from the stock on hand.
    """
    conn = session.connection()
    waiting = {
        int(r[0])
        for r in conn.execute(
            text(
                "SELECT item_id FROM sales_order_line WHERE order_id = :o AND line_no = ANY(:l)"
                " AND qty_backordered > 0"
            ),
            {"o": order.id, "l": [n.line_no for n in need]},
        )
    }
    if not waiting:
        return {}
    rows = conn.execute(
        text(_WAITERS),
        {
            "items": sorted(waiting),
            "e": order.entity_id,
            "me": order.id,
            "locs": sourcing_locations(session, order),
        },
    ).all()
    me = Waiter(order.number, order.allocation_priority, order.id, Decimal(0))
    out: dict[str, Decimal] = {}
    for item_id in sorted(waiting):
        others = [
            Waiter(str(r[1]), int(r[3]), int(r[2]), Decimal(r[4])) for r in rows if int(r[0]) == item_id
        ]
        ahead = waiting_ahead(me, others)
        if ahead > 0:
            out[str(item_id)] = ahead
    return out


def _recorded(session: Session, order_id: int, req: AllocateRequest) -> AllocateResult:
    """The result of a round that already ran (a retried activity)."""
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT line_no, location_id, qty, reservation_key FROM sales_allocation
             WHERE order_id = :o AND round_key = :r ORDER BY id
            """
            ),
            {"o": order_id, "r": req.round_key},
        )
        .all()
    )
    reserved = [Reserved(line_no=r[0], location_id=r[1], qty=Decimal(r[2]), key=r[3]) for r in rows]
    return AllocateResult(reserved=reserved, backordered=_left(req.lines, reserved))


def _left(lines: list[LineNeed], reserved: list[Reserved]) -> dict[int, Decimal]:
    got: dict[int, Decimal] = defaultdict(Decimal)
    for r in reserved:
        got[r.line_no] += r.qty
    return {line.line_no: line.qty - got[line.line_no] for line in lines if line.qty - got[line.line_no] > 0}


def allocate(session: Session, req: AllocateRequest) -> AllocateResult:
    """Pick locations with the pure rule, reserve each pick with one conditional UPDATE, backorder the rest."""
    order = order_head(session, req.order_number)
    order_id = order.id
    if not reservations.claim_effect(session, req.round_key):
        return _recorded(session, order_id, req)
    buffer = order.buffer
    items = {line.line_no: line.item_id for line in req.lines}
    need = [line for line in req.lines if line.qty > 0]
    reserved: list[Reserved] = []
    exclude = set(req.exclude_location_ids)
    ahead = _ahead(session, order, need)
    for attempt in range(_ATTEMPTS):
        if not need:
            break
        stocks = _stocks(session, order, sorted({line.item_id for line in need}), exclude)
        for item, qty in ahead.items():
            stocks[item] = hold_back(stocks.get(item, []), qty)
        plans = allocate_order([OrderLine(str(n.line_no), str(n.item_id), n.qty) for n in need], stocks)
        lost: dict[int, Decimal] = {}
        for line, plan in zip(need, plans, strict=True):
            lost_qty = _reserve_picks(session, req, order_id, buffer, attempt, line, plan, reserved)
            if lost_qty is not None:
                lost[line.line_no] = lost_qty + plan.backordered
        # Only a line that lost a race to another order is worth another look; a plain shortage stays short.
        need = [LineNeed(line_no=ln, item_id=items[ln], qty=q) for ln, q in lost.items()]
    if reserved:
        _emit_allocated(session, order, req, reserved, items)
    return AllocateResult(reserved=reserved, backordered=_left(req.lines, reserved))


def _reserve_picks(
    session: Session,
    req: AllocateRequest,
    order_id: int,
    buffer: Decimal,
    attempt: int,
    line: LineNeed,
    plan: Allocation,
    reserved: list[Reserved],
) -> Decimal | None:
    """Reserve each pick of a line (one conditional UPDATE each) and record it as an allocation, adding it to
    `reserved`; returns the quantity lost to another order, or None when every pick held."""
    lost: Decimal | None = None
    for pick in plan.picks:
        key = f"{req.round_key}:a{attempt}:line:{line.line_no}:loc:{pick.location}"
        ok = reservations.reserve(
            session,
            item_id=line.item_id,
            location_id=int(pick.location),
            qty=pick.qty,
            idempotency_key=key,
            source_type="sales_order",
            source_id=req.order_number,
            buffer=buffer,
        )
        if not ok:
            lost = (lost if lost is not None else Decimal(0)) + pick.qty
            continue
        reserved.append(Reserved(line_no=line.line_no, location_id=int(pick.location), qty=pick.qty, key=key))
        session.connection().execute(
            text(
                """
                        INSERT INTO sales_allocation (order_id, line_no, location_id, qty, round_key, reservation_key)
                        VALUES (:o, :ln, :l, :q, :r, :k)
                        """
            ),
            {
                "o": order_id,
                "ln": line.line_no,
                "l": int(pick.location),
                "q": pick.qty,
                "r": req.round_key,
                "k": key,
            },
        )
    return lost


def _emit_allocated(
    session: Session,
    order: OrderHead,
    req: AllocateRequest,
    reserved: list[Reserved],
    items: dict[int, int],
) -> None:
    """Report what this round reserved where (a retried round returns early and reports nothing new)."""
    round_no = req.round_key.rsplit(":", 1)[-1]
    sku = skus(session, items.values())
    emit(
        session,
        event_type="sales_order.allocated",
        key=f"so:{req.order_number}:alloc:{round_no}",
        entity_id=order.entity_id,
        document_type="sales_order",
        document_id=req.order_number,
        data={
            "order_number": req.order_number,
            "lines": [
                {
                    "line_no": r.line_no,
                    "item_id": items[r.line_no],
                    "sku": sku.get(items[r.line_no]),
                    "qty": str(r.qty),
                    "location_id": r.location_id,
                }
                for r in reserved
            ],
        },
    )


def release(session: Session, keys: list[str]) -> Decimal:
    """Release reservations (each once)."""
    return sum((reservations.release(session, key) for key in keys), Decimal(0))
