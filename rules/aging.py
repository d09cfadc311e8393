"""Aging of open items: how overdue each amount is, in the buckets controllers read (by due date)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# (label, first day overdue, last day overdue); "current" is not yet due (or due today).
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("current", -(10**6), 0),
    ("d1_30", 1, 30),
    ("d31_60", 31, 60),
    ("d61_90", 61, 90),
    ("over_90", 91, None),
)
LABELS: tuple[str, ...] = tuple(label for label, _, _ in BUCKETS)


def bucket(due: date, as_of: date) -> str:
    """The bucket of an amount due on `due`, seen on `as_of` (days overdue = as_of - due)."""
    overdue = (as_of - due).days
    for label, first, last in BUCKETS:
        if overdue >= first and (last is None or overdue <= last):
            return label
    raise AssertionError("the buckets cover every day")  # pragma: no cover - BUCKETS is contiguous


@dataclass(frozen=True, slots=True)
class OpenAmount:
    """What is open on one document, for whom, due when (signed: what the counterparty owes us is > 0)."""

    entity_id: int
    counterparty: str
    currency: str
    due_date: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class AgingRow:
    """One counterparty's open amounts per bucket, in one entity and currency."""

    entity_id: int
    counterparty: str
    currency: str
    buckets: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        """Everything open for this counterparty."""
        return sum(self.buckets.values(), Decimal(0))


def age(items: Iterable[OpenAmount], as_of: date) -> list[AgingRow]:
    """Sum open amounts per entity, counterparty and currency into the buckets; fully settled rows drop out."""
    sums: dict[tuple[int, str, str], dict[str, Decimal]] = {}
    for item in items:
        if item.amount == 0:
            continue
        row = sums.setdefault(
            (item.entity_id, item.counterparty, item.currency), dict.fromkeys(LABELS, Decimal(0))
        )
        label = bucket(item.due_date, as_of)
        row[label] += item.amount
    rows = [AgingRow(e, cp, cur, b) for (e, cp, cur), b in sorted(sums.items())]
    return [r for r in rows if any(r.buckets.values())]
