"""Translating an entity's books into a reporting currency (the current-rate method) and eliminating
intercompany balances: balance sheet at the closing rate, P&L at each period's average rate, equity at
historical rates; what the rates leave over is the currency translation adjustment (CTA), an equity line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.money import convert
from rules.statements import AccountBalance

_ZERO = Decimal(0)
_RATE_STEP = Decimal("0.0000000001")  # RATE NUMERIC(20,10)


def average_rate(daily: Sequence[Decimal]) -> Decimal:
    """The mean of the daily rates of a period (each day's rate is the latest known on that day)."""
    if not daily:
        raise RuleViolation("rate", "no exchange rate is known in the period")
    return (sum(daily, _ZERO) / len(daily)).quantize(_RATE_STEP, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class BooksToTranslate:
    """One entity's accounts in its functional currency, with what each translation basis needs.

    `pnl_by_period`: income and expense movement per period up to the reporting period (code -> period ->
    amount). `equity_historical`: equity accounts already translated line by line at their posting
    dates' rates (code -> reporting-currency balance)."""

    balances: Sequence[AccountBalance]
    pnl_by_period: Mapping[str, Mapping[str, Decimal]]
    equity_historical: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class Translated:
    """The accounts in the reporting currency and the CTA they leave (a signed balance, credit < 0)."""

    balances: tuple[AccountBalance, ...]
    cta: Decimal


def translate(
    books: BooksToTranslate,
    period: str,
    closing_rate: Decimal,
    average_rates: Mapping[str, Decimal],
    currency: str,
) -> Translated:
    """Each account at its basis; the CTA is what keeps the translated trial balance at zero."""
    out: list[AccountBalance] = []
    for b in books.balances:
        if b.type in ("asset", "liability"):
            closing = convert(b.closing, closing_rate, currency) if b.closing else _ZERO
            movement = convert(b.period, closing_rate, currency) if b.period else _ZERO
        elif b.type == "equity":
            closing = books.equity_historical.get(b.code, _ZERO)
            movement = _ZERO
        else:
            by_period = books.pnl_by_period.get(b.code, {})
            missing = sorted(p for p in by_period if p not in average_rates)
            if missing:
                raise RuleViolation("rate", f"no average rate for period(s) {', '.join(missing)}")
            closing = sum(
                (convert(amount, average_rates[p], currency) for p, amount in by_period.items() if amount),
                _ZERO,
            )
            movement = convert(b.period, average_rates[period], currency) if b.period else _ZERO
        out.append(AccountBalance(b.code, b.name, b.type, b.role, movement, closing))
    cta = -sum((b.closing for b in out), _ZERO)
    return Translated(tuple(out), cta)


@dataclass(frozen=True, slots=True)
class Elimination:
    """Intercompany balances removed from the group: matched amount, and what did not match (left shown)."""

    eliminated: Decimal
    unmatched_receivable: Decimal
    unmatched_payable: Decimal


def eliminate_intercompany(balances: Sequence[AccountBalance]) -> tuple[list[AccountBalance], Elimination]:
    """Net the group's intercompany receivables against its payables; an unmatched rest stays visible."""
    receivable = sum((b.closing for b in balances if b.role == AccountRole.IC_RECEIVABLE), _ZERO)
    payable = -sum((b.closing for b in balances if b.role == AccountRole.IC_PAYABLE), _ZERO)
    matched = max(min(receivable, payable), _ZERO)
    out: list[AccountBalance] = []
    for b in balances:
        if b.role == AccountRole.IC_RECEIVABLE:
            b = AccountBalance(b.code, b.name, b.type, b.role, b.period, b.closing - matched)
        elif b.role == AccountRole.IC_PAYABLE:
            b = AccountBalance(b.code, b.name, b.type, b.role, b.period, b.closing + matched)
        out.append(b)
    return out, Elimination(matched, receivable - matched, payable - matched)


@dataclass(frozen=True, slots=True)
class PnlElimination:
    """Intercompany income and expense removed from the group P&L (positive amounts), and the translation
    rest their removal leaves when the two sides were translated at different average rates."""

    revenue: Decimal
    cost: Decimal
    rest: Decimal


def eliminate_intercompany_pnl(
    balances: Sequence[AccountBalance], intercompany: Sequence[AccountBalance]
) -> tuple[list[AccountBalance], PnlElimination]:
    """Take the group's intercompany charges out of its income and expense accounts (matched by code).

    `intercompany` holds the translated income/expense of intercompany charges, merged like `balances`.
    The rest (income and expense that no longer cancel: debit > 0) belongs to the CTA, so the translated
    trial balance stays at zero."""
    by_code: dict[str, tuple[Decimal, Decimal]] = {}
    for ic in intercompany:
        period, closing = by_code.get(ic.code, (_ZERO, _ZERO))
        by_code[ic.code] = (period + ic.period, closing + ic.closing)
    out = [
        AccountBalance(
            b.code, b.name, b.type, b.role, b.period - by_code[b.code][0], b.closing - by_code[b.code][1]
        )
        if b.code in by_code and b.type in ("income", "expense")
        else b
        for b in balances
    ]
    revenue = -sum((ic.closing for ic in intercompany if ic.type == "income"), _ZERO)
    cost = sum((ic.closing for ic in intercompany if ic.type == "expense"), _ZERO)
    return out, PnlElimination(revenue, cost, revenue - cost)
