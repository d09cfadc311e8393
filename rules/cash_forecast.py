"""13-week cash forecast: when an open document turns into cash, and the day or week bucket it lands in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from rules.errors import RuleViolation
from rules.money import quantize
from rules.payment_terms import due_date

WEEKS = 13
HORIZON_DAYS = WEEKS * 7
# Refunds of goods already back are paid at once; others when the goods arrive (at the latest the deadline).
REFUND_NOW_STAGES = ("inspection",)
Category = Literal["supplier_payments", "committed_spend", "customer_receipts", "refunds"]
CATEGORIES: tuple[Category, ...] = ("supplier_payments", "committed_spend", "customer_receipts", "refunds")
Granularity = Literal["day", "week"]
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class CashDocument:
    """One open document's expected cash movement in its own currency (inflow > 0, outflow < 0)."""

    category: Category
    doc_type: str
    doc_id: str
    currency: str
    amount: Decimal
    expected: date
    basis: str


@dataclass(frozen=True, slots=True)
class Bucket:
    """The cash of one currency in one day or week: totals per category, net, running total, documents."""

    currency: str
    start: date
    end: date
    totals: dict[Category, Decimal]
    net: Decimal
    cumulative: Decimal
    documents: tuple[CashDocument, ...]


def horizon_end(as_of: date) -> date:
    """The last day of the 13 weeks starting on `as_of`."""
    return as_of + timedelta(days=HORIZON_DAYS - 1)


def cash_date(expected: date, as_of: date) -> date:
    """The day the cash counts on: an overdue document is expected on the first day, not in the past."""
    return max(expected, as_of)


def bucket_bounds(day: date, as_of: date, by: Granularity) -> tuple[date, date]:
    """First and last day of the bucket holding `day`; weeks run from `as_of`, not from Monday."""
    if day < as_of:
        raise RuleViolation("day", f"{day} is before the forecast start {as_of}")
    if by == "day":
        return day, day
    start = as_of + timedelta(days=7 * ((day - as_of).days // 7))
    return start, start + timedelta(days=6)


def committed_payment_date(expected_receipt: date, terms: str, as_of: date) -> date:
    """An approved PO's uninvoiced remainder is billed on receipt (never before today) and paid on terms."""
    return due_date(max(expected_receipt, as_of), terms)


def receipt_date(shipped_on: date, settlement_days: int) -> date:
    """When a shipped order's receivable is collected: the channel's settlement cycle after shipment."""
    if settlement_days < 0:
        raise RuleViolation("settlement_days", f"must not be negative, got {settlement_days}")
    return shipped_on + timedelta(days=settlement_days)


def refund_date(stage: str, goods_due: date | None, as_of: date) -> date:
    """An approved refund is paid when its goods arrive: now if they are back, else by the goods deadline."""
    if stage in REFUND_NOW_STAGES or goods_due is None:
        return as_of
    return cash_date(goods_due, as_of)


def _starts(as_of: date, by: Granularity) -> list[date]:
    step = 1 if by == "day" else 7
    return [as_of + timedelta(days=n) for n in range(0, HORIZON_DAYS, step)]


def in_horizon(doc: CashDocument, as_of: date) -> bool:
    """Whether the document's cash falls within the 13 weeks (overdue ones count on day one)."""
    return cash_date(doc.expected, as_of) <= horizon_end(as_of)


def forecast(docs: list[CashDocument], as_of: date, by: Granularity) -> list[Bucket]:
    """Every bucket of the horizon per currency (empty ones too, so the calendar is complete)."""
    by_currency: dict[str, dict[date, list[CashDocument]]] = {}
    for doc in docs:
        if not in_horizon(doc, as_of):
            continue
        start, _ = bucket_bounds(cash_date(doc.expected, as_of), as_of, by)
        by_currency.setdefault(doc.currency, {}).setdefault(start, []).append(doc)
    out: list[Bucket] = []
    for currency in sorted(by_currency):
        running = _ZERO
        for start in _starts(as_of, by):
            held = sorted(
                by_currency[currency].get(start, []), key=lambda d: (d.category, d.expected, d.doc_id)
            )
            totals = {
                c: quantize(sum((d.amount for d in held if d.category == c), _ZERO), currency)
                for c in CATEGORIES
            }
            net = sum(totals.values(), _ZERO)
            running += net
            end = bucket_bounds(start, as_of, by)[1]
            out.append(Bucket(currency, start, end, totals, net, running, tuple(held)))
    return out
