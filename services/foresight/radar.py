"""The exception radar: what needs attention now in one entity, per category with counts, ages and records."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from services.foresight.cash import entity_code

# A return spike stays on the radar this long after its last alert (alerts are raised per day and SKU).
SPIKE_DAYS = 7
# Orders placed this recently are checked for a negative margin.
MARGIN_DAYS = 30

# Each query answers doc_type, doc_id, label, since (a date or time: the age counts from it), details.
CATEGORIES: dict[str, str] = {
    "supplier_delays": """
        SELECT 'purchase_order' AS doc_type, p.number AS doc_id, s.code AS label, x.expected_date AS since,
               jsonb_build_object('raised_on', x.raised_on, 'stage', p.stage, 'supplier', s.name) AS details
          FROM inbound_exception x JOIN purchase_order p ON p.id = x.po_id JOIN supplier s ON s.id = p.supplier_id
         WHERE p.entity_id = :e AND x.status = 'open'
    """,
    "match_exceptions": """
        SELECT 'supplier_invoice', i.id::text, s.code || ' ' || i.invoice_number, i.invoice_date,
               jsonb_build_object('po', p.number, 'amount', (i.net + i.tax)::text, 'currency', i.currency,
                 'reasons', (SELECT COALESCE(jsonb_agg(DISTINCT r), '[]'::jsonb) FROM invoice_match m,
                                    jsonb_array_elements_text(m.reasons) r WHERE m.invoice_id = i.id))
          FROM supplier_invoice i JOIN supplier s ON s.id = i.supplier_id JOIN purchase_order p ON p.id = i.po_id
         WHERE i.entity_id = :e AND i.status = 'exception'
    """,
    "backorders_past_promise": """
        SELECT 'sales_order', o.number, it.sku, l.promised_date,
               jsonb_build_object('line_no', l.line_no, 'qty_backordered', l.qty_backordered::text)
          FROM sales_order_line l JOIN sales_order o ON o.id = l.order_id JOIN item it ON it.id = l.item_id
         WHERE o.entity_id = :e AND l.qty_backordered > 0 AND l.promised_date < :d
           AND l.qty_shipped + l.qty_cancelled < l.qty AND o.status NOT IN ('cancelled', 'closed')
    """,
    "approvals_past_sla": """
        SELECT 'task', t.id::text, t.title, t.due_at,
               jsonb_build_object('kind', t.kind, 'subject', t.subject_type || ' ' || t.subject_id,
                                  'waiting_on', COALESCE(t.candidate_user, t.candidate_role),
                                  'escalation_level', t.escalation_level)
          FROM task t WHERE t.entity_id = :e AND t.status = 'open' AND t.due_at < :now
    """,
    # Documents whose workflow parked on a step that failed for good (workflows.attention): an admin decides.
    "needs_attention": """
        SELECT t.subject_type, t.subject_id, t.title, t.created_at,
               jsonb_build_object('task_id', t.id, 'step', t.details->>'step', 'error', t.details->>'error',
                                  'workflow_id', t.workflow_id)
          FROM task t WHERE t.entity_id = :e AND t.status = 'open' AND t.kind = 'needs_attention'
    """,
    "reconciliation_differences": """
        SELECT 'close_run', r.period || '/' || d.check_name, d.check_name, d.created_at,
               jsonb_build_object('period', r.period, 'difference', d.difference::text, 'task_id', d.task_id)
          FROM close_difference d JOIN close_run r ON r.id = d.run_id LEFT JOIN task t ON t.id = d.task_id
         WHERE r.entity_id = :e AND r.status <> 'closed' AND d.round = r.round AND d.difference <> 0
           AND (t.id IS NULL OR t.status = 'open')
    """,
    "return_spikes": """
        SELECT 'item', a.sku || '@' || c.code, a.sku, min(a.raised_on),
               jsonb_build_object('channel', c.code, 'alerts', count(*), 'last_rate', max(a.rate)::text,
                                  'threshold', max(a.threshold)::text)
          FROM return_alert a JOIN channel c ON c.id = a.channel_id
         WHERE a.entity_id = :e AND a.raised_on > :spike_from AND a.raised_on <= :d
         GROUP BY a.sku, c.code
    """,
    # Minimums are foresight's own per item x location (see models.foresight.StockMinimum).
    "below_safety_stock": """
        SELECT 'item', it.sku || '@' || l.code, it.sku,
               COALESCE((SELECT max(m.posting_date) FROM stock_move m
                          WHERE m.item_id = b.item_id AND m.location_id = b.location_id AND m.qty < 0), :d),
               jsonb_build_object('location', l.code, 'available', (b.on_hand - b.reserved)::text,
                                  'minimum', sm.min_qty::text, 'inbound', b.inbound::text)
          FROM foresight_stock_minimum sm
          JOIN location l ON l.id = sm.location_id JOIN item it ON it.id = sm.item_id
          JOIN stock_balance b ON b.item_id = sm.item_id AND b.location_id = sm.location_id
         WHERE l.entity_id = :e AND NOT it.archived AND b.on_hand - b.reserved < sm.min_qty
        UNION ALL
        SELECT 'item', it.sku || '@' || l.code, it.sku, :d,
               jsonb_build_object('location', l.code, 'available', '0', 'minimum', sm.min_qty::text, 'inbound', '0')
          FROM foresight_stock_minimum sm
          JOIN location l ON l.id = sm.location_id JOIN item it ON it.id = sm.item_id
         WHERE l.entity_id = :e AND NOT it.archived AND sm.min_qty > 0
           AND NOT EXISTS (SELECT 1 FROM stock_balance b WHERE b.item_id = sm.item_id AND b.location_id = sm.location_id)
    """,
    # Net revenue of what is not cancelled against the cost shipped plus open quantity at today's average cost.
    "negative_margin_orders": """
        WITH lines AS (
          SELECT o.id, o.number, o.order_date, o.currency,
                 (l.gross - l.discount) * (l.qty - l.qty_cancelled) / l.qty AS revenue,
                 (l.qty - l.qty_shipped - l.qty_cancelled) * COALESCE(avgc.unit, 0) AS open_cost
            FROM sales_order o JOIN sales_order_line l ON l.order_id = o.id
            LEFT JOIN LATERAL (SELECT sum(b.value) / NULLIF(sum(b.on_hand), 0) AS unit FROM stock_balance b
                                WHERE b.item_id = l.item_id AND b.entity_id = o.entity_id AND b.on_hand > 0) avgc ON true
           WHERE o.entity_id = :e AND o.status <> 'cancelled' AND o.order_date > :margin_from
             AND o.order_date <= :d),
        orders AS (
          SELECT id, number, order_date, currency, sum(revenue) AS revenue,
                 sum(open_cost) + COALESCE((SELECT sum(s.cost) FROM shipment s WHERE s.order_id = lines.id), 0) AS cost
            FROM lines GROUP BY id, number, order_date, currency)
        SELECT 'sales_order', number, number, order_date,
               jsonb_build_object('revenue', round(revenue, 2)::text, 'cost', round(cost, 2)::text,
                                  'margin', round(revenue - cost, 2)::text, 'currency', currency)
          FROM orders WHERE revenue - cost < 0
    """,
}


@dataclass(frozen=True, slots=True)
class _Record:
    """One record on the radar: the document, its label, since when and how many days that is, details."""

    type: str
    id: str
    label: str
    since: date | datetime
    age_days: int
    details: Any

    def as_json(self) -> dict[str, Any]:
        """The record as GET /foresight/radar shows it."""
        return {
            "type": self.type,
            "id": self.id,
            "label": self.label,
            "since": self.since.isoformat(),
            "age_days": self.age_days,
            "details": self.details,
        }


def _age_days(since: date | datetime, as_of: date, now: datetime) -> int:
    if isinstance(since, datetime):
        return max((now - since) // timedelta(days=1), 0)
    return max((as_of - since).days, 0)


def radar(session: Session, entity_id: int, as_of: date, now: datetime | None = None) -> dict[str, Any]:
    """Every category with its count, oldest age in days and the records behind it (oldest first)."""
    code = entity_code(session, entity_id)
    moment = now or datetime.now(UTC)
    params = {
        "e": entity_id,
        "d": as_of,
        "now": moment,
        "spike_from": as_of - timedelta(days=SPIKE_DAYS),
        "margin_from": as_of - timedelta(days=MARGIN_DAYS),
    }
    conn = session.connection()
    categories = []
    total = 0
    for name, sql in CATEGORIES.items():
        records = sorted(
            (
                _Record(r[0], r[1], r[2], r[3], _age_days(r[3], as_of, moment), r[4])
                for r in conn.execute(text(sql), params)
            ),
            key=lambda x: (-x.age_days, x.id),
        )
        total += len(records)
        categories.append(
            {
                "category": name,
                "count": len(records),
                "oldest_age_days": records[0].age_days if records else None,
                "records": [x.as_json() for x in records],
            }
        )
    return {
        "entity_id": entity_id,
        "entity_code": code,
        "as_of": as_of.isoformat(),
        "total": total,
        "categories": categories,
    }
