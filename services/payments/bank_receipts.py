"""Incoming bank statement lines: which PSP payout, marketplace settlement or customer order they pay, and
the posting that confirms it (`rules/bank_matching.py` decides the match)."""

from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from rules.accounts import AccountRole
from rules.bank_matching import ExpectedReceipt, customer_paid, payout_arrived
from rules.posting_rules import PostingDraft
from services.core import open_items
from services.payments import posting, receipt_fx

R = AccountRole
SOURCE = "bank_statement"

_PAYOUTS = """
SELECT id, payout_ref, in_transit, currency FROM psp_payout
 WHERE entity_id = :e AND status = 'in_transit' AND payout_ref = ANY(:w) ORDER BY id FOR UPDATE
"""
# A settlement's money in transit: what its posted lines put there, until a statement line confirmed it.
_SETTLEMENTS = """
SELECT s.id, s.reference, s.currency,
       (SELECT COALESCE(sum(l.amount), 0) FROM settlement_line sl JOIN journal_line l ON l.entry_id = sl.journal_entry_id
          JOIN account a ON a.id = l.account_id
         WHERE sl.settlement_id = s.id AND a.role = 'bank_in_transit') AS in_transit
  FROM marketplace_settlement s
 WHERE s.entity_id = :e AND s.reference = ANY(:w)
   AND NOT EXISTS (SELECT 1 FROM bank_statement_line b JOIN bank_statement bs ON bs.id = b.statement_id
                    WHERE bs.entity_id = s.entity_id AND b.matched_to = 'settlement' AND b.matched_ref = s.reference)
 ORDER BY s.id FOR UPDATE OF s
"""
# The entries that put a payout's (a settlement's) money in bank in transit.
_CARRIED_PAYOUT = "SELECT entry_id FROM psp_payout_line WHERE payout_id = :i AND entry_id IS NOT NULL"
_CARRIED_SETTLEMENT = (
    "SELECT journal_entry_id FROM settlement_line WHERE settlement_id = :i AND journal_entry_id IS NOT NULL"
)
_ORDERS = "SELECT number, currency FROM sales_order WHERE entity_id = :e AND number = ANY(:w) ORDER BY id FOR UPDATE"
# A transfer the order recorded as paid sits in payment clearing from shipment until the bank shows it (card
# captures there wait for the PSP's payout instead).
_TRANSFER_HELD = """
SELECT COALESCE(sum(l.amount), 0) FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
  JOIN account a ON a.id = l.account_id
 WHERE e.entity_id = :e AND a.role = 'payment_clearing' AND l.partner_type = 'order' AND l.partner_id = :n
   AND l.currency = :c
   AND EXISTS (SELECT 1 FROM sales_payment p JOIN sales_order o ON o.id = p.order_id
                WHERE o.number = :n AND p.kind = 'capture' AND p.method = 'transfer')
"""
# What the order owes in its own currency (a realised exchange difference moves only its functional value).
_OWED = """
SELECT COALESCE(sum(amount), 0) FROM open_item
 WHERE entity_id = :e AND side = 'ar' AND partner_type = 'order' AND partner_id = :n AND currency = :c
"""


def expected(session: Session, entity_id: int, words: list[str]) -> list[ExpectedReceipt]:
    """Payouts in transit, unconfirmed settlements and orders with an open receivable the words name."""
    if not words:
        return []
    conn = session.connection()
    found = [
        ExpectedReceipt("psp_payout", str(payout_ref), Decimal(in_transit), str(currency), int(payout_id))
        for payout_id, payout_ref, in_transit, currency in conn.execute(
            text(_PAYOUTS), {"e": entity_id, "w": words}
        )
    ]
    found += [
        ExpectedReceipt("settlement", str(reference), Decimal(in_transit), str(currency), int(settlement_id))
        for settlement_id, reference, currency, in_transit in conn.execute(
            text(_SETTLEMENTS), {"e": entity_id, "w": words}
        )
        if Decimal(in_transit) > 0
    ]
    for number, currency in conn.execute(text(_ORDERS), {"e": entity_id, "w": words}).all():
        owed = Decimal(conn.execute(text(_OWED), {"e": entity_id, "n": number, "c": currency}).scalar_one())
        held = Decimal(
            conn.execute(text(_TRANSFER_HELD), {"e": entity_id, "n": number, "c": currency}).scalar_one()
        )
        if owed > 0:
            found.append(ExpectedReceipt("customer_payment", str(number), owed, str(currency)))
        elif held > 0:
            found.append(
                ExpectedReceipt(
                    "customer_payment", str(number), held, str(currency), account=R.PAYMENT_CLEARING
                )
            )
    return found


