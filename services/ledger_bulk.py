"""Bulk posting: many balanced entries in two set-based statements (opening balances, history, imports)."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from rules.errors import RuleViolation
from rules.money import quantize
from rules.periods import check_posting_allowed, period_of
from services import fx
from services.accounts import resolve_account
from services.ledger import PostedEntry, PostingRequest, entity_currency, functional_amounts, period_status

# The database still checks each entry: period lock (BEFORE INSERT trigger), balance per entry and
# currency (deferred constraint triggers at commit), append-only, the unique idempotency key.
_ENTRIES = """
INSERT INTO journal_entry (entity_id, idempotency_key, posting_date, period, memo, source_type, source_id,
                           reverses_entry_id, created_by)
SELECT * FROM unnest(CAST(:entity AS int[]), CAST(:key AS text[]), CAST(:pdate AS date[]),
                     CAST(:period AS text[]), CAST(:memo AS text[]), CAST(:stype AS text[]),
                     CAST(:sid AS text[]), CAST(:rev AS int[]), CAST(:actor AS text[]))
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id, idempotency_key
"""
_LINES = """
INSERT INTO journal_line (entry_id, entity_id, account_id, currency, amount, amount_func, fx_rate, memo,
                          partner_type, partner_id)
SELECT * FROM unnest(CAST(:entry AS int[]), CAST(:entity AS int[]), CAST(:account AS int[]),
                     CAST(:currency AS text[]), CAST(:amount AS numeric[]), CAST(:func AS numeric[]),
                     CAST(:rate AS numeric[]), CAST(:memo AS text[]), CAST(:ptype AS text[]),
                     CAST(:pid AS text[]))
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


def _columns(rows: Sequence[Sequence[Any]], names: Sequence[str]) -> dict[str, list[Any]]:
    """Rows to one list per column: the arrays unnest() turns back into rows in one statement."""
    return {name: [r[i] for r in rows] for i, name in enumerate(names)}


def post_many(session: Session, requests: Sequence[PostingRequest]) -> list[PostedEntry]:
    """Post every request once per idempotency key with set-based inserts, inside the caller's transaction.

    Checks what `ledger.post` checks (two lines, balanced, period open for the actor) before writing
    anything; a key posted before is handed back with `created=False`, as `ledger.post` does.
    """
    keys = [r.idempotency_key for r in requests]
    if len(set(keys)) != len(keys):
        raise RuleViolation("idempotency_key", "a batch names the same idempotency key twice")
    look = _Lookups(session)
    heads: list[tuple[Any, ...]] = []
    drafts: list[tuple[PostingRequest, list[Decimal], list[Decimal], Decimal]] = []
    for req in requests:
        if len(req.lines) < 2:
            raise RuleViolation("lines", f"{req.idempotency_key}: a journal entry needs at least two lines")
        amounts = [quantize(line.amount, req.currency) for line in req.lines]
        if sum(amounts, Decimal(0)) != 0:
            raise RuleViolation(
                "lines",
                f"{req.idempotency_key}: debits and credits differ by {sum(amounts, Decimal(0))} {req.currency}",
            )
        period = period_of(req.posting_date)
        look.check_period(req, period)
        func_currency = look.currency(req.entity_id)
        rate = req.fx_rate or look.rate(req.currency, func_currency, req.posting_date)
        drafts.append((req, amounts, functional_amounts(amounts, rate, func_currency), rate))
        heads.append(
            (
                req.entity_id,
                req.idempotency_key,
                req.posting_date,
                period,
                req.memo,
                req.source_type,
                req.source_id,
                req.reverses_entry_id,
                req.actor,
            )
        )
    if not heads:
        return []
    conn = session.connection()
    names = ("entity", "key", "pdate", "period", "memo", "stype", "sid", "rev", "actor")
    created = {str(k): int(i) for i, k in conn.execute(text(_ENTRIES), _columns(heads, names)).all()}
    lines: list[tuple[Any, ...]] = []
    for req, amounts, funcs, rate in drafts:
        entry_id = created.get(req.idempotency_key)
        if entry_id is None:
            continue
        for line, amount, func in zip(req.lines, amounts, funcs, strict=True):
            if amount or func:
                account = look.account(req.entity_id, line.account)
                row = (entry_id, req.entity_id, account, req.currency, amount, func, rate, line.memo)
                lines.append((*row, line.partner_type, line.partner_id))
    if lines:
        cols = ("entry", "entity", "account", "currency", "amount", "func", "rate", "memo", "ptype", "pid")
        conn.execute(text(_LINES), _columns(lines, cols))
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
