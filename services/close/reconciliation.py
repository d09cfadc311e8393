"""Subledger-vs-control reconciliations at period end (SQL figures, compared by rules.close_checks)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from rules.close_checks import ReconciliationDifference, reconcile
from rules.money import quantize
from services.core import open_items_reports

STOCK = "stock_vs_inventory_gl"
AP = "ap_subledger_vs_control"
AR = "ar_subledger_vs_control"
_MAX_DOCUMENTS = 50

# Per source document: the stock ledger's value vs what the same document put on the inventory account.
_STOCK_DOCS = """
WITH s AS (
  SELECT source_type, source_id, sum(value) AS stock FROM stock_move
   WHERE entity_id = :e AND posting_date <= :d GROUP BY source_type, source_id),
g AS (
  SELECT e.source_type, e.source_id, sum(l.amount_func) AS gl, array_agg(DISTINCT e.id ORDER BY e.id) AS entries
    FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
   WHERE l.entity_id = :e AND a.role = 'inventory' AND e.posting_date <= :d
   GROUP BY e.source_type, e.source_id)
SELECT COALESCE(s.source_type, g.source_type) AS source_type, COALESCE(s.source_id, g.source_id) AS source_id,
       COALESCE(s.stock, 0) AS subledger, COALESCE(g.gl, 0) AS control, g.entries
  FROM s FULL JOIN g ON g.source_type = s.source_type AND g.source_id = s.source_id
 WHERE COALESCE(s.stock, 0) <> COALESCE(g.gl, 0)
 ORDER BY abs(COALESCE(s.stock, 0) - COALESCE(g.gl, 0)) DESC, 1, 2
 LIMIT :lim
"""

# Every control figure in one pass over the ledger (the AP/AR subledgers are the open items, read apart).
_TOTALS = """
SELECT (SELECT COALESCE(sum(value), 0) FROM stock_move WHERE entity_id = :e AND posting_date <= :d) AS stock,
       COALESCE(sum(l.amount_func) FILTER (WHERE a.role = 'inventory'), 0) AS inventory_gl,
       COALESCE(sum(l.amount_func) FILTER (WHERE a.role = 'ap'), 0) AS ap_control,
       COALESCE(sum(l.amount_func) FILTER (WHERE a.role = 'ar'), 0) AS ar_control
  FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
 WHERE l.entity_id = :e AND e.entity_id = :e AND e.posting_date <= :d AND a.role IN ('inventory', 'ap', 'ar')
"""

# The same control figures at a period end, from the period balances instead of the lines.
_TOTALS_AT_PERIOD_END = """
SELECT (SELECT COALESCE(sum(value), 0) FROM stock_move WHERE entity_id = :e AND posting_date <= :d) AS stock,
       COALESCE(sum(b.amount_func) FILTER (WHERE a.role = 'inventory'), 0) AS inventory_gl,
       COALESCE(sum(b.amount_func) FILTER (WHERE a.role = 'ap'), 0) AS ap_control,
       COALESCE(sum(b.amount_func) FILTER (WHERE a.role = 'ar'), 0) AS ar_control
  FROM ledger_period_balance b JOIN account a ON a.id = b.account_id
 WHERE b.entity_id = :e AND b.period <= :p AND a.role IN ('inventory', 'ap', 'ar')
"""


@dataclass(frozen=True, slots=True)
class Finding:
    """A reconciliation difference with the documents that explain it."""

    difference: ReconciliationDifference
    documents: list[dict[str, Any]]


def _documents(rows: Any, sign: Decimal | None = None) -> list[dict[str, Any]]:
    """Each document's two sides as text; with a sign, an entry no open item records: its control side in the
    account's natural sign is the whole difference."""
    return [_document(r, sign) for r in rows]


def _document(r: Any, sign: Decimal | None) -> dict[str, Any]:
    """One document's source, both sides, their difference and its journal entries."""
    subledger, control = Decimal(r.subledger), Decimal(r.control)
    shown = control if sign is None else sign * Decimal(f"{control:.2f}")
    difference = subledger - control if sign is None else -shown
    return {
        "source_type": r.source_type,
        "source_id": r.source_id,
        "subledger": f"{subledger:.2f}",
        "control": f"{shown:.2f}",
        "difference": f"{difference:.2f}",
        "journal_entries": list(r.entries or []),
    }


def _totals(session: Session, entity_id: int, as_of: date) -> Any:
    params = {"e": entity_id, "d": as_of, "p": f"{as_of:%Y-%m}"}
    # A period end (what the close asks for) is a whole number of periods: read the balances.
    at_period_end = (as_of + timedelta(days=1)).day == 1
    return (
        session.connection().execute(text(_TOTALS_AT_PERIOD_END if at_period_end else _TOTALS), params).one()
    )


def stock_vs_gl(
    session: Session, entity_id: int, as_of: date, currency: str, totals: Any = None
) -> Finding | None:
    """Stock ledger value vs the inventory GL account; documents are those whose two sides differ."""
    t = totals or _totals(session, entity_id, as_of)
    diff = reconcile(STOCK, quantize(Decimal(t.stock), currency), quantize(Decimal(t.inventory_gl), currency))
    if diff is None:
        return None
    rows = session.connection().execute(
        text(_STOCK_DOCS), {"e": entity_id, "d": as_of, "lim": _MAX_DOCUMENTS}
    )
    return Finding(diff, _documents(rows.all()))


def _open_items_check(
    session: Session, name: str, role: str, entity_id: int, as_of: date, currency: str, totals: Any
) -> Finding | None:
    """Open items (documents less allocations) vs the control account; documents are the unrecorded entries."""
    t = totals or _totals(session, entity_id, as_of)
    control = t.ap_control if role == "ap" else t.ar_control
    subledger = open_items_reports.subledger_total(session, entity_id, role, as_of)
    # Subledgers are shown with the control account's natural sign (payables positive).
    sign = Decimal(-1) if role == "ap" else Decimal(1)
    diff = reconcile(
        name, quantize(sign * Decimal(subledger), currency), quantize(sign * Decimal(control), currency)
    )
    if diff is None:
        return None
    unrecorded = open_items_reports.unrecorded_postings(session, entity_id, role, as_of, _MAX_DOCUMENTS)
    return Finding(diff, _documents(unrecorded, sign))


def ap_vs_control(
    session: Session, entity_id: int, as_of: date, currency: str, totals: Any = None
) -> Finding | None:
    """AP open items (supplier invoices, debit notes, payments) vs the AP control account."""
    return _open_items_check(session, AP, "ap", entity_id, as_of, currency, totals)


def ar_vs_control(
    session: Session, entity_id: int, as_of: date, currency: str, totals: Any = None
) -> Finding | None:
    """AR open items (shipments, captures, credit notes, refunds, settlements) vs the AR control account."""
    return _open_items_check(session, AR, "ar", entity_id, as_of, currency, totals)


def all_checks(session: Session, entity_id: int, as_of: date, currency: str) -> list[Finding]:
    """Every reconciliation that found a difference, in checklist order (one pass for all the totals)."""
    totals = _totals(session, entity_id, as_of)
    found = (
        stock_vs_gl(session, entity_id, as_of, currency, totals),
        ap_vs_control(session, entity_id, as_of, currency, totals),
        ar_vs_control(session, entity_id, as_of, currency, totals),
    )
    return [f for f in found if f is not None]
