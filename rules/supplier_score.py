"""Supplier scorecard: one 0..100 number from reliability statistics (domain.md section 11)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from rules.errors import RuleViolation

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
# A price variance this large (in percent, either direction) scores zero on price.
_PRICE_ZERO_AT_PCT = Decimal(10)


@dataclass(frozen=True, slots=True)
class SupplierStats:
    """Observed performance; *_pct and *_rate are percentages 0..100, lead times in days."""

    on_time_pct: Decimal
    fill_rate: Decimal
    lead_time_mean: Decimal
    lead_time_var: Decimal
    price_variance_pct: Decimal
    match_rate: Decimal


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """Relative weight of each component; they need not sum to 100."""

    on_time: Decimal
    fill: Decimal
    lead_time: Decimal
    price: Decimal
    match: Decimal


DEFAULT_WEIGHTS = ScoreWeights(
    on_time=Decimal(30), fill=Decimal(25), lead_time=Decimal(15), price=Decimal(15), match=Decimal(15)
)


def _clamp(x: Decimal) -> Decimal:
    """Bound a component to 0..100."""
    return max(_ZERO, min(_HUNDRED, x))


def _validate(stats: SupplierStats) -> None:
    """Refuse percentages outside 0..100 and negative lead-time statistics."""
    for name in ("on_time_pct", "fill_rate", "match_rate"):
        value: Decimal = getattr(stats, name)
        if not _ZERO <= value <= _HUNDRED:
            raise RuleViolation(name, f"must be a percentage 0..100, got {value}")
    for name in ("lead_time_mean", "lead_time_var"):
        if getattr(stats, name) < 0:
            raise RuleViolation(name, f"must not be negative, got {getattr(stats, name)}")


def lead_time_component(mean: Decimal, var: Decimal) -> Decimal:
    """100 x (1 - coefficient of variation): steady lead times score high whatever their length."""
    if var == 0:
        return _HUNDRED
    if mean == 0:
        return _ZERO
    return _clamp(_HUNDRED * (1 - var.sqrt() / mean))


def score(stats: SupplierStats, weights: ScoreWeights = DEFAULT_WEIGHTS) -> Decimal:
    """Weighted average of the components, 0..100 with 2 decimals."""
    _validate(stats)
    pairs = (
        (weights.on_time, stats.on_time_pct),
        (weights.fill, stats.fill_rate),
        (weights.lead_time, lead_time_component(stats.lead_time_mean, stats.lead_time_var)),
        # Unreliable pricing costs either way: a cheaper invoice still breaks the match.
        (weights.price, _clamp(_HUNDRED - abs(stats.price_variance_pct) * _HUNDRED / _PRICE_ZERO_AT_PCT)),
        (weights.match, stats.match_rate),
    )
    if any(w < 0 for w, _ in pairs):
        raise RuleViolation("weights", "weights must not be negative")
    total_weight = sum((w for w, _ in pairs), _ZERO)
    if total_weight == 0:
        raise RuleViolation("weights", "at least one weight must be positive")
    weighted = sum((w * c for w, c in pairs), _ZERO) / total_weight
    return weighted.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
