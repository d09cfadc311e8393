"""A controller's desk for manual journal scenarios: an entity, two controllers and an AP clerk."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, text

from models.master import Entity
from tests.factories import Factory


@dataclass
class Desk:
    """The entity and the bearer tokens of its finance people."""

    entity: Entity
    maker: tuple[str, str]  # (username, token) of the controller who keys journals
    checker: tuple[str, str]  # another controller
    clerk: tuple[str, str]

    @property
    def entity_id(self) -> int:
        """The entity's id."""
        assert self.entity.id is not None
        return self.entity.id


def open_desk(factory: Factory, currency: str = "EUR") -> Desk:
    """An entity with two controllers and an AP clerk."""
    entity = factory.entity(currency)
    people = [factory.user(role, entities=(entity,)) for role in ("controller", "controller", "ap_clerk")]
    maker, checker, clerk = ((u.username, token) for u, token in people)
    return Desk(entity, maker, checker, clerk)


def bearer(token: str, key: str | None = None) -> dict[str, str]:
    """Authorization (and an Idempotency-Key when given) headers."""
    headers = {"Authorization": f"Bearer {token}"}
    return headers if key is None else {**headers, "Idempotency-Key": key}


def rent(entity_id: int, posting_date: date, amount: str = "1500.00", **extra: Any) -> dict[str, Any]:
    """A rent accrual: accrued expenses (6200) against accrued liabilities (2150)."""
    return {
        "entity_id": entity_id,
        "posting_date": posting_date.isoformat(),
        "memo": "rent accrual, store Berlin",
        "lines": [
            {"account": "6200", "debit": amount, "memo": "rent"},
            {"account": "2150", "credit": amount},
        ],
        **extra,
    }


def rows(engine: Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Query rows as dicts."""
    with engine.connect() as c:
        return [dict(r) for r in c.execute(text(sql), params).mappings()]


def close_period(engine: Engine, entity_id: int, period: str) -> None:
    """Lock a period of the entity (as a finished close would)."""
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO fiscal_period (entity_id, period, status, changed_by) VALUES (:e, :p, 'closed', 'test')"
                " ON CONFLICT (entity_id, period) DO UPDATE SET status = 'closed'"
            ),
            {"e": entity_id, "p": period},
        )


def entries(engine: Engine, number: str) -> list[dict[str, Any]]:
    """The ledger entries a journal posted, with their lines by account code."""
    return rows(
        engine,
        "SELECT e.id, e.posting_date, e.reverses_entry_id, e.created_by,"
        " json_object_agg(a.code, CAST(l.amount AS text) ORDER BY a.code) AS lines"
        " FROM journal_entry e JOIN journal_line l ON l.entry_id = e.id JOIN account a ON a.id = l.account_id"
        " WHERE e.source_type = 'manual_journal' AND e.source_id = :n GROUP BY e.id ORDER BY e.id",
        n=number,
    )


def audit_actions(engine: Engine, number: str) -> list[tuple[str, str]]:
    """The audit trail of a journal: (action, actor) in order."""
    found = rows(
        engine,
        "SELECT action, actor FROM audit_event WHERE subject_type = 'manual_journal' AND subject_id = :n ORDER BY id",
        n=number,
    )
    return [(r["action"], r["actor"]) for r in found]