def _post(
    session: Session,
    entity_id: int,
    key: str,
    on: date,
    source_id: str,
    currency: str,
    draft: PostingDraft,
    order: str | None,
) -> int:
    """The receivable and clearing lines carry the order (its open items and what it holds in clearing)."""
    return posting.post(
        session,
        posting.Entry(
            entity_id,
            key,
            on,
            SOURCE,
            source_id,
            currency,
            partner=("order", order) if order else None,
            tagged=frozenset({R.AR, R.PAYMENT_CLEARING}),
        ),
        draft,
    )


def book(
    session: Session,
    entity_id: int,
    statement: tuple[int, str],
    line_no: int,
    on: date,
    received: Decimal,
    receipt: ExpectedReceipt,
) -> int:
    """Post what a matched incoming line confirms, once; returns the entry."""
    if receipt.kind == "customer_payment":
        return _book_customer_payment(session, entity_id, statement, line_no, on, received, receipt)
    return _book_payout(session, entity_id, statement[1], on, received, receipt)


def _book_customer_payment(
    session: Session,
    entity_id: int,
    statement: tuple[int, str],
    line_no: int,
    on: date,
    received: Decimal,
    receipt: ExpectedReceipt,
) -> int:
    """A customer's transfer: the receivable (or payment clearing) is paid, and its exchange difference realised."""
    statement_id, statement_ref = statement
    entry = _post(
        session,
        entity_id,
        f"bank:{statement_id}:line:{line_no}:customer_payment",
        on,
        statement_ref,
        receipt.currency,
        customer_paid(received, receipt.account),
        receipt.ref,
    )
    if receipt.account == R.AR:
        open_items.record(session, entry, "payment", f"{statement_ref}:{line_no}", against=receipt.ref)
    # A foreign-currency order was booked at its day's rate; the bank's money arrives at today's.
    receipt_fx.realise(
        session, entity_id, entry, receipt.account, receipt.ref, receipt.currency, on, (SOURCE, statement_ref)
    )
    return entry


def _book_payout(
    session: Session,
    entity_id: int,
    statement_ref: str,
    on: date,
    received: Decimal,
    receipt: ExpectedReceipt,
) -> int:
    """A PSP payout or marketplace settlement arrives: bank in transit clears, its exchange difference realised."""
    entry = _post(
        session,
        entity_id,
        f"{receipt.kind}:{receipt.ident}:bank",
        on,
        statement_ref,
        receipt.currency,
        payout_arrived(receipt.amount, received),
        None,
    )
    carried = [
        int(entry_id)
        for entry_id in session.connection()
        .execute(
            text(_CARRIED_PAYOUT if receipt.kind == "psp_payout" else _CARRIED_SETTLEMENT),
            {"i": receipt.ident},
        )
        .scalars()
    ]
    # Paid out on one day, at the bank on another: a foreign-currency payout's rate moved in between.
    receipt_fx.realise_in_transit(
        session,
        entity_id,
        entry,
        carried,
        receipt.currency,
        on,
        (SOURCE, statement_ref),
        f"{receipt.kind.replace('_', ' ')} {receipt.ref}",
    )
    if receipt.kind == "psp_payout":
        session.connection().execute(
            text("UPDATE psp_payout SET status = 'cleared', cleared_entry_id = :c WHERE id = :p"),
            {"c": entry, "p": receipt.ident},
        )
    return entry
