"""Management reports: gross margin by dimension, supplier scorecard, working capital and the mission's KPIs.

Sales and purchasing documents are read from their tables when those exist; a report over a missing
table answers `available: false` with the reason instead of failing.
"""

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlmodel import Session

from rules.kpis import (
    cash_conversion_cycle,
    days_inventory_outstanding,
    days_payables_outstanding,
    days_sales_outstanding,
    gross_margin_pct,
    percentage,
    stock_accuracy,
)
from rules.periods import period_bounds
from rules.supplier_score import SupplierStats, score

log = logging.getLogger(__name__)

# Revenue of each shipped quantity (its order line's net price) against its cost from the stock ledger.
_DIMENSIONS = {
    "channel": "c.code",
    "sku": "i.sku",
    "location": "l.code",
    "promotion": "COALESCE(ol.promotion_code, '(none)')",
    # The item's contract supplier (latest price) stands for "who we bought it from".
    "supplier": "COALESCE(sp.code, '(none)')",
}
_MARGIN = """
WITH sold AS (
  SELECT {dim} AS key,
         (ol.gross - ol.discount) / NULLIF(ol.qty, 0) * sl.qty AS revenue,
         -COALESCE(m.value, 0) AS cost
    FROM shipment s JOIN sales_order o ON o.id = s.order_id
    JOIN shipment_line sl ON sl.shipment_id = s.id
    JOIN sales_order_line ol ON ol.order_id = o.id AND ol.line_no = sl.line_no
    JOIN channel c ON c.id = o.channel_id JOIN item i ON i.id = ol.item_id JOIN location l ON l.id = s.location_id
    -- Through the key table to the one partition of the move's posting date (by id alone: every partition).
    LEFT JOIN stock_move_key k ON k.id = sl.stock_move_id
    LEFT JOIN stock_move m ON m.id = k.id AND m.posting_date = k.posting_date
    LEFT JOIN LATERAL (SELECT su.code FROM supplier_price p JOIN supplier su ON su.id = p.supplier_id
                        WHERE p.item_id = ol.item_id ORDER BY p.valid_from DESC, p.id DESC LIMIT 1) sp ON true
   WHERE o.entity_id = :e AND s.shipped_on BETWEEN :s AND :d)
SELECT key, round(sum(revenue), 2) AS revenue, round(sum(cost), 2) AS cost FROM sold GROUP BY key ORDER BY key
"""

_SCORECARD = """
WITH po AS (
  SELECT p.supplier_id, p.id, p.expected_date, sum(pl.qty) AS ordered, sum(pl.received_qty) AS received
    FROM purchase_order p JOIN purchase_order_line pl ON pl.po_id = p.id
   WHERE p.entity_id = :e AND p.order_date BETWEEN :s AND :d AND p.stage NOT IN ('draft','cancelled','rejected')
     -- A rolling scorecard (due set) leaves out orders not yet due and not delivered: they are not late yet.
     AND (CAST(:due AS date) IS NULL OR p.expected_date <= CAST(:due AS date)
          OR EXISTS (SELECT 1 FROM goods_receipt g WHERE g.po_id = p.id))
   GROUP BY p.supplier_id, p.id, p.expected_date),
receipts AS (
  SELECT p.supplier_id, r.po_id, min(r.received_on) AS first_receipt,
         min(r.received_on) - min(p.order_date) AS lead_days, bool_or(r.received_on <= p.expected_date) AS on_time
    FROM goods_receipt r JOIN purchase_order p ON p.id = r.po_id
   WHERE p.entity_id = :e AND p.order_date BETWEEN :s AND :d GROUP BY p.supplier_id, r.po_id),
matches AS (
  SELECT i.supplier_id, count(*) AS attempts, count(*) FILTER (WHERE m.status = 'matched') AS matched,
         sum(m.price_variance) AS variance, sum(m.grni_value) AS grni
    FROM invoice_match m JOIN supplier_invoice i ON i.id = m.invoice_id
   WHERE i.entity_id = :e AND i.invoice_date BETWEEN :s AND :d AND m.attempt = 1 GROUP BY i.supplier_id)
SELECT su.id AS supplier_id, su.code, su.name, count(po.id) AS orders, COALESCE(sum(po.ordered), 0) AS ordered,
       COALESCE(sum(po.received), 0) AS received,
       (SELECT count(*) FROM receipts r WHERE r.supplier_id = su.id AND r.on_time) AS on_time,
       (SELECT count(*) FROM receipts r WHERE r.supplier_id = su.id) AS delivered,
       (SELECT avg(r.lead_days) FROM receipts r WHERE r.supplier_id = su.id) AS lead_mean,
       (SELECT COALESCE(var_pop(r.lead_days), 0) FROM receipts r WHERE r.supplier_id = su.id) AS lead_var,
       max(mt.attempts) AS attempts, max(mt.matched) AS matched, max(mt.variance) AS variance, max(mt.grni) AS grni
  FROM supplier su JOIN po ON po.supplier_id = su.id LEFT JOIN matches mt ON mt.supplier_id = su.id
 GROUP BY su.id, su.code, su.name ORDER BY su.code
"""


