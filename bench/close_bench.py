"""Trial balance and the month-end close over 1,000,000 journal lines vs a plain GROUP BY on the same table."""

import statistics
import time
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine, text
from sqlmodel import Session

from activities.close import CloseActivities
from bench.harness import Result, timed
from erp.db import make_engine
from models.contracts.close import BeginClose, FinishClose, StepInput
from models.master import Item, Location
from services.close import reports
from services.close import runs as close_runs
from services.core.chart import create_entity

PERIOD = "2026-10"
LINES_PER_ENTRY = 4
CHUNK_ENTRIES = 25_000

# One sale per entry: AR (with its customer) / revenue, COGS / inventory; dates spread over Jan-Oct 2026.
_ENTRIES = """
INSERT INTO journal_entry (entity_id, idempotency_key, posting_date, period, memo, source_type, source_id, created_by)
SELECT :e, 'bench:close:' || n, CAST(:base AS date) + (n % 304), '', '', 'sales_order', 'SO' || n, 'bench'
  FROM generate_series(CAST(:lo AS int), CAST(:hi AS int)) AS n
"""
_LINES = """
INSERT INTO journal_line (entry_id, entity_id, account_id, currency, amount, amount_func, fx_rate, memo,
                          partner_type, partner_id, period)
SELECT e.id, :e, a.id, 'EUR', x.sign * x.amt, x.sign * x.amt, 1, '', x.ptype,
       CASE WHEN x.ptype IS NOT NULL THEN (e.n % 500)::text END, e.period
  FROM (SELECT id, period, substring(source_id FROM 3)::int AS n FROM journal_entry
         WHERE entity_id = :e AND source_type = 'sales_order'
           AND substring(source_id FROM 3)::int BETWEEN CAST(:lo AS int) AND CAST(:hi AS int)) e
 CROSS JOIN LATERAL (VALUES
       ('ar', 1, ((e.n % 97) + 1) * 1.25, 'customer'),
       ('revenue', -1, ((e.n % 97) + 1) * 1.25, NULL),
       ('cogs', 1, round(((e.n % 97) + 1) * 0.75, 2), NULL),
       ('inventory', -1, round(((e.n % 97) + 1) * 0.75, 2), NULL)) AS x(role, sign, amt, ptype)
  JOIN account a ON a.entity_id = :e AND a.role = x.role
"""
# The stock ledger side of each sale, so the stock-vs-GL reconciliation compares real volumes.
_MOVES = """
INSERT INTO stock_move (entity_id, item_id, location_id, qty, unit_cost, value, reason, source_type, source_id,
                        idempotency_key, posting_date, journal_entry_id)
SELECT :e, :item, :loc, -1, round(((n % 97) + 1) * 0.75, 2), -round(((n % 97) + 1) * 0.75, 2), 'sale',
       'sales_order', 'SO' || n, 'bench:close:move:' || n, CAST(:base AS date) + (n % 304), NULL
  FROM generate_series(CAST(:lo AS int), CAST(:hi AS int)) AS n
"""

# The receivable each sale leaves open, as shipments record it: the AR subledger agrees with its control.
_OPEN_ITEMS = """
INSERT INTO open_item (entity_id, side, partner_type, partner_id, counterparty, document_type, document_ref,
                       document_date, due_date, currency, amount, amount_func, journal_entry_id, idempotency_key)
SELECT :e, 'ar', 'customer', (e.n % 500)::text, 'C' || (e.n % 500), 'shipment', 'SO' || e.n, e.posting_date,
       e.posting_date + 30, 'EUR', ((e.n % 97) + 1) * 1.25, ((e.n % 97) + 1) * 1.25, e.id,
       'bench:close:open:' || e.n
  FROM (SELECT id, posting_date, substring(source_id FROM 3)::int AS n FROM journal_entry
         WHERE entity_id = :e AND source_type = 'sales_order'
           AND substring(source_id FROM 3)::int BETWEEN CAST(:lo AS int) AND CAST(:hi AS int)) e
"""


def _setup(engine: Engine) -> tuple[int, str, int, int]:
    with Session(engine, expire_on_commit=False) as s:
        entity = create_entity(s, code="BENCHCLOSE", name="Bench close", currency="EUR")
        assert entity.id is not None
        loc = Location(entity_id=entity.id, code="BENCH-WH", name="WH")
        item = Item(sku="BENCH-SKU", name="Bench", category="bench", allow_negative=True)
        s.add_all([loc, item])
        s.commit()
        assert loc.id is not None and item.id is not None
        return entity.id, entity.code, item.id, loc.id


