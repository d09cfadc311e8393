"""Statements: a month of a small shop classified into P&L and balance sheet by account type and role."""

from decimal import Decimal as D

import pytest

from rules.errors import RuleViolation
from rules.statements import AccountBalance, balance_sheet, pnl_section, profit_and_loss

BOOKS = [
    AccountBalance("1000", "Bank", "asset", "bank", D("500"), D("10500")),
    AccountBalance("1200", "Inventory", "asset", "inventory", D("-300"), D("700")),
    AccountBalance("2000", "AP", "liability", "ap", D("0"), D("-200")),
    AccountBalance("3000", "Capital", "equity", "equity", D("0"), D("-10000")),
    AccountBalance("4000", "Revenue", "income", "revenue", D("-1000"), D("-1500")),
    AccountBalance("4100", "Discounts", "income", "sales_discount", D("50"), D("50")),
    AccountBalance("5000", "COGS", "expense", "cogs", D("300"), D("400")),
    AccountBalance("6100", "Fees", "expense", "marketplace_fees", D("150"), D("50")),
]


def test_profit_and_loss_of_the_month() -> None:
    pnl = profit_and_loss(BOOKS)
    # 1,000 sales less 50 discount = 950; cost 300; margin 650; fees 150 -> 500.
    assert (pnl.net_revenue, pnl.cost_of_sales, pnl.gross_margin) == (D(950), D(300), D(650))
    assert (pnl.operating_expenses, pnl.net_income) == (D(150), D(500))
    assert [(r.section, r.code, r.amount) for r in pnl.rows] == [
        ("revenue", "4000", D(1000)),
        ("revenue", "4100", D(-50)),
        ("cost_of_sales", "5000", D(300)),
        ("operating_expenses", "6100", D(150)),
    ]


def test_balance_sheet_carries_earnings_to_date_in_equity() -> None:
    bs = balance_sheet(BOOKS)
    # Earnings to date: 1,500 - 50 - 400 - 50 = 1,000.
    assert (bs.total_assets, bs.total_liabilities, bs.total_equity) == (D(11200), D(200), D(11000))
    assert bs.earnings_to_date == D(1000) and bs.balanced
    assert bs.rows[-1].name.startswith("Earnings")


def test_sections_and_unknown_types() -> None:
    assert pnl_section("expense", "price_variance") == "cost_of_sales"
    assert pnl_section("expense", None) == "operating_expenses"
    with pytest.raises(RuleViolation):
        pnl_section("asset", "bank")
    with pytest.raises(RuleViolation) as exc:
        profit_and_loss([AccountBalance("9", "?", "memo", None, D(1), D(1))])
    assert exc.value.field == "type"
