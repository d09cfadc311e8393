"""Concurrent reservations per second with zero oversell, vs a bare conditional UPDATE."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.harness import Result, timed
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