def _load(
    engine: Engine, entity_id: int, item: int, loc: int, entries: int, first: int = 1, year: int = 2026
) -> float:
    """Load entries first..entries dated Jan-Oct of `year` set-based, one transaction per chunk (triggers on)."""
    start = time.perf_counter()
    for lo in range(first, entries + 1, CHUNK_ENTRIES):
        hi = min(lo + CHUNK_ENTRIES - 1, entries)
        params = {"e": entity_id, "lo": lo, "hi": hi, "item": item, "loc": loc, "base": date(year, 1, 1)}
        with engine.begin() as c:
            c.execute(text(_ENTRIES), params)
            c.execute(text(_LINES), params)
            c.execute(text(_MOVES), params)
            c.execute(text(_OPEN_ITEMS), params)
    elapsed = time.perf_counter() - start
    # Fresh statistics, as autovacuum would give them a minute later; only the owner may ANALYZE.
    owner = make_engine(engine.url.render_as_string(hide_password=False))
    with owner.connect() as c:
        c.execute(text("ANALYZE journal_entry, journal_line, stock_move, stock_move_key, open_item"))
        c.commit()
    owner.dispose()
    return elapsed


def _best(fn: object, runs: int = 3) -> float:
    """Median of a few runs (the first warms the cache)."""
    assert callable(fn)
    return statistics.median(timed(fn) for _ in range(runs))


def _close(engine: Engine, code: str, entity_id: int, period: str = PERIOD) -> None:
    """Every close activity in order, minus Temporal's round trips (no sign-off wait)."""
    acts = CloseActivities(engine)
    now = datetime.now(UTC)
    ctx = None
    with Session(engine) as s:
        ctx = close_runs.begin(
            s,
            BeginClose(
                entity_code=code,
                period=period,
                workflow_id=f"bench:{period}",
                trigger="bench",
                started_at=now,
            ),
        )
        s.commit()

    def step(seq: int) -> StepInput:
        return StepInput(
            run_id=ctx.run_id,
            entity_id=entity_id,
            entity_code=code,
            period=period,
            round=1,
            seq=seq,
            started_at=datetime.now(UTC),
        )

    acts.soft_close(step(1))
    acts.accruals(step(2))
    acts.reconcile(step(3))
    acts.fx_revalue(step(4))
    acts.trial_balance(step(5))
    acts.hard_close(step(7))
    acts.statements(
        FinishClose(
            run_id=ctx.run_id,
            entity_id=entity_id,
            entity_code=code,
            period=period,
            round=1,
            seq=8,
            started_at=datetime.now(UTC),
            duration_seconds=Decimal(0),
        )
    )


def close_over_million_lines(engine: Engine, lines: int = 1_000_000) -> list[Result]:
    """Load `lines` journal lines, then time TB and the close's SQL against a plain GROUP BY (same run)."""
    return close_at_scale(engine, (lines,))


def close_at_scale(engine: Engine, sizes: tuple[int, ...]) -> list[Result]:
    """Grow one ledger through each size in turn (loaded once), timing TB and the close at every size."""
    entity_id, code, item, loc = _setup(engine)
    results: list[Result] = []
    loaded = 0
    for year, lines in enumerate(sizes, start=2026):
        # Each size closes October of its own year: the earlier Octobers are closed and take no more lines.
        entries = lines // LINES_PER_ENTRY
        load_s = _load(engine, entity_id, item, loc, entries, first=loaded + 1, year=year)
        results.extend(_measure(engine, entity_id, code, f"{year}-10", entries - loaded, load_s, entries))
        loaded = entries
    return results


def _measure(
    engine: Engine, entity_id: int, code: str, period: str, added: int, load_s: float, entries: int
) -> list[Result]:
    """TB and the close against a plain GROUP BY over the whole table, after `added` more entries."""

    def group_by() -> None:
        with engine.connect() as c:
            c.execute(
                text(
                    "SELECT account_id, sum(amount_func) FROM journal_line WHERE entity_id = :e GROUP BY account_id"
                ),
                {"e": entity_id},
            ).all()

    def trial_balance() -> None:
        with Session(engine) as s:
            assert reports.trial_balance(s, entity_id, period)["balanced"]

    t_group = _best(group_by)
    t_tb = _best(trial_balance)
    t_close = timed(lambda: _close(engine, code, entity_id, period))
    n = entries * LINES_PER_ENTRY
    return [
        Result(
            f"load {added * LINES_PER_ENTRY:,} journal lines set-based (triggers on)",
            added * LINES_PER_ENTRY / load_s,
            "lines/s",
            extra={"seconds": round(load_s, 2), "entries": added},
        ),
        Result(
            f"trial balance over {n:,} journal lines",
            t_tb * 1000,
            "ms",
            baseline=t_group * 1000,
            baseline_name="plain GROUP BY account_id over journal_line",
        ),
        Result(
            f"full close SQL steps over {n:,} journal lines",
            t_close * 1000,
            "ms",
            baseline=t_group * 1000,
            baseline_name="plain GROUP BY account_id over journal_line",
        ),
    ]


if __name__ == "__main__":
    import sys
    from pathlib import Path

    from bench.harness import fresh_database, report

    # `python -m bench.close_bench 1000000 10000000` (make bench-large) grows one ledger through each size.
    sizes = tuple(int(a) for a in sys.argv[1:]) or (1_000_000,)
    name = "close.json" if len(sizes) == 1 else "close_large.json"
    with fresh_database() as (_, eng):
        report(close_at_scale(eng, sizes), Path(__file__).parent / "results" / name)
