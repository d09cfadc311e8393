"""What an order of a channel holds and owes, as a PSP payout checks it: its payment clearing, the refunds the
shop owes its customer (refunds payable), and how much a payout may still withhold for its chargebacks and
refunds (`services/payments/psp_payouts.py` checks and posts the payout; `refund_transfers.py` reads what is
owed too)."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.payments import PayoutLineIn
from rules.psp_payouts import WITHHELD


class PayoutHead(Protocol):
    """The payout being checked: its id, entity, channel and currency."""

    @property
    def id(self) -> int: ...

    @property
    def entity_id(self) -> int: ...

    @property
    def channel_id(self) -> int: ...

    @property
    def currency(self) -> str: ...


def held(session: Session, head: PayoutHead, order_number: str) -> Decimal | None:
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


def unexplained(session: Session, head: PayoutHead, order_number: str, lines: Sequence[PayoutLineIn]) -> str:
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


def payable(session: Session, head: PayoutHead, order_number: str) -> tuple[Decimal, str]:
    """What the shop still owes the order's customer in refunds payable, and the customer's code."""
    owed = refunds_owed(session, head.entity_id, head.channel_id, order_number, head.currency)
    customer = session.connection().execute(text(_CUSTOMER), {"n": order_number}).scalar_one()
    return owed, str(customer)
