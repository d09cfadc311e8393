"""A warehouse's guarantees: the last units are never sold twice, stock is valued by the item's
method, and the stock ledger's value always equals the inventory account."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from rules.accounts import AccountRole
from rules.errors import RuleViolation
from services.core import reservations, stock
from services.core.errors import InsufficientStock
from services.core.invariants import BooksCheck, check_books
from services.core.stock import MoveIn
from services.core.stock_revaluation import RevalueIn, revalue
from tests.factories import Factory

D = Decimal


def _receive(
    engine: Engine, item: int, loc: int, qty: str, cost: str, key: str, day: int = 1
) -> stock.MoveOut:
    with Session(engine) as s:
        out = stock.move(
            s,
            MoveIn(
                item_id=item,
                location_id=loc,
                qty=D(qty),
                unit_cost=D(cost),
                reason="receipt",
                source_type="test",
                source_id=key,
                idempotency_key=key,
                posting_date=date(2026, 10, day),
            ),
        )
        s.commit()
        return out


def _issue(engine: Engine, item: int, loc: int, qty: str, key: str) -> stock.MoveOut:
    with Session(engine) as s:
        out = stock.move(
            s,
            MoveIn(
                item_id=item,
                location_id=loc,
                qty=-D(qty),
                reason="sale",
                offset_account=AccountRole.COGS,
                source_type="test",
                source_id=key,
                idempotency_key=key,
                posting_date=date(2026, 10, 20),
            ),
        )
        s.commit()
        return out


def _books(engine: Engine, entity_id: int) -> BooksCheck:
    with Session(engine) as s:
        return check_books(s, entity_id)


def test_fifty_concurrent_reservations_for_the_last_ten_units_reserve_exactly_ten(
    engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item()
    assert item.id and loc.id
    item_id, loc_id = item.id, loc.id
    _receive(engine, item_id, loc_id, "10", "4.00", f"rcv:{item.sku}")

    def attempt(n: int) -> bool:
        with Session(engine) as s:
            ok = reservations.reserve(
                s,
                item_id=item_id,
                location_id=loc_id,
                qty=D(1),
                idempotency_key=f"res:{item.sku}:{n}",
                source_type="order",
                source_id=str(n),
            )
            s.commit()
            return ok

    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(attempt, range(50)))
    assert results.count(True) == 10
    with engine.connect() as c:
        reserved = c.execute(
            text("SELECT reserved FROM stock_balance WHERE item_id = :i"), {"i": item.id}
        ).scalar()
        active = c.execute(
            text("SELECT count(*) FROM reservation WHERE item_id = :i AND status = 'active'"), {"i": item.id}
        ).scalar()
    assert (reserved, active) == (D(10), 10)


def test_a_retried_reservation_reserves_once_and_release_frees_it(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item()
    assert item.id and loc.id
    _receive(engine, item.id, loc.id, "5", "1.00", f"rcv:{item.sku}")
    for _ in range(3):
        with Session(engine) as s:
            assert reservations.reserve(
                s,
                item_id=item.id,
                location_id=loc.id,
                qty=D(2),
                idempotency_key=f"r:{item.sku}",
                source_type="order",
                source_id="1",
            )
            s.commit()
    with Session(engine) as s:
        assert reservations.release(s, f"r:{item.sku}") == D(2)
        assert reservations.release(s, f"r:{item.sku}") == D(0)
        s.commit()
    with engine.connect() as c:
        assert (
            c.execute(text("SELECT reserved FROM stock_balance WHERE item_id = :i"), {"i": item.id}).scalar()
            == 0
        )


def test_the_database_refuses_reserving_more_than_on_hand(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item()
    assert item.id and loc.id
    _receive(engine, item.id, loc.id, "3", "1.00", f"rcv:{item.sku}")
    with engine.connect() as c, pytest.raises(Exception, match="reserved_within_on_hand"):
        c.execute(text("UPDATE stock_balance SET reserved = 4 WHERE item_id = :i"), {"i": item.id})


def test_moving_average_worked_example(engine: Engine, factory: Factory) -> None:
    # 10 @ 5.00 then 10 @ 7.00 -> average 6.00; issuing 15 costs 90.00 and leaves 5 worth 30.00.
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item(method="moving_average")
    assert item.id and loc.id and entity.id
    _receive(engine, item.id, loc.id, "10", "5.00", f"a:{item.sku}")
    _receive(engine, item.id, loc.id, "10", "7.00", f"b:{item.sku}", day=2)
    out = _issue(engine, item.id, loc.id, "15", f"c:{item.sku}")
    assert out.value == D("-90.00")
    books = _books(engine, entity.id)
    assert books.consistent and books.inventory_gl == D("30.00")


def test_fifo_worked_example(engine: Engine, factory: Factory) -> None:
    # 10 @ 5.00 then 10 @ 7.00; issuing 15 takes 10 @ 5 + 5 @ 7 = 85.00, leaving 5 @ 7 = 35.00.
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item(method="fifo")
    assert item.id and loc.id and entity.id
    _receive(engine, item.id, loc.id, "10", "5.00", f"a:{item.sku}")
    _receive(engine, item.id, loc.id, "10", "7.00", f"b:{item.sku}", day=2)
    out = _issue(engine, item.id, loc.id, "15", f"c:{item.sku}")
    assert out.value == D("-85.00")
    books = _books(engine, entity.id)
    assert books.consistent and books.inventory_gl == D("35.00")
    with engine.connect() as c:
        left = c.execute(
            text("SELECT sum(qty_remaining) FROM fifo_layer WHERE item_id = :i"), {"i": item.id}
        ).scalar()
    assert left == D(5)


def test_issuing_more_than_on_hand_is_refused_and_changes_nothing(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item()
    assert item.id and loc.id and entity.id
    _receive(engine, item.id, loc.id, "2", "3.00", f"a:{item.sku}")
    with pytest.raises(InsufficientStock):
        _issue(engine, item.id, loc.id, "3", f"b:{item.sku}")
    books = _books(engine, entity.id)
    assert books.consistent and books.inventory_gl == D("6.00")


def test_a_retried_move_is_recorded_once(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item()
    assert item.id and loc.id and entity.id
    first = _receive(engine, item.id, loc.id, "4", "2.50", f"a:{item.sku}")
    again = _receive(engine, item.id, loc.id, "4", "2.50", f"a:{item.sku}")
    assert first.created and not again.created and first.move_id == again.move_id
    books = _books(engine, entity.id)
    assert books.consistent and books.inventory_gl == D("10.00")


def test_a_revaluation_moves_stock_value_and_the_inventory_account_together(
    engine: Engine, factory: Factory
) -> None:
    # A freight true-up of +10.00 on 10 units @ 5.00 (FIFO): the layer now costs 6.00, and issuing all
    # ten costs 60.00; the stock ledger and the inventory account agree at every step.
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item(method="fifo")
    assert item.id and loc.id and entity.id
    _receive(engine, item.id, loc.id, "10", "5.00", f"a:{item.sku}")
    request = RevalueIn(
        item_id=item.id,
        location_id=loc.id,
        value=D("10.00"),
        reason="landed cost true-up",
        source_type="test",
        source_id=item.sku,
        idempotency_key=f"rv:{item.sku}",
        posting_date=date(2026, 10, 5),
    )
    with Session(engine) as s:
        first = revalue(s, request)
        again = revalue(s, request)
        s.commit()
    assert first.created and not again.created and first.value == D("10.00")
    books = _books(engine, entity.id)
    assert books.consistent and books.inventory_gl == D("60.00")
    out = _issue(engine, item.id, loc.id, "10", f"b:{item.sku}")
    assert out.value == D("-60.00")
    books = _books(engine, entity.id)
    assert books.consistent and books.inventory_gl == D("0.00")


def test_nothing_on_hand_cannot_be_revalued(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item()
    assert item.id and loc.id
    with Session(engine) as s, pytest.raises(RuleViolation, match="no stock"):
        revalue(
            s,
            RevalueIn(
                item_id=item.id,
                location_id=loc.id,
                value=D("1.00"),
                reason="x",
                source_type="t",
                source_id="1",
                idempotency_key=f"rv0:{item.sku}",
                posting_date=date(2026, 10, 5),
            ),
        )
