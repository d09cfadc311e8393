"""Manual journals: the lines a controller keys in, who may approve them, and when a reversal posts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.periods import PeriodStatus, next_period, period_bounds, period_of

MAX_JOURNAL_LINES = 100
# Control accounts move only with their subledger documents (the stock ledger, supplier and customer
# documents, intercompany charges); the CTA arises on consolidation only. A manual line on one of them
# would be a reconciliation difference for ever.
CONTROL_ROLES: dict[str, str] = {
    AccountRole.INVENTORY: "stock moves (receipts, counts, adjustments)",
    AccountRole.AP: "supplier documents",
    AccountRole.AR: "customer documents",
    AccountRole.IC_RECEIVABLE: "intercompany charges",
    AccountRole.IC_PAYABLE: "intercompany charges",
    AccountRole.CTA: "consolidation",
}
# How far a reversal may be pushed forward past closed periods before a person must decide.
REVERSAL_HORIZON_PERIODS = 12
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class KeyedLine:
    """One line as keyed in: an account code, a debit or a credit (the other zero)."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def signed_amounts(lines: Sequence[KeyedLine], max_lines: int = MAX_JOURNAL_LINES) -> list[Decimal]:
    """Each line as a signed amount (debit > 0); refuses a journal that is not a balanced double entry."""
    if len(lines) < 2:
        raise RuleViolation("lines", "a journal needs at least two lines (a debit and a credit)")
    if len(lines) > max_lines:
        raise RuleViolation("lines", f"at most {max_lines} lines, got {len(lines)}")
    signed: list[Decimal] = []
    for i, line in enumerate(lines):
        if line.debit < 0 or line.credit < 0:
            raise RuleViolation(f"lines[{i}]", "debit and credit are positive amounts (or zero)")
        if (line.debit > 0) == (line.credit > 0):
            raise RuleViolation(f"lines[{i}]", "give either a debit or a credit, not both and not neither")
        signed.append(line.debit - line.credit)
    difference = sum(signed, ZERO)
    if difference:
        debits = sum((a for a in signed if a > 0), ZERO)
        raise RuleViolation("lines", f"debits {debits} and credits {debits - difference} do not balance")
    return signed


def check_not_control_account(index: int, code: str, role: str | None) -> None:
    """Refuse a manual line on a control account, saying which documents move it."""
    if role in CONTROL_ROLES:
        raise RuleViolation(
            f"lines[{index}].account",
            f"{code} is the {role} control account: it moves with {CONTROL_ROLES[role]}",
        )


def check_reversal_date(posting_date: date, reversal_date: date | None) -> None:
    """A reversal comes after the entry it reverses."""
    if reversal_date is not None and reversal_date <= posting_date:
        raise RuleViolation("reversal_date", f"must be after the posting date {posting_date.isoformat()}")


def check_maker_is_not_checker(maker: str, actor: str, acting_for: str | None) -> None:
    """Segregation of duties: whoever keyed a journal never approves it, not even on someone's behalf."""
    if maker in {actor, acting_for}:
        raise RuleViolation("decision", f"{maker} keyed this journal and may not approve it")


def reversal_posting_date(
    requested: date,
    status_of: Callable[[str], PeriodStatus],
    horizon: int = REVERSAL_HORIZON_PERIODS,
) -> date | None:
    """The requested date when its period is open, else the first day of the next open period.

    None when no period within the horizon is open (a person must decide). A soft-closed period counts as
    closed: a reversal is a system posting, not a closer's adjustment."""
    period = period_of(requested)
    if status_of(period) == PeriodStatus.OPEN:
        return requested
    for _ in range(horizon):
        period = next_period(period)
        if status_of(period) == PeriodStatus.OPEN:
            return period_bounds(period)[0]
    return None


def next_period_start(posting_date: date) -> date:
    """The first day of the period after the posting date's: when an accrual reverses."""
    return period_bounds(next_period(period_of(posting_date)))[0]
