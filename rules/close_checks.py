"""Month-end checks: subledger-vs-control reconciliations and the trial balance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from rules.errors import RuleViolation


@dataclass(frozen=True, slots=True)
class ReconciliationDifference:
    """A subledger that disagrees with its GL control account; difference = subledger - control."""

    name: str
    subledger: Decimal
    control: Decimal
    difference: Decimal


def reconcile(
    name: str, subledger: Decimal, control: Decimal, tolerance: Decimal = Decimal(0)
) -> ReconciliationDifference | None:
    """None when the two totals agree within `tolerance`, else the difference to review."""
    if tolerance < 0:
        raise RuleViolation("tolerance", f"must not be negative, got {tolerance}")
    difference = subledger - control
    if abs(difference) <= tolerance:
        return None
    return ReconciliationDifference(name, subledger, control, difference)


def trial_balance_balanced(rows: Sequence[tuple[str, Decimal]]) -> bool:
    """True when the (account, debit-minus-credit balance) rows sum to exactly zero."""
    return sum((balance for _, balance in rows), Decimal(0)) == 0
