"""PSP payouts: a payment provider's report of card captures paid out, less fees, per channel.

Each line names an order; what the order holds in payment clearing (its captures less refunds) is checked
against the reported gross (`rules/psp_payouts.py`). A matched line posts clearing -> bank in transit with
the fee, and the bank statement later moves the payout from bank in transit to the bank. A line for an
unknown order, or whose gross differs, posts nothing and waits for a person (accept or dismiss)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.payments import (
    PayoutDifference,
    PayoutImported,
    PayoutInput,
    PayoutLineIn,
    ResolvePayoutLine,
)
from rules.accounts import AccountRole
from rules.posting_rules import PostingDraft
from rules.psp_payouts import check, payout_line
from services.payments import posting, receipt_fx

SOURCE = "psp_payout"
# A day's card payouts of a busy channel; the workflow input must stay well under Temporal's payload limit.
MAX_LINES = 2000


@dataclass(frozen=True, slots=True)
class _Head:
    id: int
    entity_id: int
    channel_id: int
    payout_ref: str
    payout_date: date
    currency: str


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
    row = (
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
        .first()
    )
    if row is None:
        found = existing(session, inp.channel_id, inp.payout_ref)
        assert found is not None
        return PayoutImported(payout_id=found, differences=_differences(session, found))
    head = _Head(int(row[0]), inp.entity_id, inp.channel_id, inp.payout_ref, inp.payout_date, inp.currency)
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


def _differences(session: Session, payout_id: int) -> list[PayoutDifference]:
    rows = session.connection().execute(
        text(
            "SELECT line_no, order_number, status, reason, held FROM psp_payout_line"
            " WHERE payout_id = :p AND status IN ('difference', 'unmatched') ORDER BY line_no"
        ),
        {"p": payout_id},
    )
    return [
        PayoutDifference(
            line_no=r[0],
            order_number=r[1],
            status=r[2],
            reason=r[3],
            held=None if r[4] is None else Decimal(r[4]),
        )
        for r in rows
    ]


def _head(session: Session, payout_id: int) -> _Head:
    r = (
        session.connection()
        .execute(
            text(
                "SELECT id, entity_id, channel_id, payout_ref, payout_date, currency FROM psp_payout"
                " WHERE id = :p FOR UPDATE"
            ),
            {"p": payout_id},
        )
        .one()
    )
    return _Head(int(r[0]), int(r[1]), int(r[2]), str(r[3]), r[4], str(r[5]))


def resolve_line(session: Session, req: ResolvePayoutLine) -> None:
    """Accept a difference (clearing credited by what the order held, the rest to provider fees) or dismiss."""
    head = _head(session, req.payout_id)
    line = (
        session.connection()
        .execute(
            text(
                "SELECT order_number, gross, fees, status FROM psp_payout_line"
                " WHERE payout_id = :p AND line_no = :n FOR UPDATE"
            ),
            {"p": req.payout_id, "n": req.line_no},
        )
        .first()
    )
    if line is None or line[3] not in ("difference", "unmatched"):
        return  # decided before (a retried activity)
    entry = None
    held = _held(session, head, str(line[0])) or Decimal(0)
    if req.decision == "accept" and line[3] == "difference" and held > 0:
        entry = _post(
            session, head, req.line_no, str(line[0]), payout_line(Decimal(line[1]), Decimal(line[2]), held)
        )
    session.connection().execute(
        text("UPDATE psp_payout_line SET status = :s, entry_id = :e WHERE payout_id = :p AND line_no = :n"),
        {
            "s": "accepted" if entry is not None else "dismissed",
            "e": entry,
            "p": req.payout_id,
            "n": req.line_no,
        },
    )


def payout(session: Session, payout_id: int) -> dict[str, Any] | None:
    """A payout with its lines, as the API shows it."""
    head = (
        session.connection()
        .execute(
            text(
                "SELECT p.*, c.code AS channel FROM psp_payout p JOIN channel c ON c.id = p.channel_id WHERE p.id = :i"
            ),
            {"i": payout_id},
        )
        .mappings()
        .first()
    )
    if head is None:
        return None
    lines = (
        session.connection()
        .execute(
            text("SELECT * FROM psp_payout_line WHERE payout_id = :i ORDER BY line_no"), {"i": payout_id}
        )
        .mappings()
        .all()
    )
    return {**dict(head), "lines": [dict(r) for r in lines]}
