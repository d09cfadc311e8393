"""Intercompany transfers: the money one entity of the group pays another for an intercompany charge.

The payer's bank statement shows the transfer going out with the charge's reference: that line clears its
intercompany payable to the bank. The receiver's statement shows it coming in and clears its intercompany
receivable. Each side once, in the charge's currency and up to what is still open of it; both post at the
statement day's rate and realise the difference from the charge's booked value (`receipt_fx`), so the
intercompany accounts end at zero in each entity's currency and consolidation has nothing left to eliminate
but the charge's revenue and cost."""

from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.payments import StatementLineIn
from rules.accounts import AccountRole
from rules.bank_matching import ExpectedReceipt, intercompany_settled, match_receipt, reference_words
from services.payments import posting, receipt_fx
from services.payments.transfers import Transfer

R = AccountRole
MATCHED_TO = "intercompany"
# Not the charge's own source type: consolidation eliminates the income and expense of entries of that type, and
# an exchange difference realised on the transfer is the group's own gain or loss (IAS 21), never eliminated.
SOURCE = "intercompany_transfer"

# Two statements naming one charge clear it once: the references a line names are locked first.
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('intercompany:' || w)) FROM unnest(CAST(:w AS text[])) w ORDER BY w"
# What is open of each named charge on this side: the charge and the transfers that paid it (both posted with the
# charge's reference as their source id), in the charge's currency; realised differences (functional) do not count.
_OPEN = """
SELECT e.source_id, l.partner_id, l.currency, sum(l.amount)
  FROM journal_entry e JOIN journal_line l ON l.entry_id = e.id AND l.period = e.period
  JOIN account a ON a.id = l.account_id
 WHERE e.entity_id = :e AND e.source_type IN ('intercompany', :src) AND e.source_id = ANY(:w) AND a.role = :role
   AND l.partner_type = 'entity' AND e.idempotency_key NOT LIKE :fx
 GROUP BY e.source_id, l.partner_id, l.currency
"""


def book(session: Session, entity_id: int, statement_id: int, line: StatementLineIn) -> Transfer | str | None:
    """Clear the intercompany payable (money out) or receivable (money in) of the charge the line names when
    currency and amount agree with what is open; else why not (None: the line names no open charge)."""
    texts = [line.reference, line.description]
    words = reference_words(texts)
    if not words:
        return None
    role = R.IC_PAYABLE if line.amount < 0 else R.IC_RECEIVABLE
    conn = session.connection()
    conn.execute(text(_LOCK), {"w": words})
    found = conn.execute(
        text(_OPEN), {"e": entity_id, "w": words, "role": role.value, "src": SOURCE, "fx": "%:realised_fx"}
    ).all()
    # A payable is open below zero, a receivable above.
    sign = -1 if role == R.IC_PAYABLE else 1
    open_charges = {
        ref: (str(partner), ExpectedReceipt(MATCHED_TO, str(ref), sign * Decimal(amount), str(currency)))
        for ref, partner, currency, amount in found
        if sign * Decimal(amount) > 0
    }
    if not open_charges:
        return None
    match = match_receipt(abs(line.amount), line.currency, texts, [e for _, e in open_charges.values()])
    if match.receipt is None:
        return match.reason
    reference = match.receipt.ref
    partner = open_charges[reference][0]
    entry = posting.post(
        session,
        posting.Entry(
            entity_id,
            f"bank:{statement_id}:line:{line.line_no}:intercompany",
            line.booking_date,
            SOURCE,
            reference,
            line.currency,
            partner=("entity", partner),
            tagged=frozenset({role}),
        ),
        intercompany_settled(line.amount, role),
    )
    receipt_fx.realise(
        session,
        entity_id,
        entry,
        role,
        partner,
        line.currency,
        line.booking_date,
        (SOURCE, reference),
        partner_type="entity",
    )
    return Transfer(reference, entry)
