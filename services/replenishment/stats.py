"""The replenishment calculation for every item x location of an entity in one set-based statement.

Daily demand comes from shipped sales (stock moves with reason 'sale'); days without a sale count as zero
demand. Rather than join every item-location to a calendar (window x item-locations rows), the statement
keeps the sum and the sum of squares over the days that had sales and derives the window's mean and
sample variance from them: with W days, mean = S1 / W and var = (S2 - S1^2 / W) / (W - 1), the same
numbers a zero-filled series gives. The formula mirrors rules.replenishment (safety_stock, reorder_point,
order_quantity), rounding at the same steps; tests check both agree on a worked example.
"""

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from rules.replenishment import z_for_service_level
from services.replenishment.settings import PlanningSetting

_PLANNED = """
WITH z AS (
  SELECT unnest(CAST(:levels AS numeric[])) AS level, unnest(CAST(:zs AS numeric[])) AS z),
il AS (
  SELECT COALESCE(b.item_id, p.item_id) AS item_id, COALESCE(b.location_id, p.location_id) AS location_id,
         COALESCE(b.on_hand, 0) + COALESCE(b.inbound, 0) + COALESCE(b.in_transit, 0)
           - COALESCE(b.reserved, 0) AS projected,
         COALESCE(p.service_level, CAST(:level AS numeric)) AS service_level,
         COALESCE(p.min_order_qty, 0) AS moq, COALESCE(p.review_days, :review) AS review_days,
         COALESCE(p.reorder_enabled, true) AS enabled, p.supplier_id AS fixed_supplier
    FROM (SELECT * FROM stock_balance WHERE entity_id = :e) b
    FULL JOIN (SELECT rp.* FROM replenishment_param rp JOIN location pl ON pl.id = rp.location_id
                WHERE pl.entity_id = :e) p
      ON p.item_id = b.item_id AND p.location_id = b.location_id),
demand AS (
  SELECT item_id, location_id, sum(q) AS s1, sum(q * q) AS s2
    FROM (SELECT item_id, location_id, -sum(qty) AS q FROM stock_move
           WHERE entity_id = :e AND reason = 'sale'
             AND posting_date >= CAST(:d AS date) - :w AND posting_date < CAST(:d AS date)
           GROUP BY item_id, location_id, posting_date) daily
   GROUP BY item_id, location_id),
preferred AS (
  -- The latest valid contract price names the supplier (as the margin-by-supplier report does).
  SELECT DISTINCT ON (sp.item_id) sp.item_id, sp.supplier_id
    FROM supplier_price sp JOIN supplier su ON su.id = sp.supplier_id AND NOT su.archived
   WHERE sp.valid_from <= CAST(:d AS date) AND (sp.valid_to IS NULL OR sp.valid_to >= CAST(:d AS date))
   ORDER BY sp.item_id, sp.valid_from DESC, sp.id DESC),
po_lead AS (
  SELECT p.id, p.supplier_id, min(r.received_on) - p.order_date AS days
    FROM purchase_order p JOIN goods_receipt r ON r.po_id = p.id
   WHERE p.entity_id = :e AND p.order_date >= CAST(:d AS date) - :lw AND p.order_date < CAST(:d AS date)
   GROUP BY p.id, p.supplier_id, p.order_date),
lead_supplier AS (
  SELECT supplier_id, avg(days) AS mean, COALESCE(var_samp(days), 0) AS var FROM po_lead GROUP BY supplier_id),
lead_item AS (
  -- Per supplier and item only with enough deliveries to say something about that item.
  SELECT x.supplier_id, x.item_id, avg(x.days) AS mean, COALESCE(var_samp(x.days), 0) AS var
    FROM (SELECT DISTINCT l.id, l.supplier_id, l.days, pl.item_id
            FROM po_lead l JOIN purchase_order_line pl ON pl.po_id = l.id) x
   GROUP BY x.supplier_id, x.item_id HAVING count(*) >= 3),
stats AS (
  SELECT il.item_id, il.location_id, il.projected, il.moq, il.review_days, i.pack_size, il.service_level,
         su.id AS supplier_id,
         COALESCE(dm.s1, 0) / :w AS mean,
         sqrt(GREATEST((COALESCE(dm.s2, 0) - COALESCE(dm.s1, 0) * COALESCE(dm.s1, 0) / :w) / (:w - 1), 0))
           AS sigma,
         CAST(COALESCE(li.mean, ls.mean, su.lead_time_days, 0) AS numeric) AS lt,
         CAST(COALESCE(li.var, ls.var, 0) AS numeric) AS ltv,
         z.z
    FROM il
    JOIN location l ON l.id = il.location_id AND l.kind IN ('warehouse', 'store') AND NOT l.archived
    JOIN item i ON i.id = il.item_id AND NOT i.archived
    JOIN z ON z.level = il.service_level
    LEFT JOIN demand dm ON dm.item_id = il.item_id AND dm.location_id = il.location_id
    LEFT JOIN preferred pr ON pr.item_id = il.item_id
    LEFT JOIN supplier su ON su.id = COALESCE(il.fixed_supplier, pr.supplier_id)
    LEFT JOIN lead_item li ON li.supplier_id = su.id AND li.item_id = il.item_id
    LEFT JOIN lead_supplier ls ON ls.supplier_id = su.id
   WHERE il.enabled),
safety AS (
  SELECT s.*, round(s.z * sqrt(s.lt * s.sigma * s.sigma + s.mean * s.mean * s.ltv), 4) AS ss FROM stats s),
rop AS (SELECT s.*, round(s.mean * s.lt + s.ss, 4) AS rop FROM safety s),
planned AS (
  SELECT r.*,
         CASE WHEN r.projected > r.rop OR r.mean = 0 THEN 0
              ELSE round(ceil(GREATEST(r.moq, r.rop + r.mean * r.review_days - r.projected) / r.pack_size)
                         * r.pack_size, 4) END AS order_qty
    FROM rop r)
"""

