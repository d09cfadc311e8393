"""Concurrent reservations per second with zero oversell, vs a bare conditional UPDATE; stock ledger inserts/s
through the partitioned table, vs the same insert into the unpartitioned shape."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlmodel import Session

from bench.harness import Result, timed
from erp.db import make_engine
from models.master import Item, Location
from rules.accounts import AccountRole
from services.core import reservations as stock_reservations
from services.core import stock
from services.core.chart import create_entity
from services.core.stock import MoveIn


def _setup(engine: Engine, code: str, items: int, on_hand: int) -> list[tuple[int, int]]:
    with Session(engine) as s:
        e = create_entity(s, code=code, name=code, currency="EUR")
        loc = Location(entity_id=e.id or 0, code=f"{code}-WH", name="wh")
        s.add(loc)
        s.flush()
        pairs = []
        for n in range(items):
            item = Item(sku=f"{code}-{n}", name="x", category="bench")
            s.add(item)
            s.flush()
            assert item.id and loc.id
            stock.move(
                s,
                MoveIn(
                    item_id=item.id,
                    location_id=loc.id,
                    qty=Decimal(on_hand),
                    unit_cost=Decimal(1),
                    reason="opening",
                    source_type="bench",
                    source_id=str(n),
                    idempotency_key=f"{code}:open:{n}",
                    posting_date=date(2026, 1, 1),
                    offset_account=AccountRole.EQUITY,
                ),
            )
            pairs.append((item.id, loc.id))
        s.commit()
    return pairs


def reservations(
    engine: Engine, attempts: int = 4000, items: int = 20, on_hand: int = 150, threads: int = 16
) -> Result:
    """Reservations/s by 16 concurrent clients on 20 SKUs with fewer units than requests."""
    pairs = _setup(engine, "BRES", items, on_hand)
    base_pairs = _setup(engine, "BBASE", items, on_hand)

    def reserve(n: int) -> bool:
        item, loc = pairs[n % items]
        with Session(engine) as s:
            ok = stock_reservations.reserve(
                s,
                item_id=item,
                location_id=loc,
                qty=Decimal(1),
                idempotency_key=f"bres:{n}",
                source_type="bench",
                source_id=str(n),
            )
            s.commit()
            return ok

    def bare(n: int) -> bool:
        item, loc = base_pairs[n % items]
        with engine.begin() as c:
            return (
                c.execute(
                    text(
                        "UPDATE stock_balance SET reserved = reserved + 1 WHERE item_id = :i"
                        " AND location_id = :l AND on_hand - reserved >= 1"
                    ),
                    {"i": item, "l": loc},
                ).rowcount
                == 1
            )

    outcomes: list[bool] = []
    with ThreadPoolExecutor(threads) as pool:
        t = timed(lambda: outcomes.extend(pool.map(reserve, range(attempts))))
        t_base = timed(lambda: list(pool.map(bare, range(attempts))))
    with engine.connect() as c:
        over = c.execute(text("SELECT count(*) FROM stock_balance WHERE reserved > on_hand")).scalar_one()
        reserved = c.execute(
            text("SELECT sum(reserved) FROM stock_balance WHERE item_id = ANY(:i)"),
            {"i": [p[0] for p in pairs]},
        ).scalar_one()
    granted = outcomes.count(True)
    assert over == 0 and granted == min(attempts, items * on_hand) == reserved, "oversold!"
    return Result(
        "concurrent reservations (16 clients)",
        attempts / t,
        "attempts/s",
        baseline=attempts / t_base,
        baseline_name="bare conditional UPDATE",
        extra={"granted": granted, "oversold": over},
    )


# The stock ledger as it was before migration 0024: one table, the idempotency key unique on it.
_UNPARTITIONED = """
CREATE TABLE IF NOT EXISTS bench_stock_move_unpartitioned (
  id integer PRIMARY KEY DEFAULT nextval('stock_move_id_seq'),
  entity_id integer NOT NULL REFERENCES entity (id), item_id integer NOT NULL REFERENCES item (id),
  location_id integer NOT NULL REFERENCES location (id), lot varchar, serial varchar,
  qty numeric(18, 4) NOT NULL, unit_cost numeric(20, 6) NOT NULL, value numeric(20, 4) NOT NULL,
  reason varchar(30) NOT NULL, source_type varchar(40) NOT NULL, source_id varchar(80) NOT NULL,
  idempotency_key varchar(200) NOT NULL UNIQUE, posting_date date NOT NULL,
  journal_entry_id integer REFERENCES journal_entry (id), created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT bench_stock_move_nonzero CHECK (qty <> 0 OR value <> 0));
CREATE INDEX IF NOT EXISTS bench_stock_move_entity ON bench_stock_move_unpartitioned (entity_id);
CREATE INDEX IF NOT EXISTS bench_stock_move_item_location ON bench_stock_move_unpartitioned (item_id, location_id);
CREATE INDEX IF NOT EXISTS bench_stock_move_sales_by_day ON bench_stock_move_unpartitioned (entity_id, posting_date)
  WHERE reason = 'sale';
GRANT SELECT, INSERT ON bench_stock_move_unpartitioned TO erp_app
"""

_INSERT = """
INSERT INTO {table} (entity_id, item_id, location_id, qty, unit_cost, value, reason, source_type, source_id,
                     idempotency_key, posting_date)
VALUES (:e, :i, :l, -1, 4, -4, 'sale', 'bench', :k, :k, :d) RETURNING id
"""


def _insert_rows(c: Connection, table: str, params: dict[str, Any], prefix: str, rows: int) -> None:
    """`rows` moves, each in its own transaction."""
    sql = text(_INSERT.format(table=table))
    for n in range(rows):
        c.execute(sql, {**params, "k": f"{prefix}:{n}"})
        c.commit()


def stock_ledger_inserts(engine: Engine, rows: int = 2000, rounds: int = 5) -> Result:
    """Single-row stock move inserts/s (one per transaction, as an order's shipment writes them) into the
    partitioned ledger, whose statement trigger keeps the keys, vs the same insert into the unpartitioned shape."""
    owner = make_engine(engine.url.render_as_string(hide_password=False))
    with owner.begin() as c:
        c.execute(text(_UNPARTITIONED))
    owner.dispose()
    with Session(engine) as s:
        e = create_entity(s, code="BSML", name="BSML", currency="EUR")
        loc = Location(entity_id=e.id or 0, code="BSML-WH", name="wh")
        item = Item(sku="BSML-1", name="x", category="bench")
        s.add_all([loc, item])
        s.commit()
        params = {"e": e.id, "i": item.id, "l": loc.id, "d": date(2026, 3, 5)}
    best = {"stock_move": 0.0, "bench_stock_move_unpartitioned": 0.0}
    per_round = rows // rounds
    with engine.connect() as c:
        # Alternate the two tables round by round: a busy machine slows both alike; the best round of each counts.
        for r in range(rounds):
            for table in best:
                run = partial(_insert_rows, c, table, params, f"bsml:{table}:{r}", per_round)
                best[table] = max(best[table], per_round / timed(run))
    return Result(
        "stock ledger: single-row inserts (partitioned, keyed)",
        best["stock_move"],
        "rows/s",
        baseline=best["bench_stock_move_unpartitioned"],
        baseline_name="same insert, unpartitioned (pre-0024 shape)",
        extra={"rows": rows, "rounds": rounds},
    )
