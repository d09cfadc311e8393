"""Manual journal rules: a controller keys a rent accrual for November that reverses on 1 December; the
lines must balance, each line is a debit or a credit, the maker never approves, and a reversal whose
period is closed moves to the first day of the next open period."""

from datetime import date
from decimal import Decimal

import pytest

from rules.errors import RuleViolation
from rules.journals import (
    KeyedLine,
    check_maker_is_not_checker,
    check_not_control_account,
    check_reversal_date,
    next_period_start,
    reversal_posting_date,
    signed_amounts,
)
from rules.periods import PeriodStatus

D = Decimal
RENT = [KeyedLine("6200", debit=D("1500.00")), KeyedLine("2150", credit=D("1500.00"))]


def test_a_balanced_journal_becomes_signed_amounts() -> None:
    assert signed_amounts(RENT) == [D("1500.00"), D("-1500.00")]


def test_an_unbalanced_journal_is_refused_naming_lines() -> None:
    with pytest.raises(RuleViolation) as refused:
        signed_amounts([KeyedLine("6200", debit=D("1500.00")), KeyedLine("2150", credit=D("1499.99"))])
    assert refused.value.field == "lines"
    assert "1500.00" in refused.value.reason and "1499.99" in refused.value.reason


@pytest.mark.parametrize(
    "line",
    [KeyedLine("6200", debit=D(1), credit=D(1)), KeyedLine("6200"), KeyedLine("6200", debit=D(-5))],
)
def test_each_line_is_either_a_debit_or_a_credit(line: KeyedLine) -> None:
    with pytest.raises(RuleViolation) as refused:
        signed_amounts([KeyedLine("2150", credit=D(1)), line])
    assert refused.value.field == "lines[1]"


def test_one_line_or_too_many_lines_are_refused() -> None:
    with pytest.raises(RuleViolation, match="at least two"):
        signed_amounts(RENT[:1])
    many = [KeyedLine("6200", debit=D(1)), KeyedLine("2150", credit=D(1))] * 3
    with pytest.raises(RuleViolation, match="at most 4 lines"):
        signed_amounts(many, max_lines=4)


def test_a_reversal_comes_after_the_entry() -> None:
    check_reversal_date(date(2025, 11, 30), date(2025, 12, 1))
    check_reversal_date(date(2025, 11, 30), None)
    with pytest.raises(RuleViolation) as refused:
        check_reversal_date(date(2025, 11, 30), date(2025, 11, 30))
    assert refused.value.field == "reversal_date"


def test_the_maker_never_approves_not_even_for_someone_else() -> None:
    check_maker_is_not_checker("alice", "carol", None)
    with pytest.raises(RuleViolation):
        check_maker_is_not_checker("alice", "alice", None)
    with pytest.raises(RuleViolation):
        check_maker_is_not_checker("alice", "carol", "alice")


def test_a_reversal_in_an_open_period_posts_on_its_date() -> None:
    assert reversal_posting_date(date(2025, 12, 1), lambda p: PeriodStatus.OPEN) == date(2025, 12, 1)


def test_a_reversal_in_a_closed_period_moves_to_the_next_open_period() -> None:
    closed = {"2025-12": PeriodStatus.CLOSED, "2026-01": PeriodStatus.SOFT_CLOSED}
    status = lambda p: closed.get(p, PeriodStatus.OPEN)  # noqa: E731
    assert reversal_posting_date(date(2025, 12, 15), status) == date(2026, 2, 1)


def test_no_open_period_within_the_horizon_leaves_it_to_a_person() -> None:
    assert reversal_posting_date(date(2025, 12, 1), lambda p: PeriodStatus.CLOSED, horizon=3) is None


def test_an_accrual_reverses_at_the_start_of_the_next_period() -> None:
    assert next_period_start(date(2025, 11, 30)) == date(2025, 12, 1)
    assert next_period_start(date(2025, 12, 5)) == date(2026, 1, 1)


@pytest.mark.parametrize("role", ["inventory", "ap", "ar", "ic_receivable", "ic_payable", "cta"])
def test_control_accounts_move_only_with_their_documents(role: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        check_not_control_account(2, "9000", role)
    assert refused.value.field == "lines[2].account"


def test_other_accounts_take_manual_lines() -> None:
    for role in ("accrued_expense", "accrued_liabilities", "bank", None):
        check_not_control_account(0, "6200", role)
