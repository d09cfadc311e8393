"""PSP payouts: a payment provider's report of card captures paid out, less fees, per channel.

Each line names an order; what the order holds in payment clearing (its captures less refunds and chargebacks)
is checked against what the payout's lines of that order report (`rules/psp_payouts.py`): captures paid out,
and chargebacks or refunds the provider withheld from the payout because it took them back after paying the
order out (a withheld chargeback must match the order's recorded chargebacks, a withheld refund its refunds).
Matched lines post clearing -> bank in transit with the fee, and the bank statement later moves the payout
from bank in transit to the bank. Lines of an unknown order, or that report another amount, post nothing and
wait for a person (accept or dismiss)."""

from collections.abc import Sequence
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
from rules.psp_payouts import WITHHELD, check, payout_line, signed
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


def _post(
    session: Session,
    head: _Head,
    line_no: int,
    order_number: str,
    draft: PostingDraft,
    payee: str | None = None,
) -> int:
    """One entry per paid-out order, keyed by payout and line: a retry posts nothing twice. A refund paid to
    the customer `payee` out of refunds payable carries the customer there, as the payable was booked."""
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
            partner=("customer", payee) if payee else ("order", order_number),
            tagged=frozenset({AccountRole.REFUNDS_PAYABLE if payee else AccountRole.PAYMENT_CLEARING}),
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


# What the returns of an order put in refunds payable (a failed card refund to be paid to the customer).
_PAYABLE_BOOKED = """
SELECT COALESCE(-sum(l.amount), 0) FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
  JOIN account a ON a.id = l.account_id
 WHERE e.entity_id = :e AND a.role = 'refunds_payable' AND l.currency = :c AND e.source_type = 'return'
   AND e.source_id IN (SELECT r.rma_number FROM return_authorisation r JOIN sales_order o ON o.id = r.order_id
                        WHERE o.number = :n AND o.channel_id = :ch)
"""
# What payouts of the channel paid of it (their refund lines for the order that debited refunds payable).
_PAYABLE_PAID = """
SELECT COALESCE(sum(l.amount), 0) FROM journal_line l JOIN account a ON a.id = l.account_id
 WHERE a.role = 'refunds_payable' AND l.entry_id IN (
       SELECT pl.entry_id FROM psp_payout_line pl JOIN psp_payout p ON p.id = pl.payout_id
        WHERE p.channel_id = :ch AND pl.order_number = :n AND pl.kind = 'refund' AND pl.entry_id IS NOT NULL)
"""
_CUSTOMER = "SELECT cu.code FROM sales_order o JOIN customer cu ON cu.id = o.customer_id WHERE o.number = :n"
# What the order's recorded chargebacks (not won), or its approved refunds and the refunds the shop owes its
# customer after a failed card refund, took back, less what earlier payouts of the channel already withheld for
# them: the most a payout may withhold for the order now.
_TAKEN_BACK = {
    "chargeback": """
        SELECT COALESCE(sum(amount), 0) FROM psp_chargeback
         WHERE channel_id = :ch AND order_number = :n AND currency = :c AND status <> 'won'""",
    "refund": f"""
        SELECT COALESCE(sum(p.amount), 0) + ({_PAYABLE_BOOKED})
          FROM sales_payment p JOIN sales_order o ON o.id = p.order_id
         WHERE o.number = :n AND o.channel_id = :ch AND p.kind = 'refund' AND p.status = 'approved'
           AND p.currency = :c""",
}
_WITHHELD_BEFORE = """
SELECT COALESCE(sum(l.gross), 0) FROM psp_payout_line l JOIN psp_payout p ON p.id = l.payout_id
 WHERE p.channel_id = :ch AND l.order_number = :n AND l.kind = :k AND l.status IN ('matched', 'accepted')
   AND p.id <> :p
"""


def _unexplained(session: Session, head: _Head, order_number: str, lines: Sequence[PayoutLineIn]) -> str:
    """Why the withheld lines of an order are not the chargebacks or refunds it recorded ('' when they are)."""
    conn = session.connection()
    for kind in WITHHELD:
        withheld = sum((ln.gross for ln in lines if ln.kind == kind), Decimal(0))
        if not withheld:
            continue
        params = {
            "e": head.entity_id,
            "ch": head.channel_id,
            "n": order_number,
            "c": head.currency,
            "k": kind,
            "p": head.id,
        }
        taken = Decimal(conn.execute(text(_TAKEN_BACK[kind]), params).scalar_one())
        before = Decimal(conn.execute(text(_WITHHELD_BEFORE), params).scalar_one())
        if withheld > taken - before:
            return (
                f"the payout withholds {withheld} {head.currency} for {kind}s of order {order_number},"
                f" {taken - before} recorded and not withheld before"
            )
    return ""


