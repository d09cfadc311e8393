"""PSP payouts: a payment provider's report of card captures paid out, less fees, per channel.

Each line names an order; what the order holds in payment clearing (its captures less refunds) is checked
against the reported gross (`rules/psp_payouts.py`). A matched line posts clearing -> bank in transit with
the fee, and the bank statement later moves the payout from bank in transit to the bank. A line for an
unknown order, or whose gross differs, posts nothing and waits for a person (accept or dismiss)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import text
from sqlmodel import Session, col, select

from models.contracts.payments import (
    PayoutDifference,
    PayoutImported,
    PayoutInput,
    PayoutLineIn,
    ResolvePayoutLine,
)
from models.master import Channel
from models.payments import PspPayout, PspPayoutLine
from rules.accounts import AccountRole
from rules.posting_rules import PostingDraft
from rules.psp_payouts import check, payout_line
from services.payments import posting, receipt_fx

SOURCE = "psp_payout"
# A day's card payouts of a busy channel; the workflow input must stay well under Temporal's payload limit.
MAX_LINES = 2000


class _Head(NamedTuple):
    """What posting a payout's lines needs of it (the id read from the table is never NULL)."""

    id: int
    entity_id: int
    channel_id: int
    payout_ref: str
    payout_date: date
    currency: str


_HEAD = sa.select(
    col(PspPayout.id),
    col(PspPayout.entity_id),
    col(PspPayout.channel_id),
    col(PspPayout.payout_ref),
    col(PspPayout.payout_date),
    col(PspPayout.currency),
)


@dataclass(frozen=True, slots=True)
class StoredPayout:
    """An imported payout with its channel's code and its lines, as the API shows it."""

    row: PspPayout
    channel: str
    lines: list[PspPayoutLine]

    @property
    def entity_id(self) -> int:
        return self.row.entity_id

    def fields(self) -> dict[str, Any]:
        return {
            **self.row.model_dump(),
            "channel": self.channel,
            "lines": [ln.model_dump() for ln in self.lines],
        }


def existing(session: Session, channel_id: int, ref: str) -> int | None:
    """The id of a channel's payout already imported under the provider's payout id."""
    found = (
        session.connection()
        .execute(
            text("SELECT id FROM psp_payout WHERE channel_id = :c AND payout_ref = :r"),
            {"c": channel_id, "r": ref},
        )
        .scalar()
    )
    return int(found) if found is not None else None


def _held(session: Session, head: _Head, order_number: str) -> Decimal | None:
    """What the channel's order holds in payment clearing (None: no such order on the channel)."""
    conn = session.connection()
    order = conn.execute(
        text("SELECT id FROM sales_order WHERE number = :n AND channel_id = :c FOR UPDATE"),
        {"n": order_number, "c": head.channel_id},
    ).first()
    if order is None:
        return None
    return Decimal(
        conn.execute(
            text(
                "SELECT COALESCE(sum(l.amount), 0) FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id"
                " JOIN account a ON a.id = l.account_id WHERE e.entity_id = :e AND a.role = 'payment_clearing'"
                " AND l.partner_type = 'order' AND l.partner_id = :n AND l.currency = :c"
            ),
            {"e": head.entity_id, "n": order_number, "c": head.currency},
        ).scalar_one()
    )


def _post(session: Session, head: _Head, line_no: int, order_number: str, draft: PostingDraft) -> int:
    """One entry per paid-out order, keyed by payout and line: a retry posts nothing twice."""
    entry = posting.post(
        session,
        posting.Entry(
            head.entity_id,
            f"psp:{head.id}:line:{line_no}",
            head.payout_date,
            SOURCE,
            head.payout_ref,
            head.currency,
            memo=f"payment provider payout {head.payout_ref}",
            partner=("order", order_number),
            tagged=frozenset({AccountRole.PAYMENT_CLEARING}),
        ),
        draft,
    )
    # A foreign-currency channel's captures were booked at their day's rate: the difference is realised now.
    receipt_fx.realise(
        session,
        head.entity_id,
        entry,
        AccountRole.PAYMENT_CLEARING,
        order_number,
        head.currency,
        head.payout_date,
        (SOURCE, head.payout_ref),
    )
    in_transit = sum((d.amount for d in draft.lines if d.role == AccountRole.BANK_IN_TRANSIT), Decimal(0))
    session.connection().execute(
        text("UPDATE psp_payout SET in_transit = in_transit + :a WHERE id = :p"),
        {"a": in_transit, "p": head.id},
    )
    return entry


