"""Return rates per SKU, channel and promotion over a rolling window, and the spike alert written after receipts."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.returns import SpikeCheck
from rules.returns import is_spike
from services.returns.policy import spike_settings
from services.returns.store import header

RateBy = Literal["sku", "channel", "promotion"]
_GROUP = {"sku": "i.sku", "channel": "c.code", "promotion": "COALESCE(l.promotion_code, '(none)')"}

# Units sold (shipped) and units returned (live RMAs: asked for while open, received once closed) per group.
_RATES = """
WITH sold AS (
  SELECT {g} AS key, sum(sl.qty) AS qty
    FROM shipment s JOIN shipment_line sl ON sl.shipment_id = s.id JOIN sales_order o ON o.id = s.order_id
    JOIN sales_order_line l ON l.order_id = o.id AND l.line_no = sl.line_no JOIN item i ON i.id = l.item_id
    JOIN channel c ON c.id = o.channel_id
   WHERE o.entity_id = ANY(:e) AND s.shipped_on BETWEEN :since AND :until {filter}
   GROUP BY 1),
returned AS (
  SELECT {g} AS key,
         sum(CASE WHEN r.stage IN ('refunded', 'closed') THEN rl.received_qty ELSE rl.qty END) AS qty
    FROM return_line rl JOIN return_authorisation r ON r.id = rl.return_id JOIN sales_order o ON o.id = r.order_id
    JOIN sales_order_line l ON l.order_id = o.id AND l.line_no = rl.order_line_no JOIN item i ON i.id = l.item_id
    JOIN channel c ON c.id = o.channel_id
   WHERE o.entity_id = ANY(:e) AND r.requested_on BETWEEN :since AND :until
     AND r.stage NOT IN ('rejected', 'expired') {filter}
   GROUP BY 1)
SELECT COALESCE(s.key, r.key) AS key, COALESCE(s.qty, 0) AS sold, COALESCE(r.qty, 0) AS returned
  FROM sold s FULL JOIN returned r ON r.key = s.key ORDER BY 1
"""


@dataclass(frozen=True, slots=True)
class ReturnRate:
    """Units sold and returned in one group (a SKU, channel or promotion) and their ratio (None when none sold)."""

    key: str
    sold: Decimal
    returned: Decimal
    rate: Decimal | None


def rate_rows(
    session: Session,
    entity_ids: list[int],
    by: RateBy,
    days: int,
    until: date,
    *,
    item_id: int | None = None,
    channel_id: int | None = None,
) -> list[ReturnRate]:
    """Sold, returned and return rate per group over the `days` up to `until`."""
    conditions = []
    if item_id is not None:
        conditions.append("AND l.item_id = :item")
    if channel_id is not None:
        conditions.append("AND o.channel_id = :channel")
    sql = _RATES.format(g=_GROUP[by], filter=" ".join(conditions))
    rows = session.connection().execute(
        text(sql),
        {
            "e": entity_ids,
            "since": until - timedelta(days=days),
            "until": until,
            "item": item_id,
            "channel": channel_id,
        },
    )
    out = []
    for key, sold, returned in rows:
        sold_d, ret_d = Decimal(sold), Decimal(returned)
        rate = (ret_d / sold_d).quantize(Decimal("0.0001")) if sold_d else None
        out.append(ReturnRate(key, sold_d, ret_d, rate))
    return out


def rates(
    session: Session, entity_ids: list[int], by: RateBy, days: int, until: date
) -> list[dict[str, Any]]:
    """GET /returns/rates: each group under the name of what it groups by (sku, channel or promotion)."""
    return [
        {by: r.key, "sold": r.sold, "returned": r.returned, "rate": r.rate}
        for r in rate_rows(session, entity_ids, by, days, until)
    ]


def check_spike(session: Session, req: SpikeCheck) -> list[str]:
    """Raise an alert (once per SKU x channel x day) for each of the RMA's SKUs whose return rate spikes."""
    rma = header(session, req.rma_number)
    settings = spike_settings(session, rma.channel_id)
    items = (
        session.connection()
        .execute(
            text(
                "SELECT DISTINCT l.item_id, i.sku FROM return_line l JOIN item i ON i.id = l.item_id WHERE l.return_id = :r"
            ),
            {"r": rma.id},
        )
        .all()
    )
    alerted: list[str] = []
    for item_id, sku in items:
        found = rate_rows(
            session,
            [rma.entity_id],
            "sku",
            settings.window_days,
            req.today,
            item_id=int(item_id),
            channel_id=rma.channel_id,
        )
        sold = sum((r.sold for r in found), Decimal(0))
        returned = sum((r.returned for r in found), Decimal(0))
        if not is_spike(returned, sold, settings.threshold, settings.min_sold):
            continue
        session.connection().execute(
            text(
                """
                INSERT INTO return_alert (alert_key, entity_id, item_id, sku, channel_id, window_days, sold, returned,
                                          rate, threshold, raised_on, rma_number)
                VALUES (:k, :e, :i, :sku, :c, :w, :sold, :ret, :rate, :t, :d, :rma)
                ON CONFLICT (alert_key) DO NOTHING
                """
            ),
            {
                "k": f"spike:{item_id}:{rma.channel_id}:{req.today}",
                "e": rma.entity_id,
                "i": item_id,
                "sku": sku,
                "c": rma.channel_id,
                "w": settings.window_days,
                "sold": sold,
                "ret": returned,
                "rate": returned / sold,
                "t": settings.threshold,
                "d": req.today,
                "rma": req.rma_number,
            },
        )
        alerted.append(str(sku))
    return alerted


def alerts(session: Session, entity_ids: list[int], limit: int) -> list[dict[str, Any]]:
    """Return-rate alerts of the caller's entities, newest first."""
    rows = session.connection().execute(
        text(
            """
            SELECT a.id, a.sku, c.code AS channel, a.window_days, a.sold, a.returned, a.rate, a.threshold, a.raised_on,
                   a.rma_number
              FROM return_alert a JOIN channel c ON c.id = a.channel_id
             WHERE a.entity_id = ANY(:e) ORDER BY a.id DESC LIMIT :l
            """
        ),
        {"e": entity_ids, "l": limit},
    )
    return [dict(r) for r in rows.mappings().all()]
