"""Onboarding a store: its opening balances and a bank statement arrive as thousands of entries at once.
Bulk posting writes them set-based, and every guarantee of single postings still holds: each entry
balances (the database checks it at commit), a retried batch posts nothing twice, a closed period is
refused, and the period balances the reports read follow every insert path, COPY included."""

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from models.master import FiscalPeriod
from rules.errors import RuleViolation
from rules.periods import PeriodClosed
from services.close import reports
from services.core import ledger
from services.core.invariants import check_books
from services.core.ledger import LineIn, PostingRequest
from services.core.ledger_bulk import post_many
from tests.factories import Factory


def _opening(
    entity_id: int,
    key: str,
    amount: D,
    day: date = date(2031, 3, 1),
    currency: str = "EUR",
    fx_rate: D | None = None,
) -> PostingRequest:
    return PostingRequest(
        entity_id=entity_id,
        idempotency_key=key,
        posting_date=day,
        source_type="opening_balance",
        source_id=key,
        currency=currency,
        lines=[
            LineIn("inventory", amount),
            LineIn("ap", -amount, partner_type="supplier", partner_id="S1"),
        ],
        actor="onboarding",
        fx_rate=fx_rate,
    )


def _count(engine: Engine, entity_id: int) -> tuple[int, int]:
    with engine.connect() as c:
        row = c.execute(
            text(
                "SELECT (SELECT count(*) FROM journal_entry WHERE entity_id = :e),"
                " (SELECT count(*) FROM journal_line WHERE entity_id = :e)"
            ),
            {"e": entity_id},
        ).one()
    return int(row[0]), int(row[1])