def _check_and_post(
    session: Session, head: _Head, line: PayoutLineIn
) -> tuple[str, Decimal | None, str, int | None]:
    """(status, held, reason, entry) of one line: posted when the order holds its gross in clearing."""
    held = _held(session, head, line.order_number)
    if held is None:
        return "unmatched", None, f"no order {line.order_number} on this channel", None
    verdict = check(line.gross, held, head.currency)
    if verdict.verdict != "settle":
        reason = (
            f"order {line.order_number} holds {held} {head.currency} in payment clearing,"
            f" the payout reports {line.gross}"
        )
        return "difference", held, reason, None
    entry = _post(session, head, line.line_no, line.order_number, payout_line(line.gross, line.fees, held))
    return "matched", held, "", entry


def import_payout(session: Session, inp: PayoutInput) -> PayoutImported:
    """Store and post a payout once; a retry (or a repeat) returns what the first import did."""
    new_id = (
        session.connection()
        .execute(
            text(
                "INSERT INTO psp_payout (entity_id, channel_id, payout_ref, payout_date, currency, reported_net,"
                " in_transit, status, imported_by) VALUES (:e, :ch, :r, :d, :c, :net, 0, 'in_transit', :u)"
                " ON CONFLICT (channel_id, payout_ref) DO NOTHING RETURNING id"
            ),
            {
                "e": inp.entity_id,
                "ch": inp.channel_id,
                "r": inp.payout_ref,
                "d": inp.payout_date,
                "c": inp.currency,
                "net": sum((ln.gross - ln.fees for ln in inp.lines), Decimal(0)),
                "u": inp.imported_by,
            },
        )
        .scalar()
    )
    if new_id is None:
        found = existing(session, inp.channel_id, inp.payout_ref)
        assert found is not None
        return PayoutImported(payout_id=found, differences=_differences(session, found))
    head = _Head(int(new_id), inp.entity_id, inp.channel_id, inp.payout_ref, inp.payout_date, inp.currency)
    for line in inp.lines:
        status, held, reason, entry = _check_and_post(session, head, line)
        session.connection().execute(
            text(
                "INSERT INTO psp_payout_line (payout_id, line_no, order_number, gross, fees, held, status, reason,"
                " entry_id) VALUES (:p, :n, :o, :g, :f, :h, :s, :r, :e)"
            ),
            {
                "p": head.id,
                "n": line.line_no,
                "o": line.order_number,
                "g": line.gross,
                "f": line.fees,
                "h": held,
                "s": status,
                "r": reason[:300],
                "e": entry,
            },
        )
    return PayoutImported(payout_id=head.id, differences=_differences(session, head.id))


def _lines(session: Session, payout_id: int) -> list[PspPayoutLine]:
    """A payout's lines as stored, in order."""
    # populate_existing: lines are written and decided by SQL within the same session.
    query = (
        select(PspPayoutLine)
        .where(col(PspPayoutLine.payout_id) == payout_id)
        .order_by(col(PspPayoutLine.line_no))
        .execution_options(populate_existing=True)
    )
    return list(session.exec(query))


def _differences(session: Session, payout_id: int) -> list[PayoutDifference]:
    return [
        PayoutDifference(
            line_no=ln.line_no, order_number=ln.order_number, status=ln.status, reason=ln.reason, held=ln.held
        )
        for ln in _lines(session, payout_id)
        if ln.status in ("difference", "unmatched")
    ]


def _head(session: Session, payout_id: int) -> _Head:
    """The payout a decision acts on, locked."""
    return _Head._make(
        session.connection().execute(_HEAD.where(col(PspPayout.id) == payout_id).with_for_update()).one()
    )


def resolve_line(session: Session, req: ResolvePayoutLine) -> None:
    """Accept a difference (clearing credited by what the order held, the rest to provider fees) or dismiss."""
    head = _head(session, req.payout_id)
    query = (
        select(PspPayoutLine)
        .where(col(PspPayoutLine.payout_id) == req.payout_id, col(PspPayoutLine.line_no) == req.line_no)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    line = session.exec(query).first()
    if line is None or line.status not in ("difference", "unmatched"):
        return  # decided before (a retried activity)
    entry = None
    held = _held(session, head, line.order_number) or Decimal(0)
    if req.decision == "accept" and line.status == "difference" and held > 0:
        entry = _post(session, head, req.line_no, line.order_number, payout_line(line.gross, line.fees, held))
    session.connection().execute(
        text("UPDATE psp_payout_line SET status = :s, entry_id = :e WHERE payout_id = :p AND line_no = :n"),
        {
            "s": "accepted" if entry is not None else "dismissed",
            "e": entry,
            "p": req.payout_id,
            "n": req.line_no,
        },
    )


def payout(session: Session, payout_id: int) -> StoredPayout | None:
    """A payout with its lines, as the API shows it."""
    query = (
        select(PspPayout, col(Channel.code))
        .join(Channel, col(Channel.id) == col(PspPayout.channel_id))
        .where(col(PspPayout.id) == payout_id)
        .execution_options(populate_existing=True)
    )
    found = session.exec(query).first()
    if found is None:
        return None
    row, channel = found
    return StoredPayout(row, channel, _lines(session, payout_id))
