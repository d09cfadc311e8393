"""Accounting periods (calendar months) and the posting cut-off rule."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from rules.errors import RuleViolation


class PeriodStatus(StrEnum):
    """Open to all; soft-closed to closers only (accruals, adjustments); closed to everyone."""

    OPEN = "open"
    SOFT_CLOSED = "soft_closed"
    CLOSED = "closed"


class PeriodClosed(RuleViolation):
    """A posting dated in a period that no longer accepts it."""

    def __init__(self, period: str, status: PeriodStatus) -> None:
        super().__init__("posting_date", f"period {period} is {status}; post in an open period")
        self.period = period
        self.status = status
        # Keep args equal to the constructor's so the exception survives pickling.
        self.args = (period, status)


def _parse(p: str) -> tuple[int, int]:
    """Split 'YYYY-MM' into (year, month) or refuse it."""
    year, sep, month = p.partition("-")
    if not (sep and len(year) == 4 and len(month) == 2 and year.isdigit() and month.isdigit()):
        raise RuleViolation("period", f"{p!r} is not a period like 2025-01")
    y, m = int(year), int(month)
    if not 1 <= m <= 12 or y < 1:
        raise RuleViolation("period", f"{p!r} is not a period like 2025-01")
    return y, m


def _fmt(year: int, month: int) -> str:
    """Format a period key."""
    return f"{year:04d}-{month:02d}"


def period_of(d: date) -> str:
    """Period ('YYYY-MM') a business date falls in."""
    return _fmt(d.year, d.month)


def previous_period(p: str) -> str:
    """The period before `p`."""
    y, m = _parse(p)
    return _fmt(y - 1, 12) if m == 1 else _fmt(y, m - 1)


def next_period(p: str) -> str:
    """The period after `p`."""
    y, m = _parse(p)
    return _fmt(y + 1, 1) if m == 12 else _fmt(y, m + 1)


def period_bounds(p: str) -> tuple[date, date]:
    """First and last day of the period, both inclusive."""
    y, m = _parse(p)
    ny, nm = _parse(next_period(p))
    return date(y, m, 1), date(ny, nm, 1) - timedelta(days=1)


def check_posting_allowed(period: str, status: PeriodStatus, actor_is_closer: bool) -> None:
    """Raise PeriodClosed unless a posting dated in `period` is allowed for this actor."""
    if status == PeriodStatus.OPEN:
        return
    if status == PeriodStatus.SOFT_CLOSED and actor_is_closer:
        return
    raise PeriodClosed(period, status)