def test_opening_balances_post_once_and_the_reports_see_them(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    assert entity.id is not None
    batch = [
        _opening(entity.id, f"{entity.code}:open:{n}", D(n + 1) / 4, date(2031, 3, 1 + n % 28))
        for n in range(300)
    ] + [_opening(entity.id, f"{entity.code}:open:usd", D("99.99"), currency="USD", fx_rate=D("0.8777"))]
    with Session(engine) as s:
        # One entry came in through the posting service before the import: it is not posted again.
        single = ledger.post(s, batch[7])
        s.commit()
    with Session(engine) as s:
        posted = post_many(s, batch)
        s.commit()
    assert [p.created for p in posted] == [n != 7 for n in range(301)]
    assert posted[7].entry_id == single.entry_id
    assert _count(engine, entity.id) == (301, 602)
    with Session(engine) as s:
        again = post_many(s, batch)
        s.commit()
    assert [p.entry_id for p in again] == [p.entry_id for p in posted] and not any(p.created for p in again)
    assert _count(engine, entity.id) == (301, 602)
    with Session(engine) as s:
        tb = reports.trial_balance(s, entity.id, "2031-03")
        inventory = next(line for line in tb["lines"] if line["role"] == "inventory")
        # 0.25 + 0.50 + ... + 75.00 in euros, plus 99.99 dollars at 0.8777.
        assert inventory["debit"] == f"{sum(D(n + 1) / 4 for n in range(300)) + D('87.76'):.2f}"
        assert tb["balanced"]
        assert check_books(s, entity.id).period_balances_off == 0


def test_a_bad_batch_writes_nothing_and_names_the_entry(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    assert entity.id is not None
    good = _opening(entity.id, f"{entity.code}:ok", D(10))
    lopsided = PostingRequest(
        entity_id=entity.id,
        idempotency_key=f"{entity.code}:lopsided",
        posting_date=date(2031, 3, 2),
        source_type="opening_balance",
        source_id="x",
        currency="EUR",
        lines=[LineIn("inventory", D("10.00")), LineIn("ap", D("-9.99"))],
    )
    with (
        Session(engine) as s,
        pytest.raises(RuleViolation, match=f"{entity.code}:lopsided: debits and credits"),
    ):
        post_many(s, [good, lopsided])
    with Session(engine) as s, pytest.raises(RuleViolation, match="same idempotency key twice"):
        post_many(s, [good, good])
    with Session(engine) as s:
        s.add(FiscalPeriod(entity_id=entity.id, period="2031-02", status="soft_closed"))
        s.commit()
    late = _opening(entity.id, f"{entity.code}:late", D(5), date(2031, 2, 28))
    with Session(engine) as s, pytest.raises(PeriodClosed, match="2031-02 is soft_closed"):
        post_many(s, [good, late])
    assert _count(engine, entity.id) == (0, 0)


def test_the_database_refuses_an_unbalanced_bulk_load_at_commit(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    assert entity.id is not None
    # Bypass the service with the same set-based statements: the deferred triggers still check each entry.
    with engine.connect() as c:
        accounts: dict[str, int] = dict(
            c.execute(text("SELECT role, id FROM account WHERE entity_id = :e"), {"e": entity.id}).all()
        )
    with (
        engine.connect() as c,
        pytest.raises(DBAPIError, match=r"is unbalanced in EUR: debits - credits = 0\.0100"),
    ):
        ids = c.execute(
            text(
                "INSERT INTO journal_entry (entity_id, idempotency_key, posting_date, period, memo, source_type,"
                " source_id, created_by) SELECT :e, :k || n, '2031-03-01', '2031-03', '', 'raw', n::text, 'dba'"
                " FROM generate_series(1, 50) AS n RETURNING id"
            ),
            {"e": entity.id, "k": f"{entity.code}:raw:"},
        ).scalars()
        rows = []
        for i, entry in enumerate(ids):
            cents = D("0.01") if i == 37 else D(0)
            rows += [(entry, accounts["inventory"], D(5) + cents), (entry, accounts["ap"], D(-5))]
        c.execute(
            text(
                "INSERT INTO journal_line (entry_id, entity_id, account_id, currency, amount, amount_func, fx_rate,"
                " memo, period) SELECT x, :e, a, 'EUR', v, v, 1, '', '2031-03' FROM unnest(CAST(:x AS int[]), CAST(:a AS int[]),"
                " CAST(:v AS numeric[])) AS t(x, a, v)"
            ),
            {"e": entity.id, "x": [r[0] for r in rows], "a": [r[1] for r in rows], "v": [r[2] for r in rows]},
        )
        c.commit()
    assert _count(engine, entity.id) == (0, 0)


def test_a_statement_copied_in_moves_the_period_balances_too(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    assert entity.id is not None
    with Session(engine) as s:
        entry = ledger.post(s, _opening(entity.id, f"{entity.code}:open", D(100))).entry_id
        s.commit()
    with engine.connect() as c:
        bank, ap = (
            c.execute(
                text("SELECT id FROM account WHERE entity_id = :e AND role = :r"), {"e": entity.id, "r": r}
            ).scalar_one()
            for r in ("bank", "ap")
        )
        new = c.execute(
            text(
                "INSERT INTO journal_entry (entity_id, idempotency_key, posting_date, period, memo, source_type,"
                " source_id, created_by) VALUES (:e, :k, '2031-04-03', '2031-04', '', 'bank_statement', '1', 'x')"
                " RETURNING id"
            ),
            {"e": entity.id, "k": f"{entity.code}:stmt:1"},
        ).scalar_one()
        raw = c.connection.driver_connection
        assert raw is not None
        with (
            raw.cursor() as cur,
            cur.copy(
                "COPY journal_line (entry_id, entity_id, account_id, currency, amount, amount_func, fx_rate, memo,"
                " partner_type, partner_id, period) FROM STDIN"
            ) as cp,
        ):
            cp.write_row(
                (new, entity.id, ap, "EUR", "60.00", "60.00", 1, "paid", "supplier", "S1", "2031-04")
            )
            cp.write_row((new, entity.id, bank, "EUR", "-60.00", "-60.00", 1, "paid", None, None, "2031-04"))
        c.commit()
    assert entry != new
    with Session(engine) as s:
        april = {line["role"]: line for line in reports.trial_balance(s, entity.id, "2031-04")["lines"]}
        assert (april["ap"]["opening"], april["ap"]["debit"], april["ap"]["closing"]) == (
            "-100.00",
            "60.00",
            "-40.00",
        )
        assert april["bank"]["credit"] == "60.00"
        assert check_books(s, entity.id).period_balances_off == 0


def test_the_database_holds_each_line_to_its_entry_and_refuses_a_closed_period(
    engine: Engine, factory: Factory
) -> None:
    """A DBA loading by hand: a line filed under another period than its entry's, or naming no entry, and an
    entry dated in a closed month are refused by the statement that writes them."""
    entity = factory.entity()
    assert entity.id is not None
    with engine.connect() as c:
        account = c.execute(
            text("SELECT id FROM account WHERE entity_id = :e AND role = 'inventory'"), {"e": entity.id}
        ).scalar_one()
    insert_entry = text(
        "INSERT INTO journal_entry (entity_id, idempotency_key, posting_date, period, memo, source_type,"
        " source_id, created_by) VALUES (:e, :k, :d, '', '', 'raw', '1', 'dba') RETURNING id"
    )
    insert_line = text(
        "INSERT INTO journal_line (entry_id, entity_id, account_id, currency, amount, amount_func, fx_rate, memo,"
        " period) VALUES (:x, :e, :a, 'EUR', 1, 1, 1, '', :p)"
    )
    for entry_of, period in (("own", "2031-05"), ("none", "2031-06")):
        with engine.connect() as c, pytest.raises(DBAPIError, match="there is no such entry"):
            entry = c.execute(
                insert_entry, {"e": entity.id, "k": f"{entity.code}:{entry_of}", "d": date(2031, 6, 1)}
            ).scalar_one()
            c.execute(
                insert_line,
                {"x": entry if entry_of == "own" else 0, "e": entity.id, "a": account, "p": period},
            )
    with Session(engine) as s:
        s.add(FiscalPeriod(entity_id=entity.id, period="2031-07", status="closed"))
        s.commit()
    with engine.connect() as c, pytest.raises(DBAPIError, match="period 2031-07 is closed"):
        c.execute(insert_entry, {"e": entity.id, "k": f"{entity.code}:closed", "d": date(2031, 7, 31)})
    assert _count(engine, entity.id) == (0, 0)
