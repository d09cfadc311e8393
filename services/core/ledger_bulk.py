"""Bulk posting: many balanced entries in two set-based statements (opening balances, history, imports)."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from rules.errors import RuleViolation
from rules.periods import check_posting_allowed, period_of
from services.core import fx
from services.core.accounts import resolve_account
from services.core.ledger import (
    PostedEntry,
    PostingRequest,
    balanced_amounts,
    entity_currency,
    functional_amounts,
    period_status,
)

# The batch goes to two temporary staging tables by COPY, then into the ledger in one statement: entries first
# (a key posted before is skipped), then the lines of the entries just created. The database still checks each
# entry: the period lock and the balance of every entry the statement touched (statement-level triggers over
# its transition tables, the balance at commit), append-only, the unique idempotency key.
_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS erp_bulk_entry (
  ord int, entity_id int, idempotency_key text, posting_date date, period text, memo text, source_type text,
  source_id text, reverses_entry_id int, created_by text) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS erp_bulk_line (
  ord int, idempotency_key text, entity_id int, account_id int, currency text, amount numeric,
  amount_func numeric, fx_rate numeric, memo text, partner_type text, partner_id text) ON COMMIT DROP;
TRUNCATE erp_bulk_entry, erp_bulk_line
"""
_ENTRY_COLUMNS = (
    "ord, entity_id, idempotency_key, posting_date, period, memo, source_type, source_id, reverses_entry_id,"
    " created_by"
)
_LINE_COLUMNS = (
    "ord, idempotency_key, entity_id, account_id, currency, amount, amount_func, fx_rate, memo, partner_type,"
    " partner_id"
)
_POST = """
WITH entries AS (
  INSERT INTO journal_entry (entity_id, idempotency_key, posting_date, period, memo, source_type, source_id,
                             reverses_entry_id, created_by)
  SELECT entity_id, idempotency_key, posting_date, period, memo, source_type, source_id, reverses_entry_id,
         created_by
    FROM erp_bulk_entry ORDER BY ord
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id, idempotency_key, period),
lines AS (
  INSERT INTO journal_line (entry_id, entity_id, account_id, currency, amount, amount_func, fx_rate, memo,
                            partner_type, partner_id, period)
  SELECT e.id, l.entity_id, l.account_id, l.currency, l.amount, l.amount_func, l.fx_rate, l.memo,
         l.partner_type, l.partner_id, e.period
    FROM erp_bulk_line l JOIN entries e ON e.idempotency_key = l.idempotency_key
   ORDER BY l.ord)
SELECT idempotency_key, id FROM entries
"""


class _Lookups:
    """Per-batch caches: a bulk source repeats entities, periods, accounts and rates thousands of times."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.currencies: dict[int, str] = {}
        self.statuses: dict[tuple[int, str], Any] = {}
        self.accounts: dict[int, dict[str, int]] = {}
        self.resolved: dict[tuple[int, str], int] = {}
        self.rates: dict[tuple[str, str, date], Decimal] = {}

    def currency(self, entity_id: int) -> str:
        if entity_id not in self.currencies:
            self.currencies[entity_id] = entity_currency(self.session, entity_id)
        return self.currencies[entity_id]

    def check_period(self, req: PostingRequest, period: str) -> None:
        key = (req.entity_id, period)
        if key not in self.statuses:
            self.statuses[key] = period_status(self.session, req.entity_id, period)
        check_posting_allowed(period, self.statuses[key], req.actor_is_closer)

    def account(self, entity_id: int, role_or_code: str) -> int:
        key = (entity_id, role_or_code)
        if key not in self.resolved:
            cache = self.accounts.setdefault(entity_id, {})
            self.resolved[key] = resolve_account(self.session, entity_id, role_or_code, cache)
        return self.resolved[key]

    def rate(self, from_currency: str, to_currency: str, on: date) -> Decimal:
        key = (from_currency, to_currency, on)
        if key not in self.rates:
            self.rates[key] = fx.rate(self.session, from_currency, to_currency, on)
        return self.rates[key]


def _copy(session: Session, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
    """Stream rows into a staging table with COPY (the driver formats them in C)."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _rows(
    session: Session, requests: Sequence[PostingRequest]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Check every request as `ledger.post` does and turn the batch into staging rows (heads, lines)."""
    look = _Lookups(session)
    heads: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    for n, req in enumerate(requests):
        amounts = balanced_amounts(req, f"{req.idempotency_key}: ")
        period = period_of(req.posting_date)
        look.check_period(req, period)
        func_currency = look.currency(req.entity_id)
        rate = req.fx_rate or look.rate(req.currency, func_currency, req.posting_date)
        # At rate 1 in the functional currency the amounts are already its rounded functional amounts.
        same = rate == 1 and req.currency == func_currency
        funcs = amounts if same else functional_amounts(amounts, rate, func_currency)
        key = req.idempotency_key
        heads.append(
            (n, req.entity_id, key, req.posting_date, period, req.memo, req.source_type, req.source_id,
             req.reverses_entry_id, req.actor)
        )  # fmt: skip
        for line, amount, func in zip(req.lines, amounts, funcs, strict=True):
            if amount or func:
                account = look.account(req.entity_id, line.account)
                lines.append(
                    (len(lines), key, req.entity_id, account, req.currency, amount, func, rate, line.memo,
                     line.partner_type, line.partner_id)
                )  # fmt: skip
    return heads, lines


def post_many(session: Session, requests: Sequence[PostingRequest]) -> list[PostedEntry]:
    """Post every request once per idempotency key with set-based inserts, inside the caller's transaction.

    Checks what `ledger.post` checks (two lines, balanced, period open for the actor) before writing
    anything; a key posted before is handed back with `created=False`, as `ledger.post` does.
    """
    keys = [r.idempotency_key for r in requests]
    if len(set(keys)) != len(keys):
        raise RuleViolation("idempotency_key", "a batch names the same idempotency key twice")
    heads, lines = _rows(session, requests)
    if not heads:
        return []
    conn = session.connection()
    conn.execute(text(_STAGE))
    _copy(session, "erp_bulk_entry", _ENTRY_COLUMNS, heads)
    _copy(session, "erp_bulk_line", _LINE_COLUMNS, lines)
    created = {str(k): int(i) for k, i in conn.execute(text(_POST)).all()}
    before = [k for k in keys if k not in created]
    found: dict[str, int] = {}
    if before:
        rows = conn.execute(
            text(
                "SELECT idempotency_key, id FROM journal_entry WHERE idempotency_key = ANY(CAST(:k AS text[]))"
            ),
            {"k": before},
        ).all()
        found = {str(k): int(i) for k, i in rows}
    return [
        PostedEntry(created[k], created=True) if k in created else PostedEntry(found[k], created=False)
        for k in keys
    ]
