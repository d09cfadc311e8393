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
from rules.psp_payouts import check, payout_line, signed
from services.payments import order_clearing, posting, receipt_fx

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
    # A foreign-currency channel's captures were booked at their day's rate: the difference is realised now; so
    # is a refund owed to the customer (booked on the day sales ops decided it) that the provider paid.
    receipt_fx.realise(
        session,
        head.entity_id,
        entry,
        AccountRole.REFUNDS_PAYABLE if payee else AccountRole.PAYMENT_CLEARING,
        payee or order_number,
        head.currency,
        head.payout_date,
        (SOURCE, head.payout_ref),
        partner_type="customer" if payee else "order",
    )
    in_transit = sum((d.amount for d in draft.lines if d.role == AccountRole.BANK_IN_TRANSIT), Decimal(0))
    session.connection().execute(
        text("UPDATE psp_payout SET in_transit = in_transit + :a WHERE id = :p"),
        {"a": in_transit, "p": head.id},
    )
    return entry


@dataclass(slots=True)
class _Checked:
    """What became of one payout line: its status, what the order held, why not posted, and its entry."""

    status: str
    held: Decimal | None
    reason: str = ""
    entry: int | None = None


def _check_and_post(session: Session, head: _Head, lines: Sequence[PayoutLineIn]) -> list[_Checked]:
    """The lines of one order, in order: all posted when together they report what it holds in clearing (less
    what the provider pays the customer of refunds the shop owes, for refund lines)."""
    order_number = lines[0].order_number
    held = order_clearing.held(session, head, order_number)
    if held is None:
        return [_Checked("unmatched", None, f"no order {order_number} on this channel") for _ in lines]
    payable, payee = (
        order_clearing.payable(session, head, order_number)
        if any(ln.kind == "refund" for ln in lines)
        else (Decimal(0), "")
    )
    reported = sum((signed(ln.kind, ln.gross) for ln in lines), Decimal(0))
    reason = order_clearing.unexplained(session, head, order_number, lines)
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
    held = order_clearing.held(session, head, line.order_number) or Decimal(0)
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
