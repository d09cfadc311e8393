"""Sourcing an order line from stock locations without overselling (domain.md section 2)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from rules.errors import RuleViolation

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class LocationStock:
    """Stock of one item at one location as one sales channel sees it; lower priority ships first."""

    location: str
    on_hand: Decimal
    reserved: Decimal
    priority: int
    channel_buffer: Decimal = _ZERO
    channel_cap: Decimal | None = None

    @property
    def available(self) -> Decimal:
        """Available to sell: on hand - reserved - channel buffer, capped for the channel, never negative."""
        ats = self.on_hand - self.reserved - self.channel_buffer
        if self.channel_cap is not None:
            ats = min(ats, self.channel_cap)
        return max(ats, _ZERO)


@dataclass(frozen=True, slots=True)
class Pick:
    """Quantity to reserve and ship from one location."""

    location: str
    qty: Decimal


@dataclass(frozen=True, slots=True)
class Allocation:
    """Where a line ships from, and what could not be sourced."""

    picks: tuple[Pick, ...]
    backordered: Decimal


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One order line asking for `qty` of `item`."""

    line_id: str
    item: str
    qty: Decimal


def _rank(stock: LocationStock) -> tuple[int, Decimal, str]:
    """Best priority first, then most stock, then name so ties are deterministic."""
    return (stock.priority, -stock.available, stock.location)


def allocate_line(qty: Decimal, stocks: Sequence[LocationStock]) -> Allocation:
    """Fill `qty` from one location if any can, else greedily across locations; backorder the rest."""
    if qty <= 0:
        raise RuleViolation("qty", f"quantity must be positive, got {qty}")
    if len({s.location for s in stocks}) != len(stocks):
        raise RuleViolation("stocks", "each location may appear once per item")
    ranked = sorted((s for s in stocks if s.available > 0), key=_rank)
    # One parcel beats a better-priority split: shipping cost and customer experience favour it.
    whole = [s for s in ranked if s.available >= qty]
    if whole:
        return Allocation(picks=(Pick(whole[0].location, qty),), backordered=_ZERO)
    picks: list[Pick] = []
    left = qty
    for stock in ranked:
        if left == 0:
            break
        take = min(left, stock.available)
        picks.append(Pick(stock.location, take))
        left -= take
    return Allocation(picks=tuple(picks), backordered=left)


def _consume(stock: LocationStock, qty: Decimal) -> LocationStock:
    """Stock as seen after reserving `qty`; the channel cap shrinks too, or a later line could reuse it."""
    cap = None if stock.channel_cap is None else stock.channel_cap - qty
    return replace(stock, reserved=stock.reserved + qty, channel_cap=cap)


def allocate_order(
    lines: Sequence[OrderLine], stocks_by_item: Mapping[str, Sequence[LocationStock]]
) -> tuple[Allocation, ...]:
    """Allocate each line in order (result aligned with `lines`); lines of one item share its stock."""
    remaining: dict[str, list[LocationStock]] = {item: list(s) for item, s in stocks_by_item.items()}
    result: list[Allocation] = []
    for line in lines:
        stocks = remaining.get(line.item, [])
        allocation = allocate_line(line.qty, stocks)
        taken = {pick.location: pick.qty for pick in allocation.picks}
        remaining[line.item] = [_consume(s, taken[s.location]) if s.location in taken else s for s in stocks]
        result.append(allocation)
    return tuple(result)


@dataclass(frozen=True, slots=True)
class Waiter:
    """A backordered order waiting for an item: its channel's allocation priority (lower goes first),
    its age (lower is older: the order's sequence number) and the quantity it still waits for."""

    order: str
    priority: int
    age: int
    qty: Decimal


def _waiter_rank(waiter: Waiter) -> tuple[int, int, str]:
    return (waiter.priority, waiter.age, waiter.order)


def waiting_ahead(me: Waiter, waiters: Sequence[Waiter]) -> Decimal:
    """What the waiters ranking ahead of `me` (channel priority, then age) still wait for.

    Arriving stock goes to waiting orders in that order: a waiter leaves this much to those ahead of it,
    whichever of them happens to look at the stock first.
    """
    mine = _waiter_rank(me)
    return sum(
        (w.qty for w in waiters if w.order != me.order and _waiter_rank(w) < mine and w.qty > 0), _ZERO
    )


def hold_back(stocks: Sequence[LocationStock], qty: Decimal) -> list[LocationStock]:
    """Stock as seen after leaving `qty` to others, taken from the locations they would ship from first."""
    if qty < 0:
        raise RuleViolation("qty", f"quantity held back must not be negative, got {qty}")
    left = qty
    taken: dict[str, Decimal] = {}
    for stock in sorted((s for s in stocks if s.available > 0), key=_rank):
        if left == 0:
            break
        take = min(left, stock.available)
        taken[stock.location] = take
        left -= take
    return [_consume(s, taken[s.location]) if s.location in taken else s for s in stocks]
