"""The 13-week cash forecast of an entity: open documents read with SQL, bucketed by the pure rules."""

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from models.foresight import DEFAULT_SETTLEMENT_DAYS
from models.purchasing import COMMITTED_PO_STAGES
from rules.cash_forecast import (
    CATEGORIES,
    Bucket,
    CashDocument,
    Category,
    Granularity,
    cash_date,
    committed_payment_date,
    forecast,
    horizon_end,
    receipt_date,
    refund_date,
)
from rules.errors import RuleViolation
from rules.money import quantize
from services.core.errors import NotFound

_SUPPLIER_PAYMENTS = """
SELECT i.id, s.code || ' ' || i.invoice_number AS number, i.currency, i.net + i.tax AS amount, i.due_date
  FROM supplier_invoice i JOIN supplier s ON s.id = i.supplier_id
 WHERE i.entity_id = :e AND i.status IN ('matched', 'accepted') AND i.paid_on IS NULL AND i.due_date IS NOT NULL
"""
_COMMITTED = """
SELECT p.number, p.currency, p.expected_date, p.payment_terms,
       sum((pl.qty - pl.cancelled_qty - pl.invoiced_qty) * pl.price) AS open_value
  FROM purchase_order p JOIN purchase_order_line pl ON pl.po_id = p.id
 WHERE p.entity_id = :e AND p.stage = ANY(CAST(:stages AS text[]))
 GROUP BY p.id, p.number, p.currency, p.expected_date, p.payment_terms
HAVING sum((pl.qty - pl.cancelled_qty - pl.invoiced_qty) * pl.price) > 0
"""
# The receivable per order is its AR balance in the ledger (shipments debit it, payments and payouts clear it).
_RECEIVABLES = """
WITH ar AS (
  SELECT l.partner_id AS number, l.currency, sum(l.amount) AS open
    FROM journal_line l JOIN journal_entry je ON je.id = l.entry_id JOIN account a ON a.id = l.account_id
   WHERE l.entity_id = :e AND a.role = 'ar' AND l.partner_type = 'order' AND je.posting_date <= :d
   GROUP BY l.partner_id, l.currency HAVING sum(l.amount) > 0)
SELECT ar.number, ar.currency, ar.open, c.code AS channel, COALESCE(fs.settlement_days, :days) AS days,
       COALESCE((SELECT max(s.shipped_on) FROM shipment s WHERE s.order_id = o.id), o.order_date) AS shipped_on
  FROM ar JOIN sales_order o ON o.number = ar.number JOIN channel c ON c.id = o.channel_id
  LEFT JOIN foresight_channel_setting fs ON fs.channel_id = c.id
"""
# Approved returns not refunded yet; store credit is not cash.
_REFUNDS = """
SELECT r.rma_number, r.currency, r.value, r.stage, r.goods_due FROM return_authorisation r
 WHERE r.entity_id = :e AND r.stage IN ('awaiting_goods', 'inspection') AND r.refunded = 0 AND r.value > 0
   AND r.refund_method <> 'store_credit'
"""


def entity_code(session: Session, entity_id: int) -> str:
    """The entity's code, or NotFound."""
    code = (
        session.connection().execute(text("SELECT code FROM entity WHERE id = :e"), {"e": entity_id}).scalar()
    )
    if code is None:
        raise NotFound("entity_id", f"entity {entity_id} does not exist")
    return str(code)


