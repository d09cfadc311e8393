"""Return rules: window, returnable quantity, refund share, approval threshold, disposition, spike test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from rules.errors import RuleViolation
from rules.order_pricing import shipped_share

Disposition = Literal["restock", "refurbish", "quarantine", "scrap", "return_to_vendor"]
DISPOSITIONS: tuple[Disposition, ...] = ("restock", "refurbish", "quarantine", "scrap", "return_to_vendor")
REASON_CODES = (
    "damaged",
    "defective",
    "wrong_item",
    "not_as_described",
    "no_longer_needed",
    "size_fit",
    "other",
)


@dataclass(frozen=True, slots=True)
class RefundShare:
    """Net and tax given back for some units of one order line."""

    net: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        """Net plus tax."""
        return self.net + self.tax


def _n(qty: Decimal) -> str:
    """A quantity as people write it (2, not 2.0000)."""
    return format(qty.normalize(), "f")


def check_window(field: str, shipped_on: date, today: date, window_days: int) -> None:
    """Refuse a return requested after the channel's window (counted from the last shipment)."""
    last_day = shipped_on + timedelta(days=window_days)
    if today > last_day:
        raise RuleViolation(
            field, f"the return window of {window_days} days closed on {last_day} (shipped {shipped_on})"
        )


def check_quantity(field: str, qty: Decimal, shipped: Decimal, returned: Decimal) -> None:
    """Refuse a quantity that is not positive or exceeds what was shipped minus what is already returned."""
    if qty <= 0:
        raise RuleViolation(field, f"quantity must be positive, got {qty}")
    left = shipped - returned
    if qty > left:
        raise RuleViolation(
            field,
            f"only {_n(left)} can be returned ({_n(shipped)} shipped, {_n(returned)} already returned), not {_n(qty)}",
        )


def check_serials(field: str, qty: Decimal, serials: list[str], sold: set[str], returned: set[str]) -> None:
    """Serial-tracked units: one distinct serial per unit, each sold on the order and not returned yet."""
    if Decimal(len(serials)) != qty or len(set(serials)) != len(serials):
        raise RuleViolation(field, f"give one distinct serial number per unit returned ({_n(qty)})")
    for sn in serials:
        if sn not in sold:
            raise RuleViolation(field, f"serial {sn!r} was not sold on this order line")
        if sn in returned:
            raise RuleViolation(field, f"serial {sn!r} is already on another return")


def refund_share(
    net_total: Decimal, tax_total: Decimal, line_qty: Decimal, before: Decimal, qty: Decimal, currency: str
) -> RefundShare:
    """The line's net and tax for `qty` units after `before` were returned (cumulative rounding, exact total)."""
    return RefundShare(
        net=shipped_share(net_total, line_qty, before, qty, currency),
        tax=shipped_share(tax_total, line_qty, before, qty, currency),
    )


def needs_approval(value: Decimal, auto_approve_below: Decimal) -> bool:
    """A person approves a return worth the threshold or more; below it the return is approved at once."""
    return value >= auto_approve_below


def is_spike(returned: Decimal, sold: Decimal, threshold: Decimal, min_sold: Decimal) -> bool:
    """Return rate over the threshold, on enough sold volume to mean something."""
    if sold <= 0 or sold < min_sold:
        return False
    return returned / sold > threshold
