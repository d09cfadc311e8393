"""Inventory valuation: moving average and FIFO layers (domain.md section 3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from rules.errors import RuleViolation
from rules.money import quantize, quantize_cost, quantize_qty

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class AverageCost:
    """Moving-average state kept as totals, so issued values always add up to the ledger value."""

    qty: Decimal
    value: Decimal

    @property
    def rate(self) -> Decimal:
        """Current unit cost (6 decimals); zero when nothing is on hand."""
        if self.qty == 0:
            return quantize_cost(_ZERO)
        return quantize_cost(self.value / self.qty)


def _positive_qty(qty: Decimal) -> Decimal:
    """Refuse zero or negative movement quantities."""
    if qty <= 0:
        raise RuleViolation("qty", f"quantity must be positive, got {qty}")
    return quantize_qty(qty)


def receive_average(state: AverageCost, qty: Decimal, unit_cost: Decimal, currency: str) -> AverageCost:
    """Add a receipt of `qty` at `unit_cost` to the moving average."""
    qty = _positive_qty(qty)
    if unit_cost < 0:
        raise RuleViolation("unit_cost", f"unit cost must not be negative, got {unit_cost}")
    return AverageCost(qty=state.qty + qty, value=state.value + quantize(qty * unit_cost, currency))


def issue_average(state: AverageCost, qty: Decimal, currency: str) -> tuple[AverageCost, Decimal]:
    """Issue `qty` at the moving average; return the new state and the value issued."""
    qty = _positive_qty(qty)
    if qty > state.qty:
        raise RuleViolation("qty", f"cannot issue {qty}, only {state.qty} on hand")
    if qty == state.qty:
        # The last unit out takes whatever value is left, so no rounding residue stays on the books.
        return AverageCost(qty=_ZERO, value=quantize(_ZERO, currency)), state.value
    issued = quantize(state.value * qty / state.qty, currency)
    return AverageCost(qty=state.qty - qty, value=state.value - issued), issued


@dataclass(frozen=True, slots=True)
class FifoLayer:
    """A receipt's remaining quantity; `value` is its remaining book value (qty x unit_cost if None)."""

    layer_id: str
    qty: Decimal
    unit_cost: Decimal
    value: Decimal | None = None


@dataclass(frozen=True, slots=True)
class LayerConsumption:
    """What one issue took from one layer."""

    layer_id: str
    qty: Decimal
    unit_cost: Decimal
    value: Decimal


@dataclass(frozen=True, slots=True)
class FifoIssue:
    """Result of a FIFO issue: the layers touched (oldest first), total value and what is left."""

    consumed: tuple[LayerConsumption, ...]
    value: Decimal
    remaining: tuple[FifoLayer, ...] = ()


def consume_fifo(layers: Sequence[FifoLayer], qty: Decimal, currency: str) -> FifoIssue:
    """Issue `qty` from `layers` (given in receipt order), oldest first."""
    qty = _positive_qty(qty)
    for layer in layers:
        if layer.qty < 0:
            raise RuleViolation("layers", f"layer {layer.layer_id} has negative quantity {layer.qty}")
    available = sum((layer.qty for layer in layers), _ZERO)
    if qty > available:
        raise RuleViolation("qty", f"cannot issue {qty}, only {available} in FIFO layers")
    consumed: list[LayerConsumption] = []
    remaining: list[FifoLayer] = []
    left = qty
    for layer in layers:
        book = layer.value if layer.value is not None else quantize(layer.qty * layer.unit_cost, currency)
        take = min(left, layer.qty)
        if take == 0:
            if layer.qty > 0:
                remaining.append(FifoLayer(layer.layer_id, layer.qty, layer.unit_cost, book))
            continue
        # Emptying a layer takes its whole book value; a partial take is pro rata, so parts never drift.
        value = book if take == layer.qty else quantize(book * take / layer.qty, currency)
        consumed.append(LayerConsumption(layer.layer_id, take, layer.unit_cost, value))
        if take < layer.qty:
            remaining.append(FifoLayer(layer.layer_id, layer.qty - take, layer.unit_cost, book - value))
        left -= take
    total = sum((c.value for c in consumed), quantize(_ZERO, currency))
    return FifoIssue(consumed=tuple(consumed), value=total, remaining=tuple(remaining))
