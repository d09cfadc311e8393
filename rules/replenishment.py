"""Demand-aware reorder point and order quantity (domain.md section 8)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from statistics import NormalDist

from rules.errors import RuleViolation
from rules.money import quantize_qty

_ZERO = Decimal(0)


def _non_negative(field: str, value: Decimal) -> None:
    """Refuse a negative demand statistic or duration."""
    if value < 0:
        raise RuleViolation(field, f"must not be negative, got {value}")


def z_for_service_level(level: Decimal) -> Decimal:
    """Standard normal quantile for a cycle service level in (0, 1), e.g. 0.95 -> 1.6449."""
    if not _ZERO < level < 1:
        raise RuleViolation("service_level", f"must be strictly between 0 and 1, got {level}")
    # The one float in the rules: NormalDist works in floats; repr() gives the shortest exact round-trip.
    z = NormalDist().inv_cdf(float(level))
    return Decimal(repr(z)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def safety_stock(
    z: Decimal,
    sigma_daily: Decimal,
    lead_time_days: Decimal,
    lead_time_var: Decimal = _ZERO,
    mean_daily: Decimal = _ZERO,
) -> Decimal:
    """z x sqrt(L x sigma_d^2 + d^2 x var_L): demand noise over the lead time plus lead-time noise."""
    for field, value in (
        ("sigma_daily", sigma_daily),
        ("lead_time_days", lead_time_days),
        ("lead_time_var", lead_time_var),
        ("mean_daily", mean_daily),
    ):
        _non_negative(field, value)
    variance = lead_time_days * sigma_daily**2 + mean_daily**2 * lead_time_var
    # Decimal.sqrt is exact to the context precision, so no float creeps in here.
    return quantize_qty(z * variance.sqrt())


def reorder_point(mean_daily: Decimal, lead_time_days: Decimal, safety_stock: Decimal) -> Decimal:
    """Expected demand over the lead time plus safety stock."""
    _non_negative("mean_daily", mean_daily)
    _non_negative("lead_time_days", lead_time_days)
    return quantize_qty(mean_daily * lead_time_days + safety_stock)


def order_quantity(
    projected: Decimal,
    rop: Decimal,
    mean_daily: Decimal,
    review_days: Decimal,
    min_order_qty: Decimal,
    pack_size: Decimal,
) -> Decimal:
    """Zero above the reorder point; else max(MOQ, ROP + review-period demand - projected) in whole packs."""
    if pack_size <= 0:
        raise RuleViolation("pack_size", f"must be positive, got {pack_size}")
    _non_negative("min_order_qty", min_order_qty)
    _non_negative("review_days", review_days)
    if projected > rop:
        return quantize_qty(_ZERO)
    target = rop + mean_daily * review_days
    wanted = max(min_order_qty, target - projected)
    packs = (wanted / pack_size).to_integral_value(rounding=ROUND_CEILING)
    return quantize_qty(packs * pack_size)
