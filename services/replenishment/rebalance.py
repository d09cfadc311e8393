"""Rebalancing: move stock from item-locations holding more than their target to ones at or below their
reorder point, before buying more (figures from the same planning statement as the daily run)."""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from rules.money import quantize_qty
from services.replenishment.settings import load_setting
from services.replenishment.stats import statistics


def suggestions(session: Session, entity_id: int, as_of: date) -> list[dict[str, Any]]:
    """Transfers per item, largest surplus to largest need, in whole units, never below a donor's target."""
    rows = statistics(session, entity_id, as_of, load_setting(session, entity_id))
    needs: dict[int, list[tuple[Decimal, int]]] = defaultdict(list)
    spare: dict[int, list[tuple[Decimal, int]]] = defaultdict(list)
    for r in rows:
        target = r.rop + r.mean * Decimal(r.review_days)
        projected = r.projected
        if projected <= r.rop and r.mean > 0:
            needs[r.item_id].append((target - projected, r.location_id))
        elif projected > target:
            spare[r.item_id].append((projected - target, r.location_id))
    moves: list[dict[str, Any]] = []
    for item_id in sorted(set(needs) & set(spare)):
        donors = sorted(spare[item_id], key=lambda x: (-x[0], x[1]))
        for need, to_loc in sorted(needs[item_id], key=lambda x: (-x[0], x[1])):
            for i, (extra, from_loc) in enumerate(donors):
                qty = min(need, extra).to_integral_value(rounding="ROUND_FLOOR")
                if qty <= 0:
                    continue
                moves.append(
                    {
                        "item_id": item_id,
                        "from_location_id": from_loc,
                        "to_location_id": to_loc,
                        "qty": quantize_qty(qty),
                    }
                )
                donors[i] = (extra - qty, from_loc)
                need -= qty
                if need < 1:
                    break
    return moves
