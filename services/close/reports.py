"""Financial reports from the GL with set-based SQL: trial balance, P&L, balance sheet, consolidation."""

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from rules.accounts import AccountRole
from rules.close_checks import trial_balance_balanced
from rules.money import convert
from rules.periods import period_bounds
from rules.statements import AccountBalance, BalanceSheet, ProfitAndLoss, balance_sheet, profit_and_loss
from rules.translation import (
    BooksToTranslate,
    average_rate,
    eliminate_intercompany,
    eliminate_intercompany_pnl,
    translate,
)
from services.core import fx
from services.core.errors import NotFound

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


def _heading(entity_id: int, code: str, currency: str, period: str) -> dict[str, Any]:
    """What every report of one entity's period starts with."""
    return {"entity_id": entity_id, "entity_code": code, "currency": currency, "period": period}


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
        **_heading(entity_id, code, currency, period),
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
    return {**_heading(entity_id, code, currency, period), **pnl_json(pnl)}


def balance_sheet_report(session: Session, entity_id: int, period: str) -> dict[str, Any]:
    """The entity's balance sheet at period end."""
    code, currency = _entity(session, entity_id)
    bs = balance_sheet(account_balances(session, entity_id, period))
    return {**_heading(entity_id, code, currency, period), **bs_json(bs)}


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


# Income and expense movement per period (each translated at its period's average rate), and equity per
# posting date (translated at that day's rate: historical).
_PNL_BY_PERIOD = """
SELECT a.code, e.period, sum(l.amount_func) AS amount
  FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
 WHERE l.entity_id = :e AND e.period <= :p AND a.type IN ('income', 'expense')
 GROUP BY a.code, e.period
"""
# The income and expense of intercompany charges with another entity of the group (eliminated on consolidation).
_IC_PNL_BY_PERIOD = """
SELECT a.code, e.period, sum(l.amount_func) AS amount
  FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
 WHERE l.entity_id = :e AND e.period <= :p AND a.type IN ('income', 'expense') AND e.source_type = 'intercompany'
   AND EXISTS (SELECT 1 FROM journal_line x WHERE x.entry_id = e.id AND x.partner_type = 'entity'
                  AND x.partner_id = ANY(:group))
 GROUP BY a.code, e.period
"""
_EQUITY_BY_DATE = """
SELECT a.code, e.posting_date, sum(l.amount_func) AS amount
  FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
 WHERE l.entity_id = :e AND e.period <= :p AND a.type = 'equity'
 GROUP BY a.code, e.posting_date
"""


def _average_rates(
    session: Session, from_currency: str, to_currency: str, periods: set[str], fallback: Decimal
) -> tuple[dict[str, Decimal], list[str]]:
    """Each period's average rate; a period before any known rate takes `fallback` and is listed."""
    if from_currency == to_currency:
        return dict.fromkeys(periods, Decimal(1)), []
    rates: dict[str, Decimal] = {}
    without: list[str] = []
    for p in sorted(periods):
        start, end = period_bounds(p)
        daily = fx.daily_rates(session, from_currency, to_currency, start, end)
        if daily:
            rates[p] = average_rate(daily)
        else:
            rates[p] = fallback
            without.append(p)
    return rates, without


def _historical_rate(session: Session, func: str, currency: str, day: date) -> Decimal | None:
    """The rate of a posting date; None when no rate was known yet."""
    try:
        return fx.rate(session, func, currency, day)
    except NotFound:
        return None


def _books(
    session: Session,
    entity_id: int,
    period: str,
    func: str,
    currency: str,
    closing_rate: Decimal,
    notes: list[str],
) -> BooksToTranslate:
    conn = session.connection()
    pnl: dict[str, dict[str, Decimal]] = {}
    for code, p, amount in conn.execute(text(_PNL_BY_PERIOD), {"e": entity_id, "p": period}):
        pnl.setdefault(code, {})[p] = Decimal(amount)
    equity: dict[str, Decimal] = {}
    for code, day, amount in conn.execute(text(_EQUITY_BY_DATE), {"e": entity_id, "p": period}):
        if amount:
            rate = _historical_rate(session, func, currency, day)
            if rate is None:  # equity booked before the rate table begins: at the closing rate, and said so
                notes.append(day.isoformat())
            translated = convert(Decimal(amount), rate or closing_rate, currency)
            equity[code] = equity.get(code, Decimal(0)) + translated
    return BooksToTranslate(account_balances(session, entity_id, period), pnl, equity)


