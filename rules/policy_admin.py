"""Checks on policy an admin writes (approval bands, delegations) and a new entity's default policy."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from rules.errors import RuleViolation


@dataclass(frozen=True, slots=True)
class BandRange:
    """Where a band applies: its entity and category, an amount range [low, high) and dates (inclusive)."""

    id: int | None
    entity_id: int | None
    category: str | None
    min_amount: Decimal
    max_amount: Decimal | None
    effective_from: date | None
    effective_to: date | None


def _amounts_overlap(a: BandRange, b: BandRange) -> bool:
    a_high = a.max_amount if a.max_amount is not None else Decimal("Infinity")
    b_high = b.max_amount if b.max_amount is not None else Decimal("Infinity")
    return a.min_amount < b_high and b.min_amount < a_high


def _dates_overlap(a: BandRange, b: BandRange) -> bool:
    a_from, b_from = a.effective_from or date.min, b.effective_from or date.min
    a_to, b_to = a.effective_to or date.max, b.effective_to or date.max
    return a_from <= b_to and b_from <= a_to


def check_band(band: BandRange, others: Iterable[BandRange]) -> None:
    """Refuse a band with an empty amount or date range, or one that overlaps an equally specific band.

    Two equally specific bands covering one amount on one day would make every such PO fail
    (rules.approval.levels_for), so the overlap is refused when the band is written, not when a buyer orders.
    """
    if band.max_amount is not None and band.max_amount <= band.min_amount:
        raise RuleViolation("max_amount", f"must be above min_amount {band.min_amount}")
    if band.effective_from and band.effective_to and band.effective_to < band.effective_from:
        raise RuleViolation("effective_to", f"must not be before effective_from {band.effective_from}")
    for other in others:
        if other.id == band.id or (other.entity_id, other.category) != (band.entity_id, band.category):
            continue
        if _amounts_overlap(band, other) and _dates_overlap(band, other):
            raise RuleViolation(
                "min_amount",
                f"overlaps band {other.id} ({other.min_amount} to {other.max_amount or 'open'}) on the same "
                "entity and category: end that band first (effective_to) or change its amounts",
            )


def check_levels(levels: Sequence[dict[str, Any]], roles: Iterable[str]) -> None:
    """Each level names exactly one known role or one user."""
    known = set(roles)
    for i, level in enumerate(levels):
        role, user = level.get("role"), level.get("user")
        if (role is None) == (user is None):
            raise RuleViolation(f"levels[{i}]", "a level names exactly one of role or user")
        if role is not None and role not in known:
            raise RuleViolation(f"levels[{i}].role", f"unknown role {role!r}; one of {sorted(known)}")


def check_escalation(chain: Mapping[str, str], roles: Iterable[str]) -> None:
    """An escalation chain maps known roles to known roles."""
    known = set(roles)
    for source, target in chain.items():
        for name in (source, target):
            if name not in known:
                raise RuleViolation(f"escalation.{source}", f"unknown role {name!r}; one of {sorted(known)}")


def check_delegation(delegator: str, delegate: str, valid_from: date, valid_to: date) -> None:
    """Nobody delegates to themselves, and the period is not empty."""
    if delegator == delegate:
        raise RuleViolation("delegate", "must be someone other than the delegator")
    if valid_to < valid_from:
        raise RuleViolation("valid_to", f"must not be before valid_from {valid_from}")


# A new entity can buy at once: one approver up to 5,000 (entity currency), the approver then a controller
# above; overdue approvals go to the controllers. No rolling cap until the admin sets one. (The default
# match tolerance is rules.matching.DEFAULT_TOLERANCE.)
DEFAULT_BANDS: tuple[tuple[Decimal, Decimal | None, tuple[dict[str, str], ...]], ...] = (
    (Decimal("0"), Decimal("5000"), ({"role": "approver"},)),
    (Decimal("5000"), None, ({"role": "approver"}, {"role": "controller"})),
)
DEFAULT_SETTING: dict[str, Any] = {
    "sla_hours": 24,
    "escalation": {"approver": "controller"},
    "window_days": 30,
    "window_cap": None,
    "grace_days": 2,
    "over_receipt_pct": Decimal("0"),
}
