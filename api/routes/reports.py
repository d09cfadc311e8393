"""Reports as JSON (and CSV where people export): statements, stock, margin, suppliers, working capital, KPIs."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from api.deps import SessionDep, check_entity, require
from api.downloads import csv_download
from api.errors import responses
from api.schemas.base import QueryId
from api.schemas.reports import (
    BalanceSheet,
    Consolidated,
    GrossMargin,
    Kpis,
    PeriodTrialBalance,
    ProfitAndLoss,
    StockTurns,
    StockValuation,
    SupplierScorecard,
    WorkingCapital,
)
from services.close import analytics, reports
from services.core import stock_reports
from services.core.auth import Principal

router = APIRouter(prefix="/reports", tags=["reports"], responses=responses(401, 422))
finance = Depends(require("controller", "ap_clerk"))
Period = Annotated[str, Query(pattern=r"^[0-9]{4}-[0-9]{2}$", examples=["2026-10"])]
Format = Annotated[Literal["json", "csv"], Query(description="csv for a spreadsheet")]
# JSON by default (the response model), CSV with format=csv.
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
    **responses(403, 404),
}


def _answer(body: dict[str, Any], rows_key: str, fmt: str, name: str) -> Any:
    return csv_download(body[rows_key], name) if fmt == "csv" else body


@router.get(
    "/trial-balance",
    summary="Trial balance of a period: opening, debits, credits, closing",
    responses=CSV,
    response_model=PeriodTrialBalance,
)
def trial_balance(
    session: SessionDep, entity_id: QueryId, period: Period, who: Principal = finance, format: Format = "json"
) -> Any:
    """Per account: opening balance, the period's debits and credits, closing balance. Controllers and AP; format=csv
    for a spreadsheet."""
    check_entity(who, entity_id)
    return _answer(
        reports.trial_balance(session, entity_id, period), "lines", format, f"trial-balance-{period}"
    )


@router.get(
    "/profit-and-loss", summary="Profit and loss of a period", responses=CSV, response_model=ProfitAndLoss
)
def profit_and_loss(
    session: SessionDep, entity_id: QueryId, period: Period, who: Principal = finance, format: Format = "json"
) -> Any:
    """Net revenue, cost of sales, gross margin, operating expenses and net income of the period, with the lines.
    format=csv for a spreadsheet."""
    check_entity(who, entity_id)
    return _answer(
        reports.profit_and_loss_report(session, entity_id, period), "rows", format, f"pnl-{period}"
    )


@router.get(
    "/balance-sheet", summary="Balance sheet at period end", responses=CSV, response_model=BalanceSheet
)
def balance_sheet(
    session: SessionDep, entity_id: QueryId, period: Period, who: Principal = finance, format: Format = "json"
) -> Any:
    """Assets, liabilities and equity at period end, earnings to date in equity. format=csv for a spreadsheet."""
    check_entity(who, entity_id)
    body = reports.balance_sheet_report(session, entity_id, period)
    return _answer(body, "rows", format, f"balance-sheet-{period}")


@router.get(
    "/consolidated",
    summary="P&L and balance sheet of all my entities in a reporting currency",
    response_model=Consolidated,
    responses=responses(403),
)
def consolidated(
    session: SessionDep,
    period: Period,
    currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$", examples=["EUR"])] = "EUR",
    who: Principal = finance,
) -> dict[str, Any]:
    """P&L and balance sheet of all your entities in one reporting currency at the period-end rates, with the
    translation difference in equity."""
    return reports.consolidated(session, sorted(who.entity_ids), period, currency)


@router.get(
    "/stock-valuation",
    summary="Quantity and value per item x location at period end",
    responses=CSV,
    response_model=StockValuation,
)
def stock_valuation(
    session: SessionDep, entity_id: QueryId, period: Period, who: Principal = finance, format: Format = "json"
) -> Any:
    """Quantity, value and unit cost per item and location at period end, from the stock ledger. format=csv for a
    spreadsheet."""
    check_entity(who, entity_id)
    rows = stock_reports.stock_valuation(session, entity_id, period)
    return (
        csv_download(rows, f"stock-valuation-{period}")
        if format == "csv"
        else {"period": period, "lines": rows}
    )


@router.get(
    "/gross-margin",
    summary="Gross margin by channel, SKU, supplier, location or promotion",
    responses=CSV,
    response_model=GrossMargin,
    response_model_exclude_unset=True,
)
def gross_margin(
    session: SessionDep,
    entity_id: QueryId,
    period: Period,
    by: Literal["channel", "sku", "supplier", "location", "promotion"] = "channel",
    who: Principal = finance,
    format: Format = "json",
) -> Any:
    """Revenue, cost and margin of shipped goods by one dimension; each line carries only the chosen key. format=csv
    for a spreadsheet."""
    check_entity(who, entity_id)
    return _answer(
        analytics.gross_margin(session, entity_id, period, by), "lines", format, f"margin-{by}-{period}"
    )


@router.get(
    "/stock-turns", summary="Stock turns per item and slow movers", responses=CSV, response_model=StockTurns
)
def stock_turns(
    session: SessionDep,
    entity_id: QueryId,
    period: Period,
    window_days: int = Query(90, ge=1, le=730),
    slow_after_days: int = Query(90, ge=1, le=730),
    who: Principal = finance,
    format: Format = "json",
) -> Any:
    """Cost of goods sold, average value and annualised turns per item over a window, and the slow movers. format=csv
    for a spreadsheet."""
    check_entity(who, entity_id)
    body = stock_reports.stock_turns_report(session, entity_id, period, window_days, slow_after_days)
    return _answer(body, "items", format, f"stock-turns-{period}")


@router.get(
    "/supplier-scorecard",
    summary="On-time, fill rate, lead time, price variance, match rate",
    responses=CSV,
    response_model=SupplierScorecard,
)
def supplier_scorecard(
    session: SessionDep, entity_id: QueryId, period: Period, who: Principal = finance, format: Format = "json"
) -> Any:
    """Per supplier: orders, on-time %, fill rate, lead time, price variance, match rate and score in the period.
    format=csv for a spreadsheet."""
    check_entity(who, entity_id)
    body = analytics.supplier_scorecard(session, entity_id, period)
    return _answer(body, "suppliers", format, f"suppliers-{period}")


@router.get(
    "/working-capital",
    summary="DIO, DSO, DPO and the cash conversion cycle",
    response_model=WorkingCapital,
    responses=responses(403, 404),
)
def working_capital(
    session: SessionDep, entity_id: QueryId, period: Period, who: Principal = finance
) -> dict[str, Any]:
    """Days inventory, sales and payables outstanding and the cash conversion cycle of the period."""
    check_entity(who, entity_id)
    return analytics.working_capital(session, entity_id, period)


@router.get(
    "/kpis",
    summary="Stock accuracy, stockouts, PO cycle time, invoice match rate, close-cycle duration",
    response_model=Kpis,
    responses=responses(403, 404),
)
def kpis(session: SessionDep, entity_id: QueryId, period: Period, who: Principal = finance) -> dict[str, Any]:
    """Stock accuracy, stockouts, PO cycle time, first-time invoice match rate and close-cycle duration of the period."""
    check_entity(who, entity_id)
    return analytics.kpis(session, entity_id, period)
