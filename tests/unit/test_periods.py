"""Periods: January 2025 is being closed while receipts are still keyed in on 1 February."""

from datetime import date

import pytest

from rules.errors import RuleViolation
from rules.periods import (
    PeriodClosed,
    PeriodStatus,
    check_posting_allowed,
    next_period,
    period_bounds,
    period_of,
    previous_period,
)


def test_period_of_a_business_date() -> None:
    # A receipt keyed on 1 Feb for goods that arrived on 31 Jan belongs to January.
    assert period_of(date(2025, 1, 31)) == "2025-01"
    assert period_of(date(2025, 2, 1)) == "2025-02"


def test_neighbouring_periods_across_year_end() -> None:
    assert previous_period("2025-01") == "2024-12"
    assert next_period("2024-12") == "2025-01"
    assert next_period("2025-06") == "2025-07"


def test_period_bounds_including_leap_february() -> None:
    assert period_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert period_bounds("2025-02") == (date(2025, 2, 1), date(2025, 2, 28))
    assert period_bounds("2025-12") == (date(2025, 12, 1), date(2025, 12, 31))


@pytest.mark.parametrize("bad", ["2025-13", "2025-1", "25-01", "abcd-ef", "2025/01", "0000-01"])
def test_malformed_period(bad: str) -> None:
    with pytest.raises(RuleViolation) as exc:
        previous_period(bad)
    assert exc.value.field == "period"


def test_open_period_accepts_anyone() -> None:
    check_posting_allowed("2025-01", PeriodStatus.OPEN, actor_is_closer=False)


def test_soft_closed_period_accepts_closers_only() -> None:
    # The controller may still book the January accruals; the warehouse clerk may not.
    check_posting_allowed("2025-01", PeriodStatus.SOFT_CLOSED, actor_is_closer=True)
    with pytest.raises(PeriodClosed) as exc:
        check_posting_allowed("2025-01", PeriodStatus.SOFT_CLOSED, actor_is_closer=False)
    assert exc.value.field == "posting_date"
    assert "2025-01" in exc.value.reason


def test_closed_period_refuses_even_closers() -> None:
    with pytest.raises(PeriodClosed) as exc:
        check_posting_allowed("2024-12", PeriodStatus.CLOSED, actor_is_closer=True)
    assert exc.value.period == "2024-12"
    assert exc.value.reason == "period 2024-12 is closed; post in an open period"
