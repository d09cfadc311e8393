"""The one way the payments services post a draft: its key, date, source and currency, and which of its
lines carry the partner (the open items and the clearing checks read those tags)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from rules.accounts import AccountRole
from rules.posting_rules import PostingDraft
from services.core import ledger

EVERY_ROLE = frozenset(AccountRole)


@dataclass(frozen=True, slots=True)
class Entry:
    """Where a draft is posted: `partner` (type, id) tags the lines whose role is in `tagged`; the memo is the
    first line's unless given; `fx_rate` as the ledger takes it (None: the day's rate)."""

    entity_id: int
    key: str
    on: date
    source_type: str
    source_id: str
    currency: str
    memo: str | None = None
    fx_rate: Decimal | None = None
    partner: tuple[str, str] | None = None
    tagged: frozenset[AccountRole] = frozenset()


def post(session: Session, entry: Entry, draft: PostingDraft) -> int:
    """Post the draft once (by its key); returns the journal entry id."""
    lines = [
        ledger.LineIn(d.role, d.amount, d.memo, *entry.partner)
        if entry.partner is not None and d.role in entry.tagged
        else ledger.LineIn(d.role, d.amount, d.memo)
        for d in draft.lines
    ]
    return ledger.post(
        session,
        ledger.PostingRequest(
            entity_id=entry.entity_id,
            idempotency_key=entry.key,
            posting_date=entry.on,
            source_type=entry.source_type,
            source_id=entry.source_id,
            currency=entry.currency,
            lines=lines,
            memo=entry.memo or draft.lines[0].memo,
            fx_rate=entry.fx_rate,
        ),
    ).entry_id
