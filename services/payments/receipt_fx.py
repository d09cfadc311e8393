"""Realised FX when money clears what an order of a foreign-currency channel owes or holds.

The receivable (AR) and the card money in payment clearing are booked at the rate of the day they are
posted; the payout, settlement or bank receipt that clears them (or the provider's chargeback that takes the
card money back, and the decision that moves it out of dispute clearing; or a refund to the card, and a credit
note on a marketplace order's receivable) posts at its own day's rate. After the
receipt is posted, the order's position on the account before it and what the receipt credited are read
from the ledger (in the channel's currency and in the functional one), `rules/realised_fx.py` measures the
difference, and it is posted in the functional currency against `fx_gain_loss`: the order's account ends at
zero in the functional currency when the receipt cleared it."""

from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from rules.accounts import AccountRole
from rules.realised_fx import realised_fx_posting, realised_on_receivable
from services.core import ledger, open_items
from services.payments import posting

# The order's lines on the account: in the channel's currency (what is held) and in the functional currency
# whatever the line's currency (earlier realised differences, posted in the functional currency, count too).
_POSITION = """
SELECT COALESCE(sum(l.amount) FILTER (WHERE l.currency = :c AND e.id <> :je), 0),
       COALESCE(sum(l.amount_func) FILTER (WHERE e.id <> :je), 0),
       COALESCE(-sum(l.amount) FILTER (WHERE l.currency = :c AND e.id = :je), 0),
       COALESCE(-sum(l.amount_func) FILTER (WHERE e.id = :je), 0)
  FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
 WHERE e.entity_id = :e AND a.role = :role AND l.partner_type = :pt AND l.partner_id = :n
   AND e.idempotency_key <> :fx
"""


def _gain(
    held: Decimal, held_func: Decimal, cleared: Decimal, received_func: Decimal, functional: str
) -> Decimal:
    """The realised gain (a loss < 0) of clearing `cleared` of what an account `held`; 0 when it cleared none."""
    if cleared < 0 and held < 0:
        # Money owed back (clearing below zero: taken back after a payout; bank in transit below zero: a payout
        # the provider collects from the bank) is paid now: the mirror of a receipt, where a higher rate costs more.
        return -realised_on_receivable(-cleared, -held, -held_func, -received_func, functional).gain
    if cleared <= 0 or held <= 0:
        return Decimal(0)
    return realised_on_receivable(cleared, held, held_func, received_func, functional).gain


def realise(
    session: Session,
    entity_id: int,
    receipt_entry: int,
    role: AccountRole,
    order: str,
    currency: str,
    on: date,
    source: tuple[str, str],
    partner_type: str = "order",
) -> Decimal:
    """Post the realised FX of a receipt entry on the order's `role` account once (keyed by the receipt);
    returns the gain (a loss < 0; 0 in the functional currency or when the receipt cleared nothing). With
    `partner_type` "customer", `order` names the customer whose account it is (refunds payable)."""
    functional = ledger.entity_currency(session, entity_id)
    if currency == functional:
        return Decimal(0)
    key = f"je:{receipt_entry}:{role.value}:realised_fx"
    row = (
        session.connection()
        .execute(
            text(_POSITION),
            {
                "c": currency,
                "je": receipt_entry,
                "e": entity_id,
                "role": role.value,
                "pt": partner_type,
                "n": order,
                "fx": key,
            },
        )
        .one()
    )
    held, held_func, cleared, received_func = (Decimal(v) for v in row)
    gain = _gain(held, held_func, cleared, received_func, functional)
    if not gain:
        return gain
    source_type, source_id = source
    entry = posting.post(
        session,
        posting.Entry(
            entity_id,
            key,
            on,
            source_type,
            source_id,
            functional,
            memo=f"realised FX on {partner_type} {order}",
            partner=(partner_type, order),
            tagged=frozenset({role}),
        ),
        realised_fx_posting(gain, role),
    )
    if role == AccountRole.AR:
        # The receivable's open items must add up to the control account in the functional currency; the
        # difference is the order's own (in its currency nothing moves), so it is never open on its own.
        open_items.record(session, entry, "payment", f"fx:{receipt_entry}", against=order, restates=currency)
    return gain


# Bank in transit of a payout or settlement: what its entries put there, and what the bank's arrival took out.
_IN_TRANSIT = """
SELECT COALESCE(sum(l.amount) FILTER (WHERE l.currency = :c AND e.id = ANY(:carried)), 0),
       COALESCE(sum(l.amount_func) FILTER (WHERE e.id = ANY(:carried)), 0),
       COALESCE(-sum(l.amount) FILTER (WHERE l.currency = :c AND e.id = :je), 0),
       COALESCE(-sum(l.amount_func) FILTER (WHERE e.id = :je), 0)
  FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
 WHERE e.entity_id = :e AND a.role = 'bank_in_transit' AND (e.id = ANY(:carried) OR e.id = :je)
"""


def realise_in_transit(
    session: Session,
    entity_id: int,
    arrival_entry: int,
    carried: list[int],
    currency: str,
    on: date,
    source: tuple[str, str],
    what: str,
) -> Decimal:
    """Post the realised FX of a payout (or settlement, `what` names it) whose money left bank in transit for the bank at
    another day's rate than the `carried` entries put it there; returns the gain (a loss < 0)."""
    functional = ledger.entity_currency(session, entity_id)
    if currency == functional or not carried:
        return Decimal(0)
    row = (
        session.connection()
        .execute(text(_IN_TRANSIT), {"c": currency, "carried": carried, "je": arrival_entry, "e": entity_id})
        .one()
    )
    held, held_func, cleared, received_func = (Decimal(v) for v in row)
    gain = _gain(held, held_func, cleared, received_func, functional)
    if gain:
        source_type, source_id = source
        posting.post(
            session,
            posting.Entry(
                entity_id,
                f"je:{arrival_entry}:bank_in_transit:realised_fx",
                on,
                source_type,
                source_id,
                functional,
                memo=f"realised FX on {what} in transit",
            ),
            realised_fx_posting(gain, AccountRole.BANK_IN_TRANSIT),
        )
    return gain
