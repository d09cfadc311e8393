"""Response models of the reports (JSON; the CSV form of a report has one row per line of it)."""

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import Field

from api.schemas.base import OpenReply, Reply, reply_examples

# A computed figure: kept as the report computes it (an exact decimal string, or a number), null when unknown.
Figure = Decimal | int | float | None


class TrialBalanceRow(Reply):
    """An account's opening, movements and closing balance in the period."""

    code: str
    name: str
    type: str
    role: str | None
    opening: Decimal
    debit: Decimal
    credit: Decimal
    closing: Decimal
    closing_debit: Decimal
    closing_credit: Decimal


class PeriodTrialBalance(Reply):
    """A period's trial balance in the entity's currency."""

    entity_id: int
    entity_code: str
    currency: str
    period: str
    lines: list[TrialBalanceRow]
    total_debit: Decimal
    total_credit: Decimal
    balanced: bool


class StatementLine(Reply):
    """A presented line with its section's natural sign (income and liabilities positive)."""

    section: str
    code: str
    name: str
    amount: Decimal


class ProfitAndLoss(Reply):
    """A period's result: net revenue, cost of sales, gross margin, operating expenses, net income."""

    model_config = reply_examples(
        {
            "entity_id": 1,
            "entity_code": "EU01",
            "currency": "EUR",
            "period": "2026-10",
            "rows": [{"section": "revenue", "code": "4000", "name": "Sales", "amount": "1200.00"}],
            "net_revenue": "1200.00",
            "cost_of_sales": "700.00",
            "gross_margin": "500.00",
            "operating_expenses": "120.00",
            "net_income": "380.00",
        }
    )

    entity_id: int
    entity_code: str
    currency: str
    period: str
    rows: list[StatementLine]
    net_revenue: Decimal
    cost_of_sales: Decimal
    gross_margin: Decimal
    operating_expenses: Decimal
    net_income: Decimal


class BalanceSheet(Reply):
    """Assets, liabilities and equity at period end (earnings to date in equity)."""

    entity_id: int
    entity_code: str
    currency: str
    period: str
    rows: list[StatementLine]
    total_assets: Decimal
    total_liabilities: Decimal
    total_equity: Decimal
    earnings_to_date: Decimal
    balanced: bool


class Consolidated(OpenReply):
    """Several entities' P&L and balance sheet in a reporting currency at the period-end rate."""

    entities: list[str] = Field(description="entity codes")
    period: str
    currency: str
    rates: dict[str, Any] = Field(description="per entity code, the rate into the reporting currency")
    rate_basis: str
    profit_and_loss: dict[str, Any] = Field(description="rows and totals as in the P&L report")
    balance_sheet: dict[str, Any] = Field(description="rows and totals as in the balance sheet report")


class StockValuationLine(Reply):
    """An item at a location at period end, from the stock ledger."""

    sku: str
    name: str
    category: str
    location: str = Field(description="the location's code")
    valuation_method: str
    qty: Decimal
    value: Decimal
    unit_cost: Decimal | None


class StockValuation(Reply):
    """Quantity and value per item and location at period end."""

    period: str
    lines: list[StockValuationLine]


class MarginLine(Reply):
    """Revenue (net of discounts), cost and margin of one key of the chosen dimension."""

    channel: str | None = None
    sku: str | None = None
    supplier: str | None = None
    location: str | None = None
    promotion: str | None = None
    revenue: Decimal
    cost: Decimal
    margin: Decimal
    margin_pct: Figure


class GrossMargin(Reply):
    """Gross margin by channel, SKU, supplier, location or promotion (only the chosen key is in each line)."""

    entity_id: int
    period: str
    by: str
    available: bool
    reason: str | None
    lines: list[MarginLine]


class TurnsWindow(Reply):
    """The window stock turns are measured over."""

    from_: date = Field(alias="from")
    to: date
    days: int


class TurnsLine(Reply):
    """An item's cost of goods sold, average value, turns and days since its last sale."""

    sku: str
    name: str
    cogs: Decimal
    average_value: Decimal
    on_hand: Decimal
    turns: Figure
    last_sale: date | None
    days_since_last_sale: int | None
    slow_mover: bool


class StockTurns(Reply):
    """Stock turns per item and the slow movers."""

    entity_id: int
    period: str
    window: TurnsWindow
    turns: Figure
    items: list[TurnsLine]
    slow_movers: list[str] = Field(description="SKUs")


class SupplierScore(Reply):
    """A supplier's delivery, price and match statistics in the period."""

    supplier: str = Field(description="the supplier's code")
    supplier_id: int
    name: str
    orders: int
    on_time_pct: Figure
    fill_rate: Figure
    lead_time_mean_days: Figure
    lead_time_var_days: Figure
    price_variance_pct: Figure
    match_rate: Figure
    score: Figure


class SupplierScorecard(Reply):
    """On-time, fill rate, lead time, price variance and match rate per supplier."""

    entity_id: int
    period: str
    available: bool
    reason: str | None
    suppliers: list[SupplierScore]


class WorkingCapital(Reply):
    """Days inventory, sales and payables outstanding and the cash conversion cycle."""

    entity_id: int
    period: str
    days: int
    average_inventory: Decimal
    average_receivables: Decimal
    average_payables: Decimal
    cogs: Decimal
    net_revenue: Decimal
    dio: Figure
    dso: Figure
    dpo: Figure
    cash_conversion_cycle: Figure


class Kpis(OpenReply):
    """Stock accuracy, stockouts, PO cycle time, invoice match rate and close-cycle duration."""

    entity_id: int
    period: str
    stock_accuracy: dict[str, Any]
    stockouts: dict[str, Any]
    po_cycle_time: dict[str, Any]
    invoice_match_rate: dict[str, Any]
    close_cycle: dict[str, Any]
