"""KPI formulas a controller checks by hand: working capital days, turns, accuracy, slow movers."""

from decimal import Decimal as D

import pytest

from rules.errors import RuleViolation
from rules.kpis import (
    cash_conversion_cycle,
    days_inventory_outstanding,
    days_payables_outstanding,
    days_sales_outstanding,
    gross_margin_pct,
    is_slow_mover,
    percentage,
    stock_accuracy,
    stock_turns,
)


def test_working_capital_days_of_a_30_day_month() -> None:
    # 60,000 of stock against 30,000 cost of goods sold in 30 days: 60 days of stock.
    assert days_inventory_outstanding(D(60000), D(30000), 30) == D("60.00")
    assert days_sales_outstanding(D(10000), D(50000), 30) == D("6.00")
    assert days_payables_outstanding(D(20000), D(30000), 30) == D("20.00")
    assert cash_conversion_cycle(D(60), D(6), D(20)) == D(46)
    assert days_inventory_outstanding(D(1), D(0), 30) is None
    assert cash_conversion_cycle(None, D(6), D(20)) is None
    with pytest.raises(RuleViolation):
        days_sales_outstanding(D(1), D(1), 0)


def test_stock_turns_annualised_and_plain() -> None:
    assert stock_turns(D(30000), D(60000), 365) == D("0.50")
    assert stock_turns(D(1000), D(1000), 73) == D("5.00")
    assert stock_turns(D(1000), D(1000), 73, annualise=False) == D("1.00")
    assert stock_turns(D(1000), D(0), 30) is None


def test_accuracy_rates_and_margin() -> None:
    assert stock_accuracy(200, 194) == D("97.00")
    assert stock_accuracy(0, 0) is None
    with pytest.raises(RuleViolation):
        stock_accuracy(1, 2)
    assert percentage(1, 3) == D("33.33")
    with pytest.raises(RuleViolation):
        percentage(-1, 3)
    assert gross_margin_pct(D(950), D(300)) == D("68.42")
    assert gross_margin_pct(D(0), D(1)) is None


def test_slow_movers() -> None:
    assert is_slow_mover(None, D(5), 90)  # never sold, still held
    assert is_slow_mover(120, D(5), 90)
    assert not is_slow_mover(10, D(5), 90)
    assert not is_slow_mover(None, D(0), 90)  # nothing held, nothing slow
    with pytest.raises(RuleViolation):
        is_slow_mover(1, D(1), 0)