_RECORD = (
    _PLANNED
    + """,
recorded AS (
  INSERT INTO replenishment_suggestion (run_id, item_id, location_id, supplier_id, mean_daily, sigma_daily,
                                        lead_time_mean, lead_time_var, z, safety_stock, reorder_point,
                                        projected, order_qty)
  SELECT :run, item_id, location_id, supplier_id, round(mean, 6), round(sigma, 6), round(lt, 6), round(ltv, 6),
         z, ss, rop, projected, order_qty
    FROM planned WHERE order_qty > 0
  RETURNING 1)
SELECT (SELECT count(*) FROM planned), (SELECT count(*) FROM recorded)
"""
)


@dataclass(frozen=True, slots=True)
class PlanCounts:
    """How many item-locations were planned and how many need an order."""

    item_locations: int
    suggestions: int


def _hash_joins_only(session: Session) -> None:
    """Plan the statement with hash and merge joins only (for this transaction).

    The planner estimates one row out of each aggregated CTE and picks nested loops that rescan the demand
    aggregate per item-location: minutes instead of a fraction of a second on 10,000 item-locations.
    """
    session.connection().execute(text("SET LOCAL enable_nestloop = off"))


def _params(session: Session, entity_id: int, run_date: date, setting: PlanningSetting) -> dict[str, Any]:
    """Bind values, with z precomputed for every service level in use (SQL has no inverse normal)."""
    levels = {setting.service_level}
    levels |= {
        Decimal(r[0])
        for r in session.connection().execute(
            text(
                "SELECT DISTINCT rp.service_level FROM replenishment_param rp JOIN location l"
                " ON l.id = rp.location_id WHERE l.entity_id = :e AND rp.service_level IS NOT NULL"
            ),
            {"e": entity_id},
        )
    }
    ordered = sorted(levels)
    return {
        "e": entity_id,
        "d": run_date,
        "w": setting.history_days,
        "lw": setting.lead_history_days,
        "level": setting.service_level,
        "review": setting.review_days,
        "levels": [str(x) for x in ordered],
        "zs": [str(z_for_service_level(x)) for x in ordered],
    }


def record_suggestions(
    session: Session, run_id: int, entity_id: int, run_date: date, setting: PlanningSetting
) -> PlanCounts:
    """Plan every item-location of the entity and store the ones that need an order."""
    params = {**_params(session, entity_id, run_date, setting), "run": run_id}
    _hash_joins_only(session)
    row = session.connection().execute(text(_RECORD), params).one()
    return PlanCounts(int(row[0]), int(row[1]))


@dataclass(frozen=True, slots=True)
class PlannedItemLocation:
    """The planning figures of one item-location, as the set-based statement computed them."""

    item_id: int
    location_id: int
    projected: Decimal
    moq: Decimal
    review_days: int
    pack_size: Decimal
    service_level: Decimal
    supplier_id: int | None
    mean: Decimal
    sigma: Decimal
    lt: Decimal
    ltv: Decimal
    z: Decimal
    ss: Decimal
    rop: Decimal
    order_qty: Decimal


def statistics(
    session: Session, entity_id: int, run_date: date, setting: PlanningSetting, item_id: int | None = None
) -> list[PlannedItemLocation]:
    """The planning figures of every item-location (or one item's), for explanations and tests."""
    columns = ", ".join(f.name for f in fields(PlannedItemLocation))
    sql = _PLANNED + f" SELECT {columns} FROM planned WHERE CAST(:item AS int) IS NULL OR item_id = :item"
    sql += " ORDER BY item_id, location_id"
    params = {**_params(session, entity_id, run_date, setting), "item": item_id}
    _hash_joins_only(session)
    # Values pass through as the database computed them: the figures are compared exactly in tests.
    return [PlannedItemLocation(**r) for r in session.connection().execute(text(sql), params).mappings()]
