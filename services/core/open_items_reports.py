"""Reading open items: the list of what is open as of a date, the aging report, and the control totals."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlmodel import Session

from rules.aging import OpenAmount, age


class OpenAsOf(NamedTuple):
    """An open item as of a date: the document and what of it is still open (signed like the ledger)."""

    id: int
    entity_id: int
    side: str
    partner_type: str
    partner_id: str
    counterparty: str
    document_type: str
    document_ref: str
    document_date: date
    due_date: date
    currency: str
    amount: Decimal
    amount_func: Decimal
    journal_entry_id: int
    open: Decimal


# Items written by the date, less the allocations made by then (signed like the ledger: debit > 0).
_OPEN_AS_OF = """
SELECT i.id, i.entity_id, i.side, i.partner_type, i.partner_id, i.counterparty, i.document_type, i.document_ref,
       i.document_date, i.due_date, i.currency, i.amount, i.amount_func, i.journal_entry_id,
       i.amount
       - COALESCE((SELECT sum(a.amount) FROM open_item_allocation a
                    WHERE a.debit_item_id = i.id AND a.allocated_on <= :d), 0)
       + COALESCE((SELECT sum(a.amount) FROM open_item_allocation a
                    WHERE a.credit_item_id = i.id AND a.allocated_on <= :d), 0) AS open
  FROM open_item i
 WHERE i.entity_id = ANY(:es) AND i.side = :side AND i.document_date <= :d
   AND (CAST(:cp AS text) IS NULL OR i.counterparty = :cp)
"""


def _owed(side: str, amount: Decimal) -> Decimal:
    """Shown as what is owed: receivables as they are, payables turned positive (they are credits)."""
    return amount if side == "ar" else -amount


def _open_as_of(
    session: Session,
    entity_ids: Sequence[int],
    side: str,
    as_of: date,
    counterparty: str | None,
    *,
    limit: int | None,
) -> list[OpenAsOf]:
    """The items with an open amount on `as_of`, oldest due first (all of them when `limit` is None)."""
    rows = session.connection().execute(
        text(f"SELECT * FROM ({_OPEN_AS_OF}) o WHERE o.open <> 0 ORDER BY o.due_date, o.id LIMIT :lim"),
        {"es": list(entity_ids), "side": side, "d": as_of, "cp": counterparty, "lim": limit},
    )
    return [OpenAsOf(*r) for r in rows]


def open_items(
    session: Session,
    entity_ids: Sequence[int],
    side: str,
    as_of: date,
    counterparty: str | None = None,
    *,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Documents with an open amount on `as_of`, oldest due first."""
    return [
        {
            "id": r.id,
            "entity_id": r.entity_id,
            "counterparty": r.counterparty,
            "partner": f"{r.partner_type}:{r.partner_id}",
            "document_type": r.document_type,
            "document_ref": r.document_ref,
            "document_date": r.document_date,
            "due_date": r.due_date,
            "currency": r.currency,
            "amount": _owed(side, Decimal(r.amount)),
            "open": _owed(side, Decimal(r.open)),
            "journal_entry_id": r.journal_entry_id,
        }
        for r in _open_as_of(session, entity_ids, side, as_of, counterparty, limit=limit)
    ]


def aging(session: Session, entity_ids: Sequence[int], side: str, as_of: date) -> list[dict[str, Any]]:
    """Open amounts per entity, counterparty and currency in the aging buckets (by due date)."""
    amounts = (
        OpenAmount(r.entity_id, r.counterparty, r.currency, r.due_date, _owed(side, r.open))
        for r in _open_as_of(session, entity_ids, side, as_of, None, limit=None)
    )
    return [
        {
            "entity_id": row.entity_id,
            "counterparty": row.counterparty,
            "currency": row.currency,
            **row.buckets,
            "total": row.total,
        }
        for row in age(amounts, as_of)
    ]


def subledger_total(session: Session, entity_id: int, side: str, as_of: date) -> Decimal:
    """The open items of an entity in its functional currency, as the control account should show them.

    Allocations net to zero within a partner, so the open total is the items' total; FX revaluation entries
    restate the functional value of what is open, so their lines on the control account count here too."""
    return Decimal(
        session.connection()
        .execute(
            text(
                """
            SELECT (SELECT COALESCE(sum(amount_func), 0) FROM open_item
                     WHERE entity_id = :e AND side = :side AND document_date <= :d)
                 + (SELECT COALESCE(sum(l.amount_func), 0)
                      FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
                     WHERE l.entity_id = :e AND a.role = :side AND e.posting_date <= :d
                       AND e.source_type = 'fx_revaluation')
            """
            ),
            {"e": entity_id, "side": side, "d": as_of},
        )
        .scalar_one()
    )


def unrecorded_postings(session: Session, entity_id: int, side: str, as_of: date, limit: int) -> list[Any]:
    """Entries on the control account that no open item records (what makes the two differ)."""
    return list(
        session.connection()
        .execute(
            text(
                """
            SELECT e.source_type, e.source_id, 0 AS subledger, sum(l.amount_func) AS control,
                   array_agg(DISTINCT e.id ORDER BY e.id) AS entries
              FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
             WHERE l.entity_id = :e AND a.role = :side AND e.posting_date <= :d AND e.source_type <> 'fx_revaluation'
               AND NOT EXISTS (SELECT 1 FROM open_item i WHERE i.journal_entry_id = e.id AND i.side = :side)
             GROUP BY e.source_type, e.source_id HAVING sum(l.amount_func) <> 0
             ORDER BY abs(sum(l.amount_func)) DESC, 1, 2
             LIMIT :lim
            """
            ),
            {"e": entity_id, "side": side, "d": as_of, "lim": limit},
        )
        .all()
    )


def control_total(session: Session, entity_id: int, side: str, as_of: date) -> Decimal:
    """The AP or AR control account's balance in the entity's currency (debit > 0)."""
    return Decimal(
        session.connection()
        .execute(
            text(
                """
            SELECT COALESCE(sum(l.amount_func), 0)
              FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
             WHERE l.entity_id = :e AND a.role = :side AND e.posting_date <= :d
            """
            ),
            {"e": entity_id, "side": side, "d": as_of},
        )
        .scalar_one()
    )


def reconciliation(session: Session, entity_id: int, as_of: date) -> list[dict[str, Any]]:
    """Per side: open items, control account and difference (payables positive), with unrecorded entries."""
    out: list[dict[str, Any]] = []
    for side in ("ap", "ar"):
        sign = Decimal(-1) if side == "ap" else Decimal(1)
        sub = sign * subledger_total(session, entity_id, side, as_of)
        control = sign * control_total(session, entity_id, side, as_of)
        unrecorded = [
            {
                "source_type": r.source_type,
                "source_id": r.source_id,
                "control": str(sign * Decimal(r.control)),
                "journal_entries": list(r.entries or []),
            }
            for r in unrecorded_postings(session, entity_id, side, as_of, 50)
        ]
        out.append(
            {
                "side": side,
                "open_items": sub,
                "control": control,
                "difference": sub - control,
                "unrecorded": unrecorded,
            }
        )
    return out
