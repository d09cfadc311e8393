"""The one posting service: balanced, idempotent by business key, never into a closed period."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, text
from sqlmodel import Session

from models.ledger import JournalLine
from rules.errors import RuleViolation
from rules.money import quantize
from rules.periods import PeriodStatus, check_posting_allowed, period_of
from services import fx
from services.accounts import resolve_account
from services.errors import NotFound


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


def post(session: Session, req: PostingRequest) -> PostedEntry:
    """Post a balanced entry once per idempotency key, inside the caller's transaction."""
    existing = _existing(session, req.idempotency_key)
    if existing is not None:
        return PostedEntry(existing, created=False)
    if len(req.lines) < 2:
        raise RuleViolation("lines", "a journal entry needs at least two lines")
    amounts = [quantize(line.amount, req.currency) for line in req.lines]
    if sum(amounts, Decimal(0)) != 0:
        raise RuleViolation(
            "lines", f"debits and credits differ by {sum(amounts, Decimal(0))} {req.currency}"
        )
    period = period_of(req.posting_date)
    check_posting_allowed(period, period_status(session, req.entity_id, period), req.actor_is_closer)
    func_currency = entity_currency(session, req.entity_id)
    rate = req.fx_rate or fx.rate(session, req.currency, func_currency, req.posting_date)
    func_amounts = functional_amounts(amounts, rate, func_currency)

    # ON CONFLICT keeps two racing attempts of the same activity from posting twice.
    row = (
        session.connection()
        .execute(
            text(
                """
            INSERT INTO journal_entry (entity_id, idempotency_key, posting_date, period, memo, source_type,
                                       source_id, reverses_entry_id, created_by)
            VALUES (:entity, :key, :pdate, :period, :memo, :stype, :sid, :rev, :actor)
            ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
            """
            ),
            {
                "entity": req.entity_id,
                "key": req.idempotency_key,
                "pdate": req.posting_date,
                "period": period,
                "memo": req.memo,
                "stype": req.source_type,
                "sid": req.source_id,
                "rev": req.reverses_entry_id,
                "actor": req.actor,
            },
        )
        .first()
    )
    if row is None:
        existing = _existing(session, req.idempotency_key)
        assert existing is not None
        return PostedEntry(existing, created=False)
    entry_id = int(row[0])
    cache: dict[str, int] = {}
    values = [
        {
            "entry_id": entry_id,
            "entity_id": req.entity_id,
            "account_id": resolve_account(session, req.entity_id, line.account, cache),
            "currency": req.currency,
            "amount": amount,
            "amount_func": func,
            "fx_rate": rate,
            "memo": line.memo,
            "partner_type": line.partner_type,
            "partner_id": line.partner_id,
        }
        for line, amount, func in zip(req.lines, amounts, func_amounts, strict=True)
        if amount or func
    ]
    if not values:
        raise RuleViolation("lines", "every line of the entry is zero")
    # One multi-row statement: the period-balance trigger then runs once per entry, not once per line.
    session.connection().execute(insert(JournalLine).values(values))
    return PostedEntry(
        entry_id,
        created=True,
        lines=tuple(
            (line.account, a, f) for line, a, f in zip(req.lines, amounts, func_amounts, strict=True)
        ),
    )


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
    head = (
        session.connection()
        .execute(
            text("SELECT entity_id, source_type, source_id, memo FROM journal_entry WHERE id = :i"),
            {"i": entry_id},
        )
        .first()
    )
    if head is None:
        raise NotFound("entry_id", f"journal entry {entry_id} does not exist")
    lines = (
        session.connection()
        .execute(
            text(
                "SELECT account_id, currency, amount, amount_func, memo, fx_rate, partner_type, partner_id FROM journal_line"
                " WHERE entry_id = :i ORDER BY id"
            ),
            {"i": entry_id},
        )
        .all()
    )
    existing = _existing(session, idempotency_key)
    if existing is not None:
        return PostedEntry(existing, created=False)
    period = period_of(posting_date)
    check_posting_allowed(period, period_status(session, head[0], period), actor_is_closer)
    row = (
        session.connection()
        .execute(
            text(
                """
            INSERT INTO journal_entry (entity_id, idempotency_key, posting_date, period, memo, source_type,
                                       source_id, reverses_entry_id, created_by)
            VALUES (:e, :k, :d, :p, :m, :st, :si, :rev, :a)
            ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
            """
            ),
            {
                "e": head[0],
                "k": idempotency_key,
                "d": posting_date,
                "p": period,
                "m": f"reversal of {entry_id}: {head[3]}",
                "st": head[1],
                "si": head[2],
                "rev": entry_id,
                "a": actor,
            },
        )
        .first()
    )
    if row is None:
        found = _existing(session, idempotency_key)
        assert found is not None
        return PostedEntry(found, created=False)
    new_id = int(row[0])
    session.connection().execute(
        insert(JournalLine).values(
            [
                {
                    "entry_id": new_id,
                    "entity_id": head[0],
                    "account_id": acc,
                    "currency": cur,
                    "amount": -amt,
                    "amount_func": -func,
                    "fx_rate": rate,
                    "memo": memo,
                    # Keep the partner so AP/AR subledgers see the reversal too.
                    "partner_type": ptype,
                    "partner_id": pid,
                }
                for acc, cur, amt, func, memo, rate, ptype, pid in lines
            ]
        )
    )
    return PostedEntry(new_id, created=True)