def documents(session: Session, entity_id: int, as_of: date) -> list[CashDocument]:
    """Every open document of the entity that will move cash, with its expected date and signed amount."""
    conn = session.connection()
    p = {"e": entity_id, "d": as_of, "days": DEFAULT_SETTLEMENT_DAYS, "stages": list(COMMITTED_PO_STAGES)}
    docs: list[CashDocument] = []
    for r in conn.execute(text(_SUPPLIER_PAYMENTS), p):
        amount = -quantize(Decimal(r.amount), r.currency)
        basis = f"{r.number} due {r.due_date}"
        docs.append(
            CashDocument(
                "supplier_payments", "supplier_invoice", str(r.id), r.currency, amount, r.due_date, basis
            )
        )
    for r in conn.execute(text(_COMMITTED), p):
        pay_on = committed_payment_date(r.expected_date, r.payment_terms, as_of)
        basis = f"expected receipt {r.expected_date} + {r.payment_terms}"
        amount = -quantize(Decimal(r.open_value), r.currency)
        docs.append(
            CashDocument("committed_spend", "purchase_order", r.number, r.currency, amount, pay_on, basis)
        )
    for r in conn.execute(text(_RECEIVABLES), p):
        expected = receipt_date(r.shipped_on, int(r.days))
        basis = f"shipped {r.shipped_on} + {r.days} days ({r.channel})"
        amount = quantize(Decimal(r.open), r.currency)
        docs.append(
            CashDocument("customer_receipts", "sales_order", r.number, r.currency, amount, expected, basis)
        )
    for r in conn.execute(text(_REFUNDS), p):
        on = refund_date(r.stage, r.goods_due, as_of)
        basis = f"{r.stage}, goods due {r.goods_due}"
        docs.append(
            CashDocument(
                "refunds", "return", r.rma_number, r.currency, -quantize(r.value, r.currency), on, basis
            )
        )
    return docs


def _doc_json(d: CashDocument, as_of: date) -> dict[str, Any]:
    return {
        "category": d.category,
        "type": d.doc_type,
        "id": d.doc_id,
        "currency": d.currency,
        "amount": f"{d.amount}",
        "expected": d.expected.isoformat(),
        "date": cash_date(d.expected, as_of).isoformat(),
        "overdue": d.expected < as_of,
        "basis": d.basis,
    }


def _bucket_json(b: Bucket, as_of: date) -> dict[str, Any]:
    return {
        "currency": b.currency,
        "start": b.start.isoformat(),
        "end": b.end.isoformat(),
        **{c: f"{b.totals[c]}" for c in CATEGORIES},
        "net": f"{b.net}",
        "cumulative": f"{b.cumulative}",
        "documents": [_doc_json(d, as_of) for d in b.documents],
    }


def cash_forecast(session: Session, entity_id: int, as_of: date, by: Granularity) -> dict[str, Any]:
    """Per currency, every day or week of the next 13 weeks with category totals and their documents."""
    code = entity_code(session, entity_id)
    buckets = forecast(documents(session, entity_id, as_of), as_of, by)
    currencies: dict[str, list[Bucket]] = {}
    for b in buckets:
        currencies.setdefault(b.currency, []).append(b)
    return {
        "entity_id": entity_id,
        "entity_code": code,
        "as_of": as_of.isoformat(),
        "horizon_end": horizon_end(as_of).isoformat(),
        "by": by,
        "currencies": [
            {
                "currency": cur,
                "totals": {c: f"{sum((b.totals[c] for b in rows), Decimal(0))}" for c in CATEGORIES},
                "net": f"{sum((b.net for b in rows), Decimal(0))}",
                "buckets": [_bucket_json(b, as_of) for b in rows],
            }
            for cur, rows in currencies.items()
        ],
    }


def csv_rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    """One spreadsheet row per currency and bucket (documents stay in the JSON and the drill-down)."""
    return [
        {k: v for k, v in b.items() if k != "documents"} | {"documents": len(b["documents"])}
        for cur in body["currencies"]
        for b in cur["buckets"]
    ]


def drilldown(
    session: Session,
    entity_id: int,
    as_of: date,
    currency: str,
    start: date,
    end: date,
    category: Category | None = None,
) -> dict[str, Any]:
    """The documents behind a figure: one currency, the days `start`..`end`, optionally one category."""
    entity_code(session, entity_id)
    if end < start:
        raise RuleViolation("end", f"{end} is before start {start}")
    docs = [
        d
        for d in documents(session, entity_id, as_of)
        if d.currency == currency
        and (category is None or d.category == category)
        and start <= cash_date(d.expected, as_of) <= min(end, horizon_end(as_of))
    ]
    docs.sort(key=lambda d: (cash_date(d.expected, as_of), d.category, d.doc_id))
    return {
        "entity_id": entity_id,
        "as_of": as_of.isoformat(),
        "currency": currency,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "category": category,
        "total": f"{sum((d.amount for d in docs), Decimal(0))}",
        "documents": [_doc_json(d, as_of) for d in docs],
    }
