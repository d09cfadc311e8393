"""Financial statements from account balances: profit and loss, balance sheet (pure classification)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rules.accounts import AccountRole
from rules.errors import RuleViolation

R = AccountRole
_ZERO = Decimal(0)
_TYPES = ("asset", "liability", "equity", "income", "expense")
# Costs that move with what is sold: they sit between revenue and gross margin.
COST_OF_SALES_ROLES = frozenset({R.COGS, R.PRICE_VARIANCE, R.FREIGHT_EXPENSE, R.SHRINKAGE, R.WRITE_OFF})


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """An account with its debit-minus-credit movement in the period and balance at period end."""

    code: str
    name: str
    type: str
    role: str | None
    period: Decimal
    closing: Decimal


@dataclass(frozen=True, slots=True)
class StatementRow:
    """A presented line: `amount` has the section's natural sign (income and liabilities positive)."""

    section: str
    code: str
    name: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ProfitAndLoss:
    """The period's result: net revenue, cost of sales, gross margin, other expenses, net income."""

    rows: tuple[StatementRow, ...]
    net_revenue: Decimal
    cost_of_sales: Decimal
    gross_margin: Decimal
    operating_expenses: Decimal
    net_income: Decimal


@dataclass(frozen=True, slots=True)
class BalanceSheet:
    """Positions at period end; unclosed earnings to date are shown within equity."""

    rows: tuple[StatementRow, ...]
    total_assets: Decimal
    total_liabilities: Decimal
    total_equity: Decimal
    earnings_to_date: Decimal

    @property
    def balanced(self) -> bool:
        """Assets equal liabilities plus equity."""
        return self.total_assets == self.total_liabilities + self.total_equity


def _check(balances: Iterable[AccountBalance]) -> list[AccountBalance]:
    """Refuse an account type the statements do not know."""
    rows = list(balances)
    for b in rows:
        if b.type not in _TYPES:
            raise RuleViolation("type", f"account {b.code} has unknown type {b.type!r}")
    return rows


def pnl_section(account_type: str, role: str | None) -> str:
    """Where an income or expense account is shown on the P&L."""
    if account_type == "income":
        return "revenue"
    if account_type != "expense":
        raise RuleViolation("type", f"{account_type} accounts are not on the profit and loss")
    return "cost_of_sales" if role in COST_OF_SALES_ROLES else "operating_expenses"


def _total(rows: Sequence[StatementRow], section: str) -> Decimal:
    return sum((r.amount for r in rows if r.section == section), _ZERO)


def profit_and_loss(balances: Iterable[AccountBalance]) -> ProfitAndLoss:
    """Classify the period movements of income and expense accounts into a P&L."""
    rows: list[StatementRow] = []
    for b in sorted(_check(balances), key=lambda x: x.code):
        if b.type not in ("income", "expense") or b.period == 0:
            continue
        section = pnl_section(b.type, b.role)
        # Income is credit-normal: present it positive; contra-revenue (debit) then shows negative.
        amount = -b.period if section == "revenue" else b.period
        rows.append(StatementRow(section, b.code, b.name, amount))
    revenue = _total(rows, "revenue")
    cost = _total(rows, "cost_of_sales")
    opex = _total(rows, "operating_expenses")
    return ProfitAndLoss(tuple(rows), revenue, cost, revenue - cost, opex, revenue - cost - opex)


def balance_sheet(balances: Iterable[AccountBalance]) -> BalanceSheet:
    """Classify closing balances; income and expense to date become one earnings line in equity."""
    rows: list[StatementRow] = []
    earnings = _ZERO
    for b in sorted(_check(balances), key=lambda x: x.code):
        if b.type in ("income", "expense"):
            earnings -= b.closing
            continue
        if b.closing == 0:
            continue
        amount = b.closing if b.type == "asset" else -b.closing
        rows.append(StatementRow(b.type, b.code, b.name, amount))
    if earnings:
        rows.append(StatementRow("equity", "", "Earnings not yet closed to retained earnings", earnings))
    return BalanceSheet(
        tuple(rows), _total(rows, "asset"), _total(rows, "liability"), _total(rows, "equity"), earnings
    )