@dataclass(slots=True)
class _Checked:
    """What became of one payout line: its status, what the order held, why not posted, and its entry."""

    status: str
    held: Decimal | None
    reason: str = ""
    entry: int | None = None


def refunds_owed(
    session: Session, entity_id: int, channel_id: int, order_number: str, currency: str
) -> Decimal:
    """What the shop still owes an order's customer in refunds payable: its failed card refunds decided 'bank
    transfer', less the transfers the bank showed (posted with the return as source) and what payouts paid."""
    conn = session.connection()
    params = {"e": entity_id, "ch": channel_id, "n": order_number, "c": currency}
    booked = Decimal(conn.execute(text(_PAYABLE_BOOKED), params).scalar_one())
    paid = Decimal(conn.execute(text(_PAYABLE_PAID), params).scalar_one())
    return booked - paid


def _payable(session: Session, head: _Head, order_number: str) -> tuple[Decimal, str]:
    """What the shop still owes the order's customer in refunds payable, and the customer's code."""
    owed = refunds_owed(session, head.entity_id, head.channel_id, order_number, head.currency)
    customer = session.connection().execute(text(_CUSTOMER), {"n": order_number}).scalar_one()
    return owed, str(customer)


def _check_and_post(session: Session, head: _Head, lines: Sequence[PayoutLineIn]) -> list[_Checked]:
    """The lines of one order, in order: all posted when together they report what it holds in clearing (less
    what the provider pays the customer of refunds the shop owes, for refund lines)."""
    order_number = lines[0].order_number
    held = _held(session, head, order_number)
    if held is None:
        return [_Checked("unmatched", None, f"no order {order_number} on this channel") for _ in lines]
    payable, payee = (
        _payable(session, head, order_number)
        if any(ln.kind == "refund" for ln in lines)
        else (Decimal(0), "")
    )
    reported = sum((signed(ln.kind, ln.gross) for ln in lines), Decimal(0))
    reason = _unexplained(session, head, order_number, lines)
    if not reason and check(reported, held - payable, head.currency).verdict != "settle":
        owed = f" and owes its customer {payable} in refunds payable" if payable else ""
        reason = (
            f"order {order_number} holds {held} {head.currency} in payment clearing{owed},"
            f" the payout reports {reported}"
        )
    if reason:
        return [_Checked("difference", held, reason) for _ in lines]
    out: list[_Checked] = []
    rest = held - payable - reported
    for n, line in enumerate(lines, start=1):
        gross = signed(line.kind, line.gross)
        # A rounding rest within tolerance is cleared with the order's last line.
        clears = gross + (rest if n == len(lines) else Decimal(0))
        if line.kind == "refund" and 0 < line.gross <= payable:
            # The provider paid the customer a refund the shop owed after the card refund failed.
            payable -= line.gross
            draft = payout_line(gross, line.fees, clears, AccountRole.REFUNDS_PAYABLE)
            entry = _post(session, head, line.line_no, order_number, draft, payee=payee)
        else:
            entry = _post(session, head, line.line_no, order_number, payout_line(gross, line.fees, clears))
        out.append(_Checked("matched", held, entry=entry))
    return out


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
                "net": sum((signed(ln.kind, ln.gross) - ln.fees for ln in inp.lines), Decimal(0)),
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
    by_order: dict[str, list[PayoutLineIn]] = {}
    for line in inp.lines:
        by_order.setdefault(line.order_number, []).append(line)
    checked = {
        line.line_no: outcome
        for lines in by_order.values()
        for line, outcome in zip(lines, _check_and_post(session, head, lines), strict=True)
    }
    for line in inp.lines:
        done = checked[line.line_no]
        session.connection().execute(
            text(
                "INSERT INTO psp_payout_line (payout_id, line_no, order_number, kind, gross, fees, held, status,"
                " reason, entry_id) VALUES (:p, :n, :o, :k, :g, :f, :h, :s, :r, :e)"
            ),
            {
                "p": head.id,
                "n": line.line_no,
                "o": line.order_number,
                "k": line.kind,
                "g": line.gross,
                "f": line.fees,
                "h": done.held,
                "s": done.status,
                "r": done.reason[:300],
                "e": done.entry,
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
    gross = signed(line.kind, line.gross)
    # Accepted, the line clears what the order holds when it moves clearing the same way (a capture paid out
    # what is held, a withheld line what is owed back).
    if req.decision == "accept" and line.status == "difference" and held and (held > 0) == (gross > 0):
        entry = _post(session, head, req.line_no, line.order_number, payout_line(gross, line.fees, held))
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
