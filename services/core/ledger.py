"""The one posting service: balanced, idempotent by business key, never into a closed period."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import insert, select, text
from sqlmodel import Session, col

from models.ledger import JournalEntry, JournalLine
from rules.errors import RuleViolation
from rules.money import quantize
from rules.periods import PeriodStatus, check_posting_allowed, period_of
from services.core import fx
from services.core.accounts import resolve_account
from services.core.errors import NotFound


@dataclass(frozen=True, slots=True)
class LineIn:
    """A signed posting line (debit > 0, credit < 0) against an account role or code."""

    account: str
    amount: Decimal
    memo: str = ""
    partner_type: str | None = None
    partner_id: str | None = None


@dataclass(frozen=True, slots=True)
class PostingRequest:
    """Everything needed to post one journal entry exactly once."""

    entity_id: int
    idempotency_key: str
    posting_date: date
    source_type: str
    source_id: str
    currency: str
    lines: Sequence[LineIn]
    memo: str = ""
    fx_rate: Decimal | None = None
    actor: str = "system"
    actor_is_closer: bool = False
    reverses_entry_id: int | None = None


@dataclass(frozen=True, slots=True)
class PostedEntry:
    """The entry a posting produced; `created` is False when the key had already been posted."""

    entry_id: int
    created: bool
    lines: tuple[tuple[str, Decimal, Decimal], ...] = field(default=())


def entity_currency(session: Session, entity_id: int) -> str:
    """The functional currency of an entity."""
    row = (
        session.connection()
        .execute(text("SELECT currency FROM entity WHERE id = :e"), {"e": entity_id})
        .first()
    )
    if row is None:
        raise NotFound("entity_id", f"entity {entity_id} does not exist")
    return str(row[0])


def period_status(session: Session, entity_id: int, period: str) -> PeriodStatus:
    """The status of an entity's period; a period never opened explicitly is open."""
    row = (
        session.connection()
        .execute(
            text("SELECT status FROM fiscal_period WHERE entity_id = :e AND period = :p"),
            {"e": entity_id, "p": period},
        )
        .first()
    )
    return PeriodStatus(row[0]) if row else PeriodStatus.OPEN


def _existing(session: Session, key: str) -> int | None:
    row = (
        session.connection()
        .execute(text("SELECT id FROM journal_entry WHERE idempotency_key = :k"), {"k": key})
        .first()
    )
    return int(row[0]) if row else None


def functional_amounts(amounts: Sequence[Decimal], rate: Decimal, currency: str) -> list[Decimal]:
    """Convert each line; a rounding residue goes to the largest line so the entry still balances."""
    converted = [quantize(a * rate, currency) for a in amounts]
    residue = sum(converted, Decimal(0))
    if residue:
        biggest = max(range(len(converted)), key=lambda i: abs(converted[i]))
        converted[biggest] -= residue
    return converted


def balanced_amounts(req: PostingRequest, label: str = "") -> list[Decimal]:
    """The request's amounts rounded to its currency, once it has two lines that balance (`label` prefixes
    the reason)."""
    if len(req.lines) < 2:
        raise RuleViolation("lines", f"{label}a journal entry needs at least two lines")
    amounts = [quantize(line.amount, req.currency) for line in req.lines]
    if sum(amounts, Decimal(0)) != 0:
        raise RuleViolation(
            "lines", f"{label}debits and credits differ by {sum(amounts, Decimal(0))} {req.currency}"
        )
    return amounts


_INSERT_HEAD = text(
    """
    INSERT INTO journal_entry (entity_id, idempotency_key, posting_date, period, memo, source_type,
                               source_id, reverses_entry_id, created_by)
    VALUES (:entity, :key, :pdate, :period, :memo, :stype, :sid, :rev, :actor)
    ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
    """
)


@dataclass(frozen=True, slots=True)
class _Head:
    """The journal_entry row of a posting."""

    entity_id: int
    key: str
    posting_date: date
    period: str
    memo: str
    source_type: str
    source_id: str
    reverses_entry_id: int | None
    actor: str


def _insert_head(session: Session, head: _Head) -> PostedEntry:
    """Insert the entry's head (created), or hand back the entry a racing attempt of the same key posted."""
    # ON CONFLICT keeps two racing attempts of the same activity from posting twice.
    row = (
        session.connection()
        .execute(
            _INSERT_HEAD,
            {
                "entity": head.entity_id,
                "key": head.key,
                "pdate": head.posting_date,
                "period": head.period,
                "memo": head.memo,
                "stype": head.source_type,
                "sid": head.source_id,
                "rev": head.reverses_entry_id,
                "actor": head.actor,
            },
        )
        .first()
    )
    if row is not None:
        return PostedEntry(int(row[0]), created=True)
    existing = _existing(session, head.key)
    assert existing is not None
    return PostedEntry(existing, created=False)


