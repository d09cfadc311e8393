"""A stock controller's ledger over the months: each month's moves sit in their own partition, a month's
report reads only that month, and the ledger's guarantees (one move per key, never rewritten) hold across
every partition, the default one included."""

import re
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from erp.migrate import add_partitions_ahead
from rules.accounts import AccountRole
from rules.periods import period_bounds
from services.core import stock
from services.core.stock import MoveIn, MoveOut
from tests.factories import Factory

D = Decimal
_PARTITION = re.compile(r"stock_move_(?:\d{4}_\d{2}|default)\b")

# The close's stockout figure (services/close/analytics.kpis) and replenishment's demand window both read the
# sales of a date window: the shape of query that must touch one month's partition only.
_MONTH_OF_SALES = """
SELECT item_id, location_id, -sum(qty) FROM stock_move
 WHERE entity_id = :e AND reason = 'sale' AND posting_date BETWEEN :s AND :d
 GROUP BY item_id, location_id
"""


def _move(engine: Engine, item: int, loc: int, qty: str, key: str, day: date) -> MoveOut:
    with Session(engine) as s:
        out = stock.move(
            s,
            MoveIn(
                item_id=item,
                location_id=loc,
                qty=D(qty),
                unit_cost=D("4.00") if D(qty) > 0 else None,
                reason="receipt" if D(qty) > 0 else "sale",
                offset_account=AccountRole.EQUITY if D(qty) > 0 else AccountRole.COGS,
                source_type="test",
                source_id=key,
                idempotency_key=key,
                posting_date=day,
            ),
        )
        s.commit()
        return out


def _partitions_read(engine: Engine, sql: str, **params: object) -> set[str]:
    """The stock ledger partitions in the query's plan (pruned ones do not appear)."""
    with engine.connect() as c:
        plan = "\n".join(c.execute(text(f"EXPLAIN {sql}"), params).scalars())
    return set(_PARTITION.findall(plan))


def _partition_of(engine: Engine, key: str) -> str:
    with engine.connect() as c:
        return str(
            c.execute(
                text("SELECT tableoid::regclass::text FROM stock_move WHERE idempotency_key = :k"), {"k": key}
            ).scalar_one()
        )


def _untouched_year(owner_engine: Engine, first: int, span: int) -> int:
    """A year from first to first+span-1 with no partition and no line or move in either default partition.

    Other tests of this database (the API fuzzer among them) post in far months too."""
    with owner_engine.connect() as c:
        taken = set(
            c.execute(
                text(
                    "SELECT to_char(posting_date, 'YYYY') FROM stock_move_default"
                    " UNION SELECT left(period, 4) FROM journal_line_default"
                    " UNION SELECT substring(relname from 14 for 4) FROM pg_class"
                    " WHERE relname ~ '^journal_line_[0-9]{4}_[0-9]{2}$'"
                )
            ).scalars()
        )
    free = [y for y in range(first, first + span) if str(y) not in taken]
    assert free, f"every year from {first} to {first + span - 1} is taken"
    return free[uuid.uuid4().int % len(free)]


