"""Daily replenishment over 100,000 item-locations with a year of daily sales, against a plain GROUP BY of
the same demand window (the least any demand-driven plan must read)."""

import time
from datetime import date, timedelta

from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.harness import Result, timed
from services.core.chart import create_entity
from services.replenishment.settings import load_setting
from services.replenishment.stats import record_suggestions

RUN_DATE = date(2026, 10, 1)
DAYS = 365
LOCATIONS = 50
SUPPLIERS = 20
# Retail long tail: an item-location sells on about one day in four.
SALE_EVERY = 4

_LOCATIONS = """
INSERT INTO location (entity_id, code, name, kind, archived)
SELECT :e, 'BL' || :e || '-' || n, 'Store ' || n, CASE WHEN n = 1 THEN 'warehouse' ELSE 'store' END, false
  FROM generate_series(1, :n) AS n
"""
_ITEMS = """
INSERT INTO item (sku, name, unit, pack_size, weight_kg, tax_class, category, valuation_method, tracking,
                  allow_negative, archived)
SELECT 'BI' || :e || '-' || n, 'Item ' || n, 'ea', 1 + n % 3 * 5, 0, 'standard', 'cat' || n % 12, 'moving_average',
       'none', false, false
  FROM generate_series(1, :n) AS n
"""
_SUPPLIERS = """
INSERT INTO supplier (code, name, currency, payment_terms, lead_time_days, archived)
SELECT 'BS' || :e || '-' || n, 'Supplier ' || n, 'EUR', 'NET30', 3 + n % 10, false FROM generate_series(1, :n) AS n
"""
_PRICES = """
INSERT INTO supplier_price (supplier_id, item_id, price, currency, valid_from)
SELECT s.id, i.id, 2 + i.id % 40, 'EUR', DATE '2020-01-01'
  FROM item i JOIN supplier s ON s.code = 'BS' || :e || '-' || (1 + i.id % :s) WHERE i.sku LIKE 'BI' || :e || '-%'
"""
_BALANCES = """
INSERT INTO stock_balance (item_id, location_id, entity_id, on_hand, reserved, inbound, in_transit, value,
                           allow_negative)
SELECT i.id, l.id, :e, (i.id + l.id) % 60, 0, 0, 0, ((i.id + l.id) % 60) * 4, false
  FROM item i CROSS JOIN location l WHERE i.sku LIKE 'BI' || :e || '-%' AND l.entity_id = :e
"""
# One location's year of sales per statement: about 180,000 rows, a short transaction each.
_SALES = """
INSERT INTO stock_move (entity_id, item_id, location_id, qty, unit_cost, value, reason, source_type, source_id,
                        idempotency_key, posting_date)
SELECT :e, i.id, :l, -(1 + (i.id + d) % 5), 4, -4 * (1 + (i.id + d) % 5), 'sale', 'sales_order', 'B' || d,
       'bench:rep:' || :l || ':' || i.id || ':' || d, CAST(:start AS date) + d
  FROM item i CROSS JOIN generate_series(0, :days - 1) AS d
 WHERE i.sku LIKE 'BI' || :e || '-%' AND (i.id * 7 + d * 13 + :l * 3) % :every = 0
"""
_WINDOW_GROUP_BY = """
SELECT count(*) FROM (SELECT item_id, location_id, sum(-qty) FROM stock_move
                       WHERE entity_id = :e AND reason = 'sale' AND posting_date >= CAST(:d AS date) - 90
                         AND posting_date < CAST(:d AS date) GROUP BY item_id, location_id) x
"""


def _build(engine: Engine, item_locations: int, days: int = DAYS) -> tuple[int, int]:
    """An entity with LOCATIONS locations x items, `days` of sales; returns (entity id, sales rows)."""
    items = item_locations // LOCATIONS
    with Session(engine) as s:
        entity = create_entity(s, code=f"RB{int(time.time()) % 100000}", name="Bench Retail", currency="EUR")
        s.commit()
        e = entity.id
        conn = s.connection()
        conn.execute(text(_LOCATIONS), {"e": e, "n": LOCATIONS})
        conn.execute(text(_ITEMS), {"e": e, "n": items})
        conn.execute(text(_SUPPLIERS), {"e": e, "n": SUPPLIERS})
        conn.execute(text(_PRICES), {"e": e, "s": SUPPLIERS})
        conn.execute(text(_BALANCES), {"e": e})
        locations = [
            int(r[0]) for r in conn.execute(text("SELECT id FROM location WHERE entity_id = :e"), {"e": e})
        ]
        s.commit()
    assert e is not None
    rows = 0
    start = RUN_DATE - timedelta(days=days)
    for loc in locations:
        with engine.begin() as c:
            rows += c.execute(
                text(_SALES), {"e": e, "l": loc, "start": start, "days": days, "every": SALE_EVERY}
            ).rowcount
    with engine.begin() as c:
        for table in ("stock_move", "stock_balance", "item", "location", "supplier", "supplier_price"):
            c.execute(text(f"ANALYZE {table}"))
    return e, rows


def replenishment_plan(engine: Engine, item_locations: int = 100_000, days: int = DAYS) -> Result:
    """Seconds to plan every item-location of an entity (demand, lead time, safety stock, ROP, quantity).

    At 1,000,000 item-locations `make bench-scale` loads 100 days of history (the plan reads 90): a year
    would be 90 million sales rows."""
    built = time.perf_counter()
    entity_id, sales = _build(engine, item_locations, days)
    build_seconds = time.perf_counter() - built

    def group_by() -> None:
        with engine.connect() as c:
            c.execute(text(_WINDOW_GROUP_BY), {"e": entity_id, "d": RUN_DATE}).scalar_one()

    counts: list[tuple[int, int]] = []

    def plan() -> None:
        with Session(engine) as s:
            run_id = (
                s.connection()
                .execute(
                    text(
                        "INSERT INTO replenishment_run (entity_id, run_date, workflow_id, item_locations, suggestions,"
                        " seconds) VALUES (:e, :d, 'bench', 0, 0, 0) RETURNING id"
                    ),
                    {"e": entity_id, "d": RUN_DATE},
                )
                .scalar_one()
            )
            found = record_suggestions(s, run_id, entity_id, RUN_DATE, load_setting(s, entity_id))
            counts.append((found.item_locations, found.suggestions))
            s.rollback()  # measure the statement, keep the bench database reusable

    group_by()  # warm the cache for both
    baseline = min(timed(group_by) for _ in range(3))
    seconds = min(timed(plan) for _ in range(3))
    planned, suggested = counts[-1]
    return Result(
        name=f"replenishment plan, {planned:,} item-locations",
        value=seconds,
        unit="s",
        baseline=baseline,
        baseline_name="GROUP BY of the 90-day sales window",
        extra={
            "item_locations": planned,
            "suggestions": suggested,
            "sales_rows_in_history": sales,
            "history_days": days,
            "build_seconds": round(build_seconds, 1),
        },
    )
