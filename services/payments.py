"""The payment port and its built-in implementation: card/cash clearing recorded in our own ledger."""

from decimal import Decimal
from typing import Protocol

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.sales import PaymentCall, PaymentDone
from rules.accounts import AccountRole
from services import ledger, open_items
from services.errors import NotFound
from services.ledger import LineIn


class PaymentPort(Protocol):
    """What the order flow needs from a payment provider; every call is idempotent by `call.key`."""

    def authorise(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Hold the amount on the customer's means of payment."""
        ...

    def capture(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Take (part of) an authorised amount when goods ship."""
        ...

    def void(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Drop an authorisation that will never be captured."""
        ...

    def refund(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Give captured money back."""
        ...


def _order(session: Session, number: str) -> tuple[int, int]:
    row = (
        session.connection()
        .execute(text("SELECT id, entity_id FROM sales_order WHERE number = :n"), {"n": number})
        .first()
    )
    if row is None:
        raise NotFound("order_number", f"order {number} does not exist")
    return int(row[0]), int(row[1])


class LedgerPaymentPort:
    """No gateway: an authorisation is a record; a capture moves the receivable to payment clearing."""

    def _record(self, session: Session, call: PaymentCall, kind: str, entry_id: int | None) -> PaymentDone:
        order_id, _ = _order(session, call.order_number)
        row = (
            session.connection()
            .execute(
                text(
                    """
                INSERT INTO sales_payment (order_id, payment_key, kind, method, amount, currency, reference,
                                           journal_entry_id)
                VALUES (:o, :k, :kind, :m, :a, :c, :r, :je)
                ON CONFLICT (payment_key) DO UPDATE SET payment_key = EXCLUDED.payment_key RETURNING id
                """
                ),
                {
                    "o": order_id,
                    "k": call.key,
                    "kind": kind,
                    "m": call.method,
                    "a": call.amount,
                    "c": call.currency,
                    "r": call.reference,
                    "je": entry_id,
                },
            )
            .one()
        )
        return PaymentDone(payment_id=int(row[0]), journal_entry_id=entry_id)

    def _post(self, session: Session, call: PaymentCall, amount: Decimal, memo: str) -> int | None:
        if amount == 0:
            return None
        _, entity_id = _order(session, call.order_number)
        posted = ledger.post(
            session,
            ledger.PostingRequest(
                entity_id=entity_id,
                idempotency_key=f"{call.key}:gl",
                posting_date=call.posting_date,
                source_type="sales_order",
                source_id=call.order_number,
                currency=call.currency,
                memo=memo,
                lines=[
                    LineIn(AccountRole.PAYMENT_CLEARING, amount, memo, "order", call.order_number),
                    LineIn(AccountRole.AR, -amount, memo, "order", call.order_number),
                ],
            ),
        )
        open_items.record(session, posted.entry_id, "capture" if amount > 0 else "refund", call.key)
        return posted.entry_id

    def authorise(self, session: Session, call: PaymentCall) -> PaymentDone:
        """An authorisation is not an accounting event: only recorded."""
        return self._record(session, call, "authorise", None)

    def capture(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Dr payment clearing, Cr receivable: the card/cash money is collected, awaiting payout."""
        entry = self._post(session, call, call.amount, f"payment captured ({call.method})")
        return self._record(session, call, "capture", entry)

    def void(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Nothing was captured, so nothing is posted."""
        return self._record(session, call, "void", None)

    def refund(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Dr receivable, Cr payment clearing: the mirror of a capture."""
        entry = self._post(session, call, -call.amount, f"payment refunded ({call.method})")
        return self._record(session, call, "refund", entry)
