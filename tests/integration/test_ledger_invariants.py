"""A controller's guarantees: the books cannot be rewritten, only balanced entries land, and a retried
posting never doubles."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from models.master import FiscalPeriod
from rules.periods import PeriodClosed
from services.core import ledger
from services.core.ledger import LineIn, PostingRequest
from tests.factories import Factory


def _sale(entity_id: int, key: str, amount: str = "100.00", day: date = date(2026, 10, 5)) -> PostingRequest:
    return PostingRequest(
        entity_id=entity_id,
        idempotency_key=key,
        posting_date=day,
        source_type="test",
        source_id=key,
        currency="EUR",
        lines=[LineIn("ar", Decimal(amount)), LineIn("revenue", -Decimal(amount))],
    )


def test_posting_twice_with_one_key_gives_one_entry(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    assert entity.id is not None
    with Session(engine) as s:
        first = ledger.post(s, _sale(entity.id, f"sale:{entity.code}:1"))
        s.commit()
    with Session(engine) as s:
        again = ledger.post(s, _sale(entity.id, f"sale:{entity.code}:1"))
        s.commit()
    assert first.created and not again.created
    assert first.entry_id == again.entry_id
    with engine.connect() as c:
        n = c.execute(
            text("SELECT count(*) FROM journal_entry WHERE entity_id = :e"), {"e": entity.id}
        ).scalar()
        lines = c.execute(
            text("SELECT count(*) FROM journal_line WHERE entity_id = :e"), {"e": entity.id}
        ).scalar()
    assert (n, lines) == (1, 2)


@pytest.mark.parametrize("table", ["journal_entry", "journal_line"])
def test_ledger_rows_cannot_be_updated_or_deleted(
    engine: Engine, owner_engine: Engine, factory: Factory, table: str
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    with Session(engine) as s:
        ledger.post(s, _sale(entity.id, f"sale:{entity.code}:imm"))
        s.commit()
    # The app role lacks the privilege; the owner (a superuser here) still hits the trigger.
    for eng, expected in ((engine, "permission denied"), (owner_engine, "append-only")):
        for stmt in (
            f"UPDATE {table} SET memo = 'x' WHERE entity_id = :e",
            f"DELETE FROM {table} WHERE entity_id = :e",
        ):
            with eng.connect() as c, pytest.raises(DBAPIError, match=expected):
                c.execute(text(stmt), {"e": entity.id})
    with owner_engine.connect() as c, pytest.raises(DBAPIError, match="append-only"):
        c.execute(text(f"TRUNCATE {table} CASCADE"))


def test_an_unbalanced_entry_is_refused_by_the_database(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    with engine.connect() as c:
        account = c.execute(
            text("SELECT id FROM account WHERE entity_id = :e AND role = 'ar'"), {"e": entity.id}
        ).scalar()
        other = c.execute(
            text("SELECT id FROM account WHERE entity_id = :e AND role = 'revenue'"), {"e": entity.id}
        ).scalar()
    # Bypass the service on purpose: the database itself must refuse it at commit.
    with engine.connect() as c, pytest.raises(DBAPIError, match="unbalanced"):
        entry = c.execute(
            text(
                "INSERT INTO journal_entry (entity_id, idempotency_key, posting_date, period, memo, source_type,"
                " source_id, created_by) VALUES (:e, :k, '2026-10-01', '2026-10', '', 'test', 'x', 't') RETURNING id"
            ),
            {"e": entity.id, "k": f"raw:{entity.code}"},
        ).scalar()
        c.execute(
            text(
                "INSERT INTO journal_line (entry_id, entity_id, account_id, currency, amount, amount_func, fx_rate, memo,"
                " period) VALUES (:x, :e, :a, 'EUR', 100, 100, 1, '', '2026-10'),"
                " (:x, :e, :b, 'EUR', -99.99, -99.99, 1, '', '2026-10')"
            ),
            {"x": entry, "e": entity.id, "a": account, "b": other},
        )
        c.commit()
    with engine.connect() as c:
        assert (
            c.execute(
                text("SELECT count(*) FROM journal_entry WHERE entity_id = :e"), {"e": entity.id}
            ).scalar()
            == 0
        )


def test_the_service_refuses_an_unbalanced_posting_naming_the_field(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    assert entity.id is not None
    req = PostingRequest(
        entity_id=entity.id,
        idempotency_key=f"bad:{entity.code}",
        posting_date=date(2026, 10, 1),
        source_type="t",
        source_id="1",
        currency="EUR",
        lines=[LineIn("ar", Decimal("10")), LineIn("revenue", Decimal("-9"))],
    )
    with Session(engine) as s, pytest.raises(ValueError, match="lines"):
        ledger.post(s, req)


def test_closed_and_soft_closed_periods(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    assert entity.id is not None
    with Session(engine) as s:
        s.add(FiscalPeriod(entity_id=entity.id, period="2026-08", status="closed"))
        s.add(FiscalPeriod(entity_id=entity.id, period="2026-09", status="soft_closed"))
        s.commit()
    with Session(engine) as s, pytest.raises(PeriodClosed, match="2026-08"):
        ledger.post(s, _sale(entity.id, f"late:{entity.code}", day=date(2026, 8, 31)))
    with Session(engine) as s, pytest.raises(PeriodClosed, match="2026-09"):
        ledger.post(s, _sale(entity.id, f"soft:{entity.code}", day=date(2026, 9, 30)))
    with Session(engine) as s:
        closer = _sale(entity.id, f"closer:{entity.code}", day=date(2026, 9, 30))
        ledger.post(s, replace(closer, actor_is_closer=True))
        s.commit()
    # The database trigger is the second wall for a closed period, even bypassing the service.
    with engine.connect() as c, pytest.raises(DBAPIError, match="period 2026-08 is closed"):
        c.execute(
            text(
                "INSERT INTO journal_entry (entity_id, idempotency_key, posting_date, period, memo,"
                " source_type, source_id, created_by) VALUES (:e, :k, '2026-08-15', 'x', '', 't', '1', 't')"
            ),
            {"e": entity.id, "k": f"r{entity.code}"},
        )


def test_reversal_posts_the_mirror_entry(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    assert entity.id is not None
    with Session(engine) as s:
        first = ledger.post(s, _sale(entity.id, f"s:{entity.code}", amount="42.50"))
        rev = ledger.reverse(
            s,
            first.entry_id,
            idempotency_key=f"s:{entity.code}:rev",
            posting_date=date(2026, 10, 6),
            actor="tester",
        )
        again = ledger.reverse(
            s,
            first.entry_id,
            idempotency_key=f"s:{entity.code}:rev",
            posting_date=date(2026, 10, 6),
            actor="tester",
        )
        s.commit()
    assert rev.created and not again.created
    with engine.connect() as c:
        total = c.execute(
            text(
                "SELECT sum(amount) FROM journal_line l JOIN account a ON a.id = l.account_id"
                " WHERE l.entity_id = :e AND a.role = 'ar'"
            ),
            {"e": entity.id},
        ).scalar()
    assert total == Decimal("0")


def test_foreign_currency_posting_keeps_functional_balance(engine: Engine, factory: Factory) -> None:
    entity = factory.entity(currency="EUR")
    assert entity.id is not None
    req = PostingRequest(
        entity_id=entity.id,
        idempotency_key=f"fx:{entity.code}",
        posting_date=date(2026, 10, 1),
        source_type="t",
        source_id="1",
        currency="USD",
        fx_rate=Decimal("0.9137"),
        lines=[
            LineIn("ap", Decimal("-100.01")),
            LineIn("inventory", Decimal("33.33")),
            LineIn("inventory", Decimal("33.34")),
            LineIn("inventory", Decimal("33.34")),
        ],
    )
    with Session(engine) as s:
        ledger.post(s, req)
        s.commit()
    with engine.connect() as c:
        row = c.execute(
            text(
                "SELECT sum(amount), sum(amount_func), min(currency) FROM journal_line WHERE entity_id = :e"
            ),
            {"e": entity.id},
        ).one()
    assert row == (Decimal("0"), Decimal("0"), "USD")