def _tables_exist(session: Session, *tables: str) -> list[str]:
    """The tables among `tables` that do not exist (yet)."""
    conn = session.connection()
    return [t for t in tables if conn.execute(text("SELECT to_regclass(:t)"), {"t": t}).scalar() is None]


def _optional(
    session: Session, tables: tuple[str, ...], sql: str, params: dict[str, Any]
) -> tuple[list[Any], str]:
    """Rows of a query over another context's tables, or none and the reason they are unavailable."""
    missing = _tables_exist(session, *tables)
    if missing:
        return [], f"tables not present yet: {', '.join(missing)}"
    conn = session.connection()
    savepoint = conn.begin_nested()
    try:
        rows = list(conn.execute(text(sql), params).all())
    except ProgrammingError as exc:
        # A neighbouring schema still moving must not break the finance reports: say so instead.
        savepoint.rollback()
        log.warning("report query failed", extra={"error": str(exc.orig)})
        return [], f"query failed on the current schema: {str(exc.orig).splitlines()[0]}"
    savepoint.commit()
    return rows, ""


def gross_margin(session: Session, entity_id: int, period: str, by: str) -> dict[str, Any]:
    """Revenue (net of discounts) and cost of shipped goods per channel, SKU, location, promotion or supplier."""
    start, end = period_bounds(period)
    sql = _MARGIN.format(dim=_DIMENSIONS[by])
    tables = ("shipment", "shipment_line", "sales_order", "sales_order_line")
    rows, reason = _optional(session, tables, sql, {"e": entity_id, "s": start, "d": end})
    lines = [
        {
            by: r.key,
            "revenue": f"{Decimal(r.revenue or 0):.2f}",
            "cost": f"{Decimal(r.cost or 0):.2f}",
            "margin": f"{Decimal(r.revenue or 0) - Decimal(r.cost or 0):.2f}",
            "margin_pct": gross_margin_pct(Decimal(r.revenue or 0), Decimal(r.cost or 0)),
        }
        for r in rows
    ]
    return {
        "entity_id": entity_id,
        "period": period,
        "by": by,
        "available": not reason,
        "reason": reason,
        "lines": lines,
    }


@dataclass(frozen=True, slots=True)
class SupplierLine:
    """One supplier's reliability statistics over a window, and how many of its orders were delivered."""

    supplier_id: int
    code: str
    name: str
    orders: int
    delivered: int
    stats: SupplierStats


