"""Financial reports from the GL with set-based SQL: trial balance, P&L, balance sheet, consolidation."""

from dataclasses import asdict
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from rules.close_checks import trial_balance_balanced
from rules.money import convert
from rules.periods import period_bounds
from rules.statements import AccountBalance, BalanceSheet, ProfitAndLoss, balance_sheet, profit_and_loss
from services import fx
from services.errors import NotFound

# Period balances (kept by a trigger as lines post) up to period end; FILTER splits opening, movement
# and closing. Equal to grouping the journal lines themselves (tests/close/test_period_balances.py).
_BALANCES = """
WITH m AS (
  SELECT account_id,
         COALESCE(sum(amount_func) FILTER (WHERE period < :p), 0) AS opening,
         COALESCE(sum(debit_func) FILTER (WHERE period = :p), 0) AS debits,
         COALESCE(sum(credit_func) FILTER (WHERE period = :p), 0) AS credits,
         COALESCE(sum(amount_func) FILTER (WHERE period = :p), 0) AS movement,
         sum(amount_func) AS closing
    FROM ledger_period_balance
   WHERE entity_id = :e AND period <= :p
   GROUP BY account_id)
SELECT a.code, a.name, a.type, a.role, m.opening, m.debits, m.credits, m.movement, m.closing
  FROM m JOIN account a ON a.id = m.account_id
 ORDER BY a.code
"""


def money(x: Decimal) -> str:
    """Money in JSON as an exact string (a float would lose cents)."""
    return f"{x:.2f}"


def _entity(session: Session, entity_id: int) -> tuple[str, str]:
    row = (
        session.connection()
        .execute(text("SELECT code, currency FROM entity WHERE id = :e"), {"e": entity_id})
        .first()
    )
    if row is None:
        raise NotFound("entity_id", f"entity {entity_id} does not exist")
    return str(row[0]), str(row[1])


def _rows(session: Session, entity_id: int, period: str) -> list[Any]:
    period_bounds(period)  # refuses a malformed period with a RuleViolation naming the field
    return list(session.connection().execute(text(_BALANCES), {"e": entity_id, "p": period}).all())


def _balances_of(rows: list[Any]) -> list[AccountBalance]:
    return [
        AccountBalance(r.code, r.name, r.type, r.role, Decimal(r.movement), Decimal(r.closing)) for r in rows
    ]


def account_balances(session: Session, entity_id: int, period: str) -> list[AccountBalance]:
    """Every account with movement up to period end: period movement and closing balance (debit > 0)."""
    return _balances_of(_rows(session, entity_id, period))


def _trial_balance_of(
    entity_id: int, code: str, currency: str, period: str, rows: list[Any]
) -> dict[str, Any]:
    lines = [
        {
            "code": r.code,
            "name": r.name,
            "type": r.type,
            "role": r.role,
            "opening": money(r.opening),
            "debit": money(r.debits),
            "credit": money(r.credits),
            "closing": money(r.closing),
            "closing_debit": money(max(r.closing, Decimal(0))),
            "closing_credit": money(max(-r.closing, Decimal(0))),
        }
        for r in rows
    ]
    debit = sum((Decimal(r.debits) for r in rows), Decimal(0))
    credit = sum((Decimal(r.credits) for r in rows), Decimal(0))
    return {
        "entity_id": entity_id,
        "entity_code": code,
        "currency": currency,
        "period": period,
        "lines": lines,
        "total_debit": money(debit),
        "total_credit": money(credit),
        "balanced": trial_balance_balanced([(r.code, Decimal(r.closing)) for r in rows]) and debit == credit,
    }


def trial_balance(session: Session, entity_id: int, period: str) -> dict[str, Any]:
    """Opening, period debits and credits, and closing per account; balanced when closings sum to zero."""
    code, currency = _entity(session, entity_id)
    return _trial_balance_of(entity_id, code, currency, period, _rows(session, entity_id, period))


