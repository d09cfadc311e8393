"""Refunds paid by bank transfer: a refund the provider refused, which sales ops decided to pay by transfer, is
owed to the customer in refunds payable (`services/payments/failed_refunds.py`) until the bank statement shows
the transfer going out with the credit note's number in its reference; that line moves the payable to the bank,
once. A transfer nobody owes any more (paid already, or never decided) stays unmatched and opens the statement's
task like any other line."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.payments import StatementLineIn
from rules.accounts import AccountRole
from rules.bank_matching import ExpectedReceipt, match_receipt, reference_words
from rules.failed_refunds import paid_by_transfer
from services.payments import order_clearing, posting, receipt_fx
from services.payments.transfers import Transfer

R = AccountRole
MATCHED_TO = "refund_transfer"

# Locks the named credit notes first, so two statements showing one transfer clear it once.
_LOCK = "SELECT 1 FROM credit_note WHERE number = ANY(:w) ORDER BY id FOR UPDATE"
# What each named credit note's return still owes its customer in refunds payable: the transfer decision less
# the transfers the bank already showed (both posted with the return as their source).
_OWED = """
SELECT cn.number, ra.rma_number, l.currency, -sum(l.amount) AS owed, min(l.partner_id),
       o.number AS order_number, o.channel_id
  FROM credit_note cn
  JOIN return_authorisation ra ON ra.id = cn.return_id
  JOIN sales_order o ON o.id = ra.order_id
  JOIN journal_entry e ON e.entity_id = :e AND e.source_type = 'return' AND e.source_id = ra.rma_number
  JOIN journal_line l ON l.entry_id = e.id AND l.period = e.period
  JOIN account a ON a.id = l.account_id AND a.role = 'refunds_payable'
 WHERE ra.entity_id = :e AND cn.number = ANY(:w)
 GROUP BY cn.number, ra.rma_number, l.currency, o.number, o.channel_id
HAVING sum(l.amount) < 0
"""


@dataclass(frozen=True, slots=True)
class _Owed:
    """A return's refund still owed by transfer."""

    rma_number: str
    customer: str
    expected: ExpectedReceipt


def book(session: Session, entity_id: int, statement_id: int, line: StatementLineIn) -> Transfer | str | None:
    """Clear the refund payable the line's reference names when currency and amount agree; else why not (None:
    the line names no refund owed by transfer)."""
    texts = [line.reference, line.description]
    words = reference_words(texts)
    conn = session.connection()
    conn.execute(text(_LOCK), {"w": words})
    owed = [
        _Owed(str(rma), str(customer), ExpectedReceipt(MATCHED_TO, str(cn), left, str(cur)))
        for cn, rma, cur, amount, customer, order, channel in conn.execute(
            text(_OWED), {"e": entity_id, "w": words}
        )
        # A payout may have netted the order's refund already (services/payments/order_clearing.py).
        if (
            left := min(Decimal(amount), order_clearing.refunds_owed(session, entity_id, channel, order, cur))
        )
        > 0
    ]
    if not owed:
        return None
    match = match_receipt(-line.amount, line.currency, texts, [o.expected for o in owed])
    if match.receipt is None:
        return match.reason
    paid = next(o for o in owed if o.expected is match.receipt)
    source = ("return", paid.rma_number)
    # At the day's rate: the bank pays what the currency costs today; the difference from the rate the payable
    # was booked at is realised against fx_gain_loss (the payable ends at zero in the functional currency).
    entry = posting.post(
        session,
        posting.Entry(
            entity_id,
            f"bank:{statement_id}:line:{line.line_no}:refund",
            line.booking_date,
            *source,
            line.currency,
            partner=("customer", paid.customer),
            tagged=frozenset({R.REFUNDS_PAYABLE}),
        ),
        paid_by_transfer(-line.amount),
    )
    receipt_fx.realise(
        session,
        entity_id,
        entry,
        R.REFUNDS_PAYABLE,
        paid.customer,
        line.currency,
        line.booking_date,
        source,
        partner_type="customer",
    )
    return Transfer(match.receipt.ref, entry)
