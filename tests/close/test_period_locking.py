"""Cut-off and lock: once October is soft-closed only closers post into it; once hard-closed nobody does,
and the refusal names the period — from the posting service and from the database itself."""

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from rules.periods import PeriodClosed, PeriodStatus
from services.close import runs as close_runs
from services.core import ledger
from services.core.ledger import LineIn, PostingRequest
from tests.factories import Factory


def _sale(
    entity_id: int, key: str, *, closer: bool = False, day: date = date(2031, 10, 31)
) -> PostingRequest:
    return PostingRequest(
        entity_id=entity_id,
        idempotency_key=key,
        posting_date=day,
        source_type="test",
        source_id=key,
        currency="EUR",
        lines=[LineIn("ar", D("50.00")), LineIn("revenue", D("-50.00"))],
        actor="someone",
        actor_is_closer=closer,
    )


def _set(engine: Engine, entity_id: int, code: str, status: PeriodStatus) -> PeriodStatus:
    with Session(engine) as s:
        now = close_runs.set_period_status(s, entity_id, code, "2031-10", status, "close")
        s.commit()
    return now


def test_a_soft_closed_period_takes_postings_from_closers_only(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    assert entity.id is not None
    assert _set(engine, entity.id, entity.code, PeriodStatus.SOFT_CLOSED) == PeriodStatus.SOFT_CLOSED
    with Session(engine) as s, pytest.raises(PeriodClosed) as refused:
        ledger.post(s, _sale(entity.id, f"{entity.code}:late-sale"))
    assert str(refused.value) == "posting_date: period 2031-10 is soft_closed; post in an open period"
    with Session(engine) as s:
        assert ledger.post(s, _sale(entity.id, f"{entity.code}:adjustment", closer=True)).created
        s.commit()


def test_a_hard_closed_period_refuses_everyone_naming_the_period(
    engine: Engine, owner_engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    _set(engine, entity.id, entity.code, PeriodStatus.SOFT_CLOSED)
    assert _set(engine, entity.id, entity.code, PeriodStatus.CLOSED) == PeriodStatus.CLOSED
    # Closing is forward-only: a stale soft close does not reopen the period.
    assert _set(engine, entity.id, entity.code, PeriodStatus.SOFT_CLOSED) == PeriodStatus.CLOSED
    with Session(engine) as s, pytest.raises(PeriodClosed, match="period 2031-10 is closed"):
        ledger.post(s, _sale(entity.id, f"{entity.code}:closer-too-late", closer=True))
    # Bypassing the service does not help: the database trigger refuses it too.
    with owner_engine.connect() as c, pytest.raises(DBAPIError, match="period 2031-10 is closed"):
        c.execute(
            text(
                "INSERT INTO journal_entry (entity_id, idempotency_key, posting_date, period, memo, source_type,"
                " source_id, created_by) VALUES (:e, :k, '2031-10-15', '2031-10', '', 'raw', 'x', 'dba')"
            ),
            {"e": entity.id, "k": f"{entity.code}:raw"},
        )
    with Session(engine) as s:
        assert ledger.post(s, _sale(entity.id, f"{entity.code}:november", day=date(2031, 11, 1))).created
        s.commit()
    with engine.connect() as c:
        audit = (
            c.execute(
                text("SELECT action FROM audit_event WHERE subject_id = :s ORDER BY id"),
                {"s": f"{entity.code}-2031-10"},
            )
            .scalars()
            .all()
        )
    assert audit == ["period.soft_closed", "period.closed"]