def _intercompany_pnl(
    session: Session, entity_id: int, period: str, group: list[int], books: BooksToTranslate
) -> BooksToTranslate:
    """The entity's income and expense from intercompany charges with the group, as books to translate."""
    by_period: dict[str, dict[str, Decimal]] = {}
    rows = session.connection().execute(
        text(_IC_PNL_BY_PERIOD), {"e": entity_id, "p": period, "group": [str(g) for g in group]}
    )
    for code, p, amount in rows:
        by_period.setdefault(code, {})[p] = Decimal(amount)
    accounts = [
        AccountBalance(
            b.code,
            b.name,
            b.type,
            b.role,
            by_period[b.code].get(period, Decimal(0)),
            sum(by_period[b.code].values(), Decimal(0)),
        )
        for b in books.balances
        if b.code in by_period
    ]
    return BooksToTranslate(accounts, by_period, {})


@dataclass
class _Group:
    """The entities of a consolidation translated into the reporting currency and merged by account."""

    merged: dict[tuple[str, str, str | None], tuple[Decimal, Decimal]] = field(default_factory=dict)
    rates: dict[str, str] = field(default_factory=dict)
    averages: dict[str, str] = field(default_factory=dict)
    # Periods (P&L) and posting dates (equity) older than the rate table go at the closing rate, listed.
    at_closing: dict[str, list[str]] = field(default_factory=dict)
    cta: Decimal = Decimal(0)
    intercompany: list[AccountBalance] = field(default_factory=list)


def _translate_group(
    session: Session, entity_ids: list[int], period: str, currency: str, end: date
) -> _Group:
    """Translate each entity's books (closing, average and historical rates) and merge them."""
    group = _Group()
    for entity_id in sorted(entity_ids):
        code, entity_currency = _entity(session, entity_id)
        closing_rate = fx.rate(session, entity_currency, currency, end)
        notes: list[str] = []
        books = _books(session, entity_id, period, entity_currency, currency, closing_rate, notes)
        periods = {p for by in books.pnl_by_period.values() for p in by} | {period}
        average, without = _average_rates(session, entity_currency, currency, periods, closing_rate)
        group.rates[code], group.averages[code] = str(closing_rate), str(average[period])
        if without or notes:
            group.at_closing[code] = without + notes
        translated = translate(books, period, closing_rate, average, currency)
        group.cta += translated.cta
        ic_books = _intercompany_pnl(session, entity_id, period, sorted(entity_ids), books)
        for b in translate(ic_books, period, closing_rate, average, currency).balances:
            group.intercompany.append(
                AccountBalance(b.role or b.code, b.name, b.type, b.role, b.period, b.closing)
            )
        for b in translated.balances:
            # Accounts are merged by role (every entity maps the same roles); unmapped ones by code.
            key = (b.type, b.role or b.code, b.role)
            period_amt, closing = group.merged.get(key, (Decimal(0), Decimal(0)))
            group.merged[key] = (period_amt + b.period, closing + b.closing)
    return group


def consolidated(session: Session, entity_ids: list[int], period: str, currency: str) -> dict[str, Any]:
    """P&L and balance sheet of several entities in a reporting currency: balance sheet at the closing rate,
    P&L at the period's average rate, equity at historical rates, the difference as a CTA line in equity;
    intercompany receivables and payables, and intercompany income and expense, eliminated."""
    _, end = period_bounds(period)
    group = _translate_group(session, entity_ids, period, currency, end)
    merged, rates, averages, at_closing = group.merged, group.rates, group.averages, group.at_closing
    cta, intercompany = group.cta, group.intercompany
    balances = [
        AccountBalance(code=name, name=name, type=kind, role=role, period=p, closing=c)
        for (kind, name, role), (p, c) in merged.items()
    ]
    balances, elimination = eliminate_intercompany(balances)
    balances, pnl_elimination = eliminate_intercompany_pnl(balances, intercompany)
    cta -= pnl_elimination.rest  # removing more revenue than cost leaves that much translation difference
    if cta:
        balances.append(
            AccountBalance(AccountRole.CTA, AccountRole.CTA, "equity", AccountRole.CTA, Decimal(0), cta)
        )
    pnl = profit_and_loss(balances)
    bs = balance_sheet(balances)
    return {
        "entities": sorted(rates),
        "period": period,
        "currency": currency,
        "rates": rates,
        "average_rates": averages,
        "translated_at_closing_rate": at_closing,
        "rate_basis": f"balance sheet at the closing rate on {end}, P&L at the period's average rate,"
        " equity at historical rates",
        "eliminations": {
            "intercompany": money(elimination.eliminated),
            "unmatched_receivable": money(elimination.unmatched_receivable),
            "unmatched_payable": money(elimination.unmatched_payable),
            "intercompany_revenue": money(pnl_elimination.revenue),
            "intercompany_cost": money(pnl_elimination.cost),
        },
        "cta": money(-cta),
        "profit_and_loss": pnl_json(pnl),
        "balance_sheet": bs_json(bs),
    }
