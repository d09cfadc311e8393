"""KPI formulas: working capital days, stock turns, accuracy and rates (pure, Decimal)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from rules.errors import RuleViolation

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_STEP = Decimal("0.01")


def _round(x: Decimal) -> Decimal:
    """KPIs are shown with two decimals."""
    return x.quantize(_STEP, rounding=ROUND_HALF_UP)


def _days(days: int) -> Decimal:
    if days <= 0:
        raise RuleViolation("days", f"the window must be at least one day, got {days}")
    return Decimal(days)


def days_inventory_outstanding(avg_inventory: Decimal, cogs: Decimal, days: int) -> Decimal | None:
    """DIO = average inventory / cost of goods sold x days; None when nothing was sold."""
    window = _days(days)
    return None if cogs == 0 else _round(avg_inventory / cogs * window)


def days_sales_outstanding(avg_receivables: Decimal, revenue: Decimal, days: int) -> Decimal | None:
    """DSO = average receivables / net revenue x days; None without revenue."""
    window = _days(days)
    return None if revenue == 0 else _round(avg_receivables / revenue * window)


def days_payables_outstanding(avg_payables: Decimal, purchases: Decimal, days: int) -> Decimal | None:
    """DPO = average payables / purchases (at cost) x days; None without purchases."""
    window = _days(days)
    return None if purchases == 0 else _round(avg_payables / purchases * window)


def cash_conversion_cycle(dio: Decimal | None, dso: Decimal | None, dpo: Decimal | None) -> Decimal | None:
    """DIO + DSO - DPO; None when any part is unknown."""
    if dio is None or dso is None or dpo is None:
        return None
    return dio + dso - dpo


def stock_turns(cogs: Decimal, avg_inventory: Decimal, days: int, annualise: bool = True) -> Decimal | None:
    """How often the average stock was sold in the window (scaled to a year when `annualise`)."""
    window = _days(days)
    if avg_inventory <= 0:
        return None
    turns = cogs / avg_inventory
    return _round(turns * Decimal(365) / window if annualise else turns)


def percentage(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part / whole in percent; None for an empty whole."""
    if part < 0 or whole < 0:
        raise RuleViolation("part", "counts must not be negative")
    if whole == 0:
        return None
    return _round(Decimal(part) / Decimal(whole) * _HUNDRED)


def stock_accuracy(lines_counted: int, lines_matching: int) -> Decimal | None:
    """Share of counted item x location lines whose book quantity matched the count."""
    if lines_matching > lines_counted:
        raise RuleViolation("lines_matching", "cannot exceed the lines counted")
    return percentage(lines_matching, lines_counted)


def is_slow_mover(days_since_last_issue: int | None, on_hand: Decimal, threshold_days: int) -> bool:
    """Stock on hand with no issue within the threshold (or never issued) is slow-moving."""
    if threshold_days <= 0:
        raise RuleViolation("threshold_days", "must be positive")
    if on_hand <= 0:
        return False
    return days_since_last_issue is None or days_since_last_issue >= threshold_days


def gross_margin_pct(revenue: Decimal, cost: Decimal) -> Decimal | None:
    """(revenue - cost) / revenue in percent; None without revenue."""
    return None if revenue == 0 else _round((revenue - cost) / revenue * _HUNDRED)