def supplier_stats(
    session: Session, entity_id: int, start: date, end: date, due_by: date | None = None
) -> tuple[list[SupplierLine], str]:
    """Scorecard statistics of orders placed between start and end (with due_by: only orders due by then)."""
    tables = ("purchase_order", "purchase_order_line", "goods_receipt", "invoice_match", "supplier_invoice")
    params = {"e": entity_id, "s": start, "d": end, "due": due_by}
    rows, reason = _optional(session, tables, _SCORECARD, params)
    lines = [
        SupplierLine(
            supplier_id=int(r.supplier_id),
            code=r.code,
            name=r.name,
            orders=int(r.orders),
            delivered=int(r.delivered),
            stats=SupplierStats(
                on_time_pct=percentage(r.on_time, r.delivered) or Decimal(0),
                fill_rate=min(
                    percentage(Decimal(r.received), Decimal(r.ordered)) or Decimal(0), Decimal(100)
                ),
                lead_time_mean=Decimal(r.lead_mean or 0),
                lead_time_var=Decimal(r.lead_var or 0),
                price_variance_pct=percentage(abs(Decimal(r.variance or 0)), Decimal(r.grni or 0))
                or Decimal(0),
                match_rate=percentage(r.matched or 0, r.attempts or 0) or Decimal(0),
            ),
        )
        for r in rows
    ]
    return lines, reason


def supplier_scorecard(session: Session, entity_id: int, period: str) -> dict[str, Any]:
    """On-time %, fill rate, lead time, price variance and match rate per supplier, with the 0..100 score."""
    start, end = period_bounds(period)
    rows, reason = supplier_stats(session, entity_id, start, end)
    lines = [
        {
            "supplier": r.code,
            "supplier_id": r.supplier_id,
            "name": r.name,
            "orders": r.orders,
            "on_time_pct": r.stats.on_time_pct,
            "fill_rate": r.stats.fill_rate,
            "lead_time_mean_days": r.stats.lead_time_mean,
            "lead_time_var_days": r.stats.lead_time_var,
            "price_variance_pct": r.stats.price_variance_pct,
            "match_rate": r.stats.match_rate,
            "score": score(r.stats),
        }
        for r in rows
    ]
    return {
        "entity_id": entity_id,
        "period": period,
        "available": not reason,
        "reason": reason,
        "suppliers": lines,
    }


