"""Stock reports from the stock ledger: valuation at a date, stock turns and slow movers."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from rules.kpis import is_slow_mover, stock_turns
from rules.periods import period_bounds


def stock_valuation(session: Session, entity_id: int, period: str) -> list[dict[str, Any]]:
    """Quantity and value per item x location at period end, from the stock ledger (not the balances)."""
    _, end = period_bounds(period)
    rows = session.connection().execute(
        text(
            """
            SELECT i.sku, i.name, i.category, l.code AS location, i.valuation_method,
                   sum(m.qty) AS qty, sum(m.value) AS value
              FROM stock_move m JOIN item i ON i.id = m.item_id JOIN location l ON l.id = m.location_id
             WHERE m.entity_id = :e AND m.posting_date <= :d
             GROUP BY i.sku, i.name, i.category, l.code, i.valuation_method
            HAVING sum(m.qty) <> 0 OR sum(m.value) <> 0
             ORDER BY i.sku, l.code
            """
        ),
        {"e": entity_id, "d": end},
    )
    return [
        {
            **r._mapping,
            "qty": Decimal(r.qty),
            "value": f"{Decimal(r.value):.2f}",
            "unit_cost": f"{Decimal(r.value) / Decimal(r.qty):.6f}" if r.qty else None,
        }
        for r in rows
    ]


def stock_turns_report(
    session: Session, entity_id: int, period: str, window_days: int = 90, slow_after_days: int = 90
) -> dict[str, Any]:
    """Per item: cost of goods issued in the window, average stock value, annualised turns, slow movers."""
    _, end = period_bounds(period)
    start = end - timedelta(days=window_days - 1)
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT i.sku, i.name,
                   COALESCE(-sum(m.value) FILTER (WHERE m.reason = 'sale' AND m.posting_date >= :s), 0) AS cogs,
                   COALESCE(sum(m.value) FILTER (WHERE m.posting_date < :s), 0) AS opening_value,
                   sum(m.value) AS closing_value,
                   sum(m.qty) AS on_hand,
                   max(m.posting_date) FILTER (WHERE m.qty < 0 AND m.reason = 'sale') AS last_sale
              FROM stock_move m JOIN item i ON i.id = m.item_id
             WHERE m.entity_id = :e AND m.posting_date <= :d
             GROUP BY i.sku, i.name ORDER BY i.sku
            """
            ),
            {"e": entity_id, "d": end, "s": start},
        )
        .all()
    )
    items: list[dict[str, Any]] = []
    slow_movers: list[str] = []
    for r in rows:
        average = (Decimal(r.opening_value) + Decimal(r.closing_value)) / 2
        since = (end - r.last_sale).days if r.last_sale else None
        slow = is_slow_mover(since, Decimal(r.on_hand), slow_after_days)
        if slow:
            slow_movers.append(r.sku)
        items.append(
            {
                "sku": r.sku,
                "name": r.name,
                "cogs": f"{Decimal(r.cogs):.2f}",
                "average_value": f"{average:.2f}",
                "on_hand": Decimal(r.on_hand),
                "turns": stock_turns(Decimal(r.cogs), average, window_days),
                "last_sale": r.last_sale,
                "days_since_last_sale": since,
                "slow_mover": slow,
            }
        )
    total_cogs = sum((Decimal(r.cogs) for r in rows), Decimal(0))
    total_avg = sum(((Decimal(r.opening_value) + Decimal(r.closing_value)) / 2 for r in rows), Decimal(0))
    return {
        "entity_id": entity_id,
        "period": period,
        "window": {"from": start, "to": end, "days": window_days},
        "turns": stock_turns(total_cogs, total_avg, window_days),
        "items": items,
        "slow_movers": slow_movers,
    }
