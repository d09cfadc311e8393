"""A controller's three months with sales, dollar purchases, a reversal and a bulk import: the trial
balance and the close's control totals, now read from period balances kept as lines post, are exactly
what grouping the journal lines gives (the queries the close ran before), period by period."""

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from services.close import reconciliation, reports
from services.core import ledger
from services.core.invariants import check_books
from services.core.ledger import LineIn, PostingRequest
from services.core.ledger_bulk import post_many
from tests.factories import Factory

PERIODS = ("2031-07", "2031-08", "2031-09", "2031-10", "2031-11")
PERIOD_ENDS = (
    date(2031, 7, 31),
    date(2031, 8, 31),
    date(2031, 9, 30),
    date(2031, 10, 31),
    date(2031, 11, 30),
)

# The trial balance as it was computed before period balances: one pass over the journal lines.
_TB_FROM_LINES = """
WITH m AS (
  SELECT l.account_id,
         COALESCE(sum(l.amount_func) FILTER (WHERE e.period < :p), 0) AS opening,
         COALESCE(sum(l.amount_func) FILTER (WHERE e.period = :p AND l.amount_func > 0), 0) AS debits,
         COALESCE(-sum(l.amount_func) FILTER (WHERE e.period = :p AND l.amount_func < 0), 0) AS credits,
         COALESCE(sum(l.amount_func) FILTER (WHERE e.period = :p), 0) AS movement,
         sum(l.amount_func) AS closing
    FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
   WHERE l.entity_id = :e AND e.entity_id = :e AND e.period <= :p
   GROUP BY l.account_id)
SELECT a.code, a.name, a.type, a.role, m.opening, m.debits, m.credits, m.movement, m.closing
  FROM m JOIN account a ON a.id = m.account_id
 ORDER BY a.code
"""


def _req(entity_id: int, key: str, day: date, lines: list[LineIn], **kw: Any) -> PostingRequest:
    return PostingRequest(
        entity_id=entity_id,
        idempotency_key=key,
        posting_date=day,
        source_type="test",
        source_id=key,
        currency=kw.pop("currency", "EUR"),
        lines=lines,
        **kw,
    )


def _three_months(engine: Engine, entity_id: int, code: str) -> None:
    """Sales with and without a customer, USD purchases at an odd rate, a reversal a month later, a bulk load."""
    with Session(engine) as s:
        for n, day in enumerate((date(2031, 8, 3), date(2031, 8, 30), date(2031, 9, 12), date(2031, 10, 1))):
            ledger.post(
                s,
                _req(
                    entity_id,
                    f"{code}:sale:{n}",
                    day,
                    [
                        LineIn("ar", D("119.00"), partner_type="customer", partner_id=f"C{n}"),
                        LineIn("revenue", D("-100.00")),
                        LineIn("sales_tax_payable", D("-19.00")),
                    ],
                ),
            )
        # A cash sale booked to AR without naming the customer: the AR reconciliation must see it.
        ledger.post(
            s,
            _req(
                entity_id,
                f"{code}:untagged",
                date(2031, 9, 5),
                [LineIn("ar", D(7)), LineIn("revenue", D(-7))],
            ),
        )
        purchase = ledger.post(
            s,
            _req(
                entity_id,
                f"{code}:usd-buy",
                date(2031, 8, 15),
                [
                    LineIn("inventory", D("333.33")),
                    LineIn("inventory", D("0.01")),
                    LineIn("ap", D("-333.34"), partner_type="supplier", partner_id="S1"),
                ],
                currency="USD",
                fx_rate=D("0.9137"),
            ),
        )
        ledger.reverse(
            s,
            purchase.entry_id,
            idempotency_key=f"{code}:usd-buy:undo",
            posting_date=date(2031, 9, 2),
            actor="t",
        )
        # The first customer pays in October: AR and bank both move both ways within the month.
        ledger.post(
            s,
            _req(
                entity_id,
                f"{code}:receipt",
                date(2031, 10, 20),
                [
                    LineIn("bank", D("119.00")),
                    LineIn("ar", D("-119.00"), partner_type="customer", partner_id="C0"),
                ],
            ),
        )
        post_many(
            s,
            [
                _req(
                    entity_id,
                    f"{code}:import:{n}",
                    date(2031, 10, 1 + n % 28),
                    [
                        LineIn("ap", D(n + 1), partner_type="supplier", partner_id=f"S{n % 3}"),
                        LineIn("bank", D(-(n + 1))),
                    ],
                    currency="USD" if n % 2 else "EUR",
                    fx_rate=D("0.9") if n % 2 else None,
                )
                for n in range(40)
            ],
        )
        s.commit()


def test_trial_balance_and_control_totals_equal_the_journal_lines_every_period(
    engine: Engine, api: TestClient, factory: Factory
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    _three_months(engine, entity.id, entity.code)
    _, token = factory.user("controller", entities=(entity,))
    with Session(engine) as s:
        for period, end in zip(PERIODS, PERIOD_ENDS, strict=True):
            old = s.connection().execute(text(_TB_FROM_LINES), {"e": entity.id, "p": period}).all()
            assert [tuple(r) for r in reports._rows(s, entity.id, period)] == [tuple(r) for r in old]
            # What the controller downloads is the old figures, to the cent.
            shown = api.get(
                "/reports/trial-balance",
                params={"entity_id": entity.id, "period": period},
                headers={"Authorization": f"Bearer {token}"},
            ).json()
            assert shown == reports._trial_balance_of(entity.id, entity.code, "EUR", period, list(old))
            params = {"e": entity.id, "d": end, "p": period}
            by_lines = s.connection().execute(text(reconciliation._TOTALS), params).one()
            by_balances = s.connection().execute(text(reconciliation._TOTALS_AT_PERIOD_END), params).one()
            assert tuple(by_balances) == tuple(by_lines)
        october = reports.trial_balance(s, entity.id, "2031-10")
        assert october["balanced"] and october["total_debit"] == october["total_credit"] != "0.00"
        # These entries were posted straight through the ledger, so no open item records them: the whole AR
        # control at the period end (read from the balances) is the difference the close routes to the controller.
        september = {"e": entity.id, "d": date(2031, 9, 30), "p": "2031-09"}
        control = (
            s.connection().execute(text(reconciliation._TOTALS_AT_PERIOD_END), september).one().ar_control
        )
        ar = reconciliation.ar_vs_control(s, entity.id, date(2031, 9, 30), "EUR")
        assert ar is not None and ar.difference.subledger == 0 and ar.difference.control == D(control) != 0
        assert check_books(s, entity.id).period_balances_off == 0


def test_period_balances_cannot_be_written_by_the_app_and_drift_is_caught(
    engine: Engine, owner_engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    _three_months(engine, entity.id, entity.code)
    with engine.connect() as c, pytest.raises(DBAPIError, match="permission denied"):
        c.execute(
            text("UPDATE ledger_period_balance SET amount_func = 0 WHERE entity_id = :e"), {"e": entity.id}
        )
    # Only someone bypassing the app can make them drift, and the books check names it.
    with owner_engine.connect() as c:
        c.execute(
            text(
                "UPDATE ledger_period_balance SET amount_func = amount_func + 1"
                " WHERE entity_id = :e AND period = '2031-09' AND NOT partnered"
            ),
            {"e": entity.id},
        )
        with Session(bind=c) as s:
            assert check_books(s, entity.id).period_balances_off >= 1
        c.rollback()
    with Session(engine) as s:
        assert check_books(s, entity.id).period_balances_off == 0