def working_capital(session: Session, entity_id: int, period: str) -> dict[str, Any]:
    """DIO, DSO, DPO and the cash conversion cycle of the period from GL balances (averages of open/close)."""
    start, end = period_bounds(period)
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT COALESCE(sum(l.amount_func) FILTER (WHERE a.role = 'inventory' AND e.posting_date < :s), 0),
                   COALESCE(sum(l.amount_func) FILTER (WHERE a.role = 'inventory'), 0),
                   COALESCE(sum(l.amount_func) FILTER (WHERE a.role = 'ar' AND e.posting_date < :s), 0),
                   COALESCE(sum(l.amount_func) FILTER (WHERE a.role = 'ar'), 0),
                   COALESCE(-sum(l.amount_func) FILTER (WHERE a.role = 'ap' AND e.posting_date < :s), 0),
                   COALESCE(-sum(l.amount_func) FILTER (WHERE a.role = 'ap'), 0),
                   COALESCE(sum(l.amount_func) FILTER (WHERE a.role = 'cogs' AND e.posting_date >= :s), 0),
                   COALESCE(-sum(l.amount_func) FILTER (WHERE a.type = 'income' AND e.posting_date >= :s), 0)
              FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
             WHERE l.entity_id = :e AND e.posting_date <= :d
            """
            ),
            {"e": entity_id, "s": start, "d": end},
        )
        .one()
    )
    inv_o, inv_c, ar_o, ar_c, ap_o, ap_c, cogs, revenue = (Decimal(x) for x in row)
    days = (end - start).days + 1
    dio = days_inventory_outstanding((inv_o + inv_c) / 2, cogs, days)
    dso = days_sales_outstanding((ar_o + ar_c) / 2, revenue, days)
    # DPO on cost of goods sold, the usual retail convention when purchases are not split out.
    dpo = days_payables_outstanding((ap_o + ap_c) / 2, cogs, days)
    return {
        "entity_id": entity_id,
        "period": period,
        "days": days,
        "average_inventory": f"{(inv_o + inv_c) / 2:.2f}",
        "average_receivables": f"{(ar_o + ar_c) / 2:.2f}",
        "average_payables": f"{(ap_o + ap_c) / 2:.2f}",
        "cogs": f"{cogs:.2f}",
        "net_revenue": f"{revenue:.2f}",
        "dio": dio,
        "dso": dso,
        "dpo": dpo,
        "cash_conversion_cycle": cash_conversion_cycle(dio, dso, dpo),
    }


def _stock_accuracy(session: Session, params: dict[str, Any]) -> dict[str, Any]:
    """Share of cycle-counted item-location lines of the period whose book quantity matched the count."""
    rows, reason = _optional(
        session,
        ("cycle_count", "cycle_count_line"),
        "SELECT count(*) AS counted, count(*) FILTER (WHERE cl.difference = 0) AS matching"
        " FROM cycle_count_line cl JOIN cycle_count c ON c.id = cl.count_id"
        " WHERE c.entity_id = :e AND c.status = 'posted' AND c.counted_on BETWEEN :s AND :d",
        params,
    )
    counted = int(rows[0].counted) if rows else 0
    matching = int(rows[0].matching) if rows else 0
    if not counted:
        reason = reason or "no cycle counts were posted in the period"
    return {
        "value_pct": stock_accuracy(counted, matching),
        "lines_counted": counted,
        "lines_matching": matching,
        "reason": reason,
    }


def kpis(session: Session, entity_id: int, period: str) -> dict[str, Any]:
    """Stock accuracy, stockouts, PO cycle time, invoice match rate and close-cycle duration of a period."""
    start, end = period_bounds(period)
    params = {"e": entity_id, "s": start, "d": end, "p": period}
    conn = session.connection()
    stockouts = conn.execute(
        text(
            """
            SELECT count(*) FROM stock_balance b
             WHERE b.entity_id = :e AND b.on_hand - b.reserved <= 0
               AND EXISTS (SELECT 1 FROM stock_move m WHERE m.item_id = b.item_id AND m.location_id = b.location_id
                            AND m.reason = 'sale' AND m.posting_date BETWEEN :s AND :d)
            """
        ),
        params,
    ).scalar_one()
    close = conn.execute(
        text("SELECT duration_seconds, status FROM close_run WHERE entity_id = :e AND period = :p"), params
    ).first()
    po_rows, po_reason = _optional(
        session,
        ("purchase_order",),
        "SELECT count(*) AS n, avg(cycle_time_seconds) AS mean,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY cycle_time_seconds) AS median FROM purchase_order"
        " WHERE entity_id = :e AND closed_at IS NOT NULL AND cycle_time_seconds IS NOT NULL"
        " AND closed_at::date BETWEEN :s AND :d",
        params,
    )
    match_rows, match_reason = _optional(
        session,
        ("invoice_match", "supplier_invoice"),
        "SELECT count(*) AS attempts, count(*) FILTER (WHERE m.status = 'matched') AS matched"
        " FROM invoice_match m JOIN supplier_invoice i ON i.id = m.invoice_id"
        " WHERE i.entity_id = :e AND m.attempt = 1 AND i.invoice_date BETWEEN :s AND :d",
        params,
    )
    po = po_rows[0] if po_rows else None
    match = match_rows[0] if match_rows else None
    return {
        "entity_id": entity_id,
        "period": period,
        "stock_accuracy": _stock_accuracy(session, params),
        "stockouts": {"item_locations_out_of_stock_after_selling": int(stockouts)},
        "po_cycle_time": {
            "closed_orders": int(po.n) if po else 0,
            "mean_hours": round(float(po.mean) / 3600, 2) if po and po.mean is not None else None,
            "median_hours": round(float(po.median) / 3600, 2) if po and po.median is not None else None,
            "reason": po_reason,
        },
        "invoice_match_rate": {
            "first_time_match_pct": percentage(match.matched, match.attempts) if match else None,
            "invoice_lines": int(match.attempts) if match else 0,
            "reason": match_reason,
        },
        "close_cycle": {
            "status": close.status if close else None,
            "duration_seconds": close.duration_seconds if close else None,
        },
    }