def pnl_json(pnl: ProfitAndLoss) -> dict[str, Any]:
    """A P&L as JSON with exact money strings."""
    return {
        "rows": [{**asdict(r), "amount": money(r.amount)} for r in pnl.rows],
        "net_revenue": money(pnl.net_revenue),
        "cost_of_sales": money(pnl.cost_of_sales),
        "gross_margin": money(pnl.gross_margin),
        "operating_expenses": money(pnl.operating_expenses),
        "net_income": money(pnl.net_income),
    }


def bs_json(bs: BalanceSheet) -> dict[str, Any]:
    """A balance sheet as JSON with exact money strings."""
    return {
        "rows": [{**asdict(r), "amount": money(r.amount)} for r in bs.rows],
        "total_assets": money(bs.total_assets),
        "total_liabilities": money(bs.total_liabilities),
        "total_equity": money(bs.total_equity),
        "earnings_to_date": money(bs.earnings_to_date),
        "balanced": bs.balanced,
    }


def profit_and_loss_report(session: Session, entity_id: int, period: str) -> dict[str, Any]:
    """The entity's P&L for the period."""
    code, currency = _entity(session, entity_id)
    pnl = profit_and_loss(account_balances(session, entity_id, period))
    return {
        "entity_id": entity_id,
        "entity_code": code,
        "currency": currency,
        "period": period,
        **pnl_json(pnl),
    }


def balance_sheet_report(session: Session, entity_id: int, period: str) -> dict[str, Any]:
    """The entity's balance sheet at period end."""
    code, currency = _entity(session, entity_id)
    bs = balance_sheet(account_balances(session, entity_id, period))
    return {
        "entity_id": entity_id,
        "entity_code": code,
        "currency": currency,
        "period": period,
        **bs_json(bs),
    }


def statements(session: Session, entity_id: int, period: str) -> dict[str, Any]:
    """Trial balance, P&L and balance sheet of one period: the snapshot a close stores."""
    code, currency = _entity(session, entity_id)
    rows = _rows(session, entity_id, period)
    balances = _balances_of(rows)
    return {
        "trial_balance": _trial_balance_of(entity_id, code, currency, period, rows),
        "profit_and_loss": pnl_json(profit_and_loss(balances)),
        "balance_sheet": bs_json(balance_sheet(balances)),
    }


def consolidated(session: Session, entity_ids: list[int], period: str, currency: str) -> dict[str, Any]:
    """P&L and balance sheet of several entities in a reporting currency, at the period-end rate."""
    _, end = period_bounds(period)
    merged: dict[tuple[str, str, str | None], tuple[Decimal, Decimal]] = {}
    rates: dict[str, str] = {}
    for entity_id in sorted(entity_ids):
        code, entity_currency = _entity(session, entity_id)
        rate = fx.rate(session, entity_currency, currency, end)
        rates[code] = str(rate)
        for b in account_balances(session, entity_id, period):
            # Accounts are merged by role (every entity maps the same roles); unmapped ones by code.
            key = (b.type, b.role or b.code, b.role)
            period_amt, closing = merged.get(key, (Decimal(0), Decimal(0)))
            merged[key] = (
                period_amt + convert(b.period, rate, currency) if b.period else period_amt,
                closing + convert(b.closing, rate, currency) if b.closing else closing,
            )
    balances = [
        AccountBalance(code=name, name=name, type=kind, role=role, period=p, closing=c)
        for (kind, name, role), (p, c) in merged.items()
    ]
    pnl = profit_and_loss(balances)
    bs = balance_sheet(balances)
    body = bs_json(bs)
    # Converting line by line at one rate leaves rounding cents: shown as a translation difference.
    translation = bs.total_assets - bs.total_liabilities - bs.total_equity
    if translation:
        body["rows"].append(
            {"section": "equity", "code": "", "name": "Translation difference", "amount": money(translation)}
        )
        body["total_equity"] = money(bs.total_equity + translation)
        body["balanced"] = True
    return {
        "entities": sorted(rates),
        "period": period,
        "currency": currency,
        "rates": rates,
        "rate_basis": f"closing rate on {end}",
        "profit_and_loss": pnl_json(pnl),
        "balance_sheet": body,
    }