def post(session: Session, req: PostingRequest) -> PostedEntry:
    """Post a balanced entry once per idempotency key, inside the caller's transaction."""
    existing = _existing(session, req.idempotency_key)
    if existing is not None:
        return PostedEntry(existing, created=False)
    amounts = balanced_amounts(req)
    period = period_of(req.posting_date)
    check_posting_allowed(period, period_status(session, req.entity_id, period), req.actor_is_closer)
    func_currency = entity_currency(session, req.entity_id)
    rate = req.fx_rate or fx.rate(session, req.currency, func_currency, req.posting_date)
    func_amounts = functional_amounts(amounts, rate, func_currency)
    head = _Head(
        req.entity_id, req.idempotency_key, req.posting_date, period, req.memo, req.source_type,
        req.source_id, req.reverses_entry_id, req.actor,
    )  # fmt: skip
    entry = _insert_head(session, head)
    if not entry.created:
        return entry
    cache: dict[str, int] = {}
    values = [
        {
            "entry_id": entry.entry_id,
            "entity_id": req.entity_id,
            "account_id": resolve_account(session, req.entity_id, line.account, cache),
            "currency": req.currency,
            "amount": amount,
            "amount_func": func,
            "fx_rate": rate,
            "memo": line.memo,
            "partner_type": line.partner_type,
            "partner_id": line.partner_id,
            "period": period,
        }
        for line, amount, func in zip(req.lines, amounts, func_amounts, strict=True)
        if amount or func
    ]
    if not values:
        raise RuleViolation("lines", "every line of the entry is zero")
    # One multi-row statement: the period-balance trigger then runs once per entry, not once per line.
    session.connection().execute(insert(JournalLine).values(values))
    return PostedEntry(
        entry.entry_id,
        created=True,
        lines=tuple(
            (line.account, a, f) for line, a, f in zip(req.lines, amounts, func_amounts, strict=True)
        ),
    )


class _Reversed(NamedTuple):
    """What a reversal copies from the entry it reverses."""

    entity_id: int
    source_type: str
    source_id: str
    memo: str
    period: str


_REVERSED = select(
    col(JournalEntry.entity_id),
    col(JournalEntry.source_type),
    col(JournalEntry.source_id),
    col(JournalEntry.memo),
    col(JournalEntry.period),
)


def _entry_to_reverse(session: Session, entry_id: int) -> tuple[_Reversed, Sequence[Any]]:
    """The head and the lines of an entry."""
    found = session.connection().execute(_REVERSED.where(col(JournalEntry.id) == entry_id)).first()
    if found is None:
        raise NotFound("entry_id", f"journal entry {entry_id} does not exist")
    head = _Reversed(*found)
    lines = (
        session.connection()
        .execute(
            text(
                "SELECT account_id, currency, amount, amount_func, memo, fx_rate, partner_type, partner_id FROM journal_line"
                " WHERE entry_id = :i AND period = :p ORDER BY id"  # the period prunes to one partition
            ),
            {"i": entry_id, "p": head.period},
        )
        .all()
    )
    return head, lines


def reverse(
    session: Session,
    entry_id: int,
    *,
    idempotency_key: str,
    posting_date: date,
    actor: str,
    actor_is_closer: bool = False,
) -> PostedEntry:
    """Cancel an entry by posting its mirror image in an open period (ledgers are never edited)."""
    head, lines = _entry_to_reverse(session, entry_id)
    existing = _existing(session, idempotency_key)
    if existing is not None:
        return PostedEntry(existing, created=False)
    entity_id = head.entity_id
    period = period_of(posting_date)
    check_posting_allowed(period, period_status(session, entity_id, period), actor_is_closer)
    mirror = _Head(
        entity_id, idempotency_key, posting_date, period, f"reversal of {entry_id}: {head.memo}", head.source_type,
        head.source_id, entry_id, actor,
    )  # fmt: skip
    entry = _insert_head(session, mirror)
    if not entry.created:
        return entry
    session.connection().execute(
        insert(JournalLine).values(
            [
                {
                    "entry_id": entry.entry_id,
                    "entity_id": entity_id,
                    "account_id": acc,
                    "currency": cur,
                    "amount": -amt,
                    "amount_func": -func,
                    "fx_rate": rate,
                    "memo": memo,
                    # Keep the partner so AP/AR subledgers see the reversal too.
                    "partner_type": ptype,
                    "partner_id": pid,
                    "period": period,
                }
                for acc, cur, amt, func, memo, rate, ptype, pid in lines
            ]
        )
    )
    return entry