def test_a_months_moves_sit_in_its_partition_and_its_report_reads_only_that_partition(
    engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item(method="fifo")
    assert entity.id and loc.id and item.id
    october, november = f"oct:{item.sku}", f"nov:{item.sku}"
    received = _move(engine, item.id, loc.id, "10", october, date(2026, 10, 3))
    sold = _move(engine, item.id, loc.id, "-3", november, date(2026, 11, 14))
    assert (_partition_of(engine, october), _partition_of(engine, november)) == (
        "stock_move_2026_10",
        "stock_move_2026_11",
    )
    # The FIFO layer still names its receipt by a real foreign key (to the key table of all moves).
    with engine.connect() as c:
        layer = c.execute(
            text("SELECT move_id FROM fifo_layer WHERE item_id = :i"), {"i": item.id}
        ).scalar_one()
    assert layer == received.move_id

    start, end = period_bounds("2026-11")
    assert _partitions_read(engine, _MONTH_OF_SALES, e=entity.id, s=start, d=end) == {"stock_move_2026_11"}
    with engine.connect() as c:
        rows = c.execute(text(_MONTH_OF_SALES), {"e": entity.id, "s": start, "d": end}).all()
    assert [tuple(r) for r in rows] == [(item.id, loc.id, D(3))]
    # A lookup by key reads the key table, then the move's own partition.
    with Session(engine) as s:
        again = stock.move_by_key(s, november, "id, qty")
    assert again is not None and (again.id, again.qty) == (sold.move_id, D(-3))
    assert _partitions_read(
        engine,
        "SELECT id FROM stock_move WHERE id = :i AND posting_date = :d",
        i=sold.move_id,
        d=date(2026, 11, 14),
    ) == {"stock_move_2026_11"}


def test_one_key_is_one_move_across_partitions(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item()
    assert entity.id and loc.id and item.id
    key = f"once:{item.sku}"
    first = _move(engine, item.id, loc.id, "5", key, date(2026, 10, 3))
    retried = _move(engine, item.id, loc.id, "5", key, date(2026, 12, 1))  # a retry after the month turned
    assert first.created and not retried.created and retried.move_id == first.move_id
    # Past the service, the database itself refuses the key again, in another month's partition too.
    with engine.connect() as c, pytest.raises(IntegrityError, match="stock_move_key_idempotency_key_key"):
        c.execute(
            text(
                "INSERT INTO stock_move (entity_id, item_id, location_id, qty, unit_cost, value, reason, source_type,"
                " source_id, idempotency_key, posting_date) VALUES (:e, :i, :l, 5, 4, 20, 'receipt', 'test', 'x', :k,"
                " '2026-12-01')"
            ),
            {"e": entity.id, "i": item.id, "l": loc.id, "k": key},
        )
    with engine.connect() as c:
        assert (
            c.execute(text("SELECT count(*) FROM stock_move WHERE idempotency_key = :k"), {"k": key}).scalar()
            == 1
        )


def test_no_move_is_rewritten_in_any_partition(
    engine: Engine, owner_engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item()
    assert entity.id and loc.id and item.id
    _move(engine, item.id, loc.id, "5", f"imm:{item.sku}", date(2026, 10, 3))
    # The app role lacks the privilege; the owner (a superuser here) still hits the trigger, on the parent and
    # on the partition alike.
    for eng, expected in ((engine, "permission denied"), (owner_engine, "append-only")):
        for table in ("stock_move", "stock_move_2026_10", "stock_move_key"):
            for stmt in (
                f"UPDATE {table} SET posting_date = '2026-10-04' WHERE id IN (SELECT id FROM stock_move WHERE item_id = :i)",
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM stock_move WHERE item_id = :i)",
            ):
                with eng.connect() as c, pytest.raises(DBAPIError, match=expected):
                    c.execute(text(stmt), {"i": item.id})
    for table in ("stock_move", "stock_move_2026_10", "stock_move_default", "stock_move_key"):
        with owner_engine.connect() as c, pytest.raises(DBAPIError, match="append-only"):
            c.execute(text(f"TRUNCATE {table} CASCADE"))
    # The app role writes through the parent only, whose trigger keeps the keys.
    with engine.connect() as c, pytest.raises(DBAPIError, match="permission denied"):
        c.execute(
            text(
                "INSERT INTO stock_move_2026_10 (entity_id, item_id, location_id, qty, unit_cost, value, reason,"
                " source_type, source_id, idempotency_key, posting_date) VALUES (:e, :i, :l, 1, 4, 4, 'receipt',"
                " 'test', 'x', :k, '2026-10-05')"
            ),
            {"e": entity.id, "i": item.id, "l": loc.id, "k": f"direct:{item.sku}"},
        )


def test_a_move_in_a_month_without_partition_lands_in_the_default_until_the_month_is_added(
    engine: Engine, owner_engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item()
    assert entity.id and loc.id and item.id
    far = f"far:{item.sku}"
    _move(engine, item.id, loc.id, "2", far, date(2035, 6, 1))
    assert _partition_of(engine, far) == "stock_move_default"
    with Session(engine) as s:
        found = stock.move_by_key(s, far, "qty, value")
    assert found is not None and (found.qty, found.value) == (D(2), D("8.00"))

    # An owner adds a month ahead: the journal's and the stock ledger's partitions at once.
    month = f"{_untouched_year(owner_engine, 2030, 10)}-{uuid.uuid4().int % 12 + 1:02d}"
    with owner_engine.begin() as c:
        c.execute(text("SELECT erp_add_period_partitions(:p)"), {"p": month})
    later = f"later:{item.sku}"
    _move(engine, item.id, loc.id, "1", later, date.fromisoformat(f"{month}-15"))
    assert _partition_of(engine, later) == f"stock_move_{month.replace('-', '_')}"
    with engine.connect() as c:
        journal = c.execute(
            text(
                "SELECT DISTINCT l.tableoid::regclass::text FROM stock_move m"
                " JOIN journal_line l ON l.entry_id = m.journal_entry_id WHERE m.idempotency_key = :k"
            ),
            {"k": later},
        ).scalars()
        assert list(journal) == [f"journal_line_{month.replace('-', '_')}"]


def test_every_migration_run_adds_the_partitions_of_the_months_ahead(
    database_url: str, engine: Engine, owner_engine: Engine, factory: Factory
) -> None:
    """Years from now, `erp migrate` at a deployment adds the coming months' partitions of both ledgers; a
    month whose moves already sit in the default partition is left for an owner to move first."""
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item()
    assert entity.id and loc.id and item.id
    # A move of a month with no partition yet, that the run must not break by adding its partition.
    base = _untouched_year(owner_engine, 2040, 50)
    early = f"early:{item.sku}"
    _move(engine, item.id, loc.id, "1", early, date(base, 3, 10))

    added = add_partitions_ahead(database_url, today=date(base, 1, 20), months=3)
    assert added == [f"{base}-01", f"{base}-02", f"{base}-04"]  # March waits for its moves to be moved
    with owner_engine.connect() as c:
        for p in added:
            suffix = p.replace("-", "_")
            tables = c.execute(
                text("SELECT to_regclass(:j) IS NOT NULL AND to_regclass(:s) IS NOT NULL"),
                {"j": f"journal_line_{suffix}", "s": f"stock_move_{suffix}"},
            ).scalar_one()
            assert tables, p
    assert _partition_of(engine, early) == "stock_move_default"
    assert add_partitions_ahead(database_url, today=date(base, 1, 20), months=3) == []  # once
