"""The payment port, its built-in implementation (card/cash clearing in our own ledger), a sandbox provider
that declines, lapses and fails like a real one, and the per-channel choice between them."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.sales import PaymentCall, PaymentDone, PaymentOutcome
from rules.accounts import AccountRole
from services.core import ledger, open_items
from services.core.ledger import LineIn
from services.payments import receipt_fx
from services.sales.store import order_head


class PaymentPort(Protocol):
    """What the order flow needs from a payment provider; every call is idempotent by `call.key`."""

    def authorise(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Hold the amount on the customer's means of payment (status declined: the provider said no)."""
        ...

    def capture(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Take (part of) an authorised amount when goods ship."""
        ...

    def void(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Drop an authorisation that will never be captured."""
        ...

    def refund(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Give captured money back (status failed: the money did not go back, `reason` says why)."""
        ...


class LedgerPaymentPort:
    """No gateway: an authorisation is a record; a capture moves the receivable to payment clearing."""

    def _record(
        self,
        session: Session,
        call: PaymentCall,
        kind: str,
        entry_id: int | None,
        outcome: PaymentOutcome = "approved",
        reason: str | None = None,
        expires_on: date | None = None,
    ) -> PaymentDone:
        order_id = order_head(session, call.order_number).id
        row = (
            session.connection()
            .execute(
                text(
                    """
                INSERT INTO sales_payment (order_id, payment_key, kind, method, amount, currency, reference,
                                           journal_entry_id, status, reason, expires_on)
                VALUES (:o, :k, :kind, :m, :a, :c, :r, :je, :st, :why, :exp)
                ON CONFLICT (payment_key) DO UPDATE SET payment_key = EXCLUDED.payment_key
                RETURNING id, journal_entry_id, status, reason, expires_on
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
                    "st": outcome,
                    "why": reason,
                    "exp": expires_on,
                },
            )
            .one()
        )
        # A retried call answers what was recorded the first time.
        return PaymentDone(
            payment_id=int(row[0]), journal_entry_id=row[1], status=row[2], reason=row[3], expires_on=row[4]
        )

    def _post(self, session: Session, call: PaymentCall, amount: Decimal, memo: str) -> int | None:
        if amount == 0:
            return None
        entity_id = order_head(session, call.order_number).entity_id
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
        if entry is not None:
            # A foreign-currency refund takes the money out of clearing at its own day's rate: the difference
            # to the rate clearing carried it at is realised now (a full refund sees no payout that would).
            entity_id = order_head(session, call.order_number).entity_id
            receipt_fx.realise(
                session,
                entity_id,
                entry,
                AccountRole.PAYMENT_CLEARING,
                call.order_number,
                call.currency,
                call.posting_date,
                ("sales_order", call.order_number),
            )
        return self._record(session, call, "refund", entry)


# A card authorisation holds the money this long at most (issuers drop it after about a week).
AUTHORISATION_DAYS = 7


class SandboxPaymentPort(LedgerPaymentPort):
    """A provider's test mode: the card token decides, as a PSP's test cards do.

    "sandbox:decline..." is declined at authorisation; "sandbox:lapsed..." is authorised but already lapsed
    (its re-authorisation is approved, or declined for "sandbox:lapsed-decline"); a refund to a card
    authorised as "sandbox:refund-fails..." fails. Every other token behaves like a good card.
    """

    def authorise(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Decline, lapse or approve by the token; approved authorisations lapse after AUTHORISATION_DAYS."""
        token = call.reference or ""
        again = ":reauth" in call.key
        if token.startswith("sandbox:decline") or (again and token.startswith("sandbox:lapsed-decline")):
            return self._record(session, call, "authorise", None, "declined", "card declined by the issuer")
        lapsed = token.startswith("sandbox:lapsed") and not again
        days = -1 if lapsed else AUTHORISATION_DAYS
        return self._record(
            session, call, "authorise", None, expires_on=call.posting_date + timedelta(days=days)
        )

    def refund(self, session: Session, call: PaymentCall) -> PaymentDone:
        """A refund to a card whose account is closed fails; nothing is posted then."""
        if _card_token(session, call.order_number).startswith("sandbox:refund-fails"):
            reason = "the issuer refused the refund: the card account is closed"
            return self._record(session, call, "refund", None, "failed", reason)
        return super().refund(session, call)


def _card_token(session: Session, number: str) -> str:
    """The token of the order's last approved authorisation ('' when none)."""
    token = (
        session.connection()
        .execute(
            text(
                """
            SELECT p.reference FROM sales_payment p JOIN sales_order o ON o.id = p.order_id
             WHERE o.number = :n AND p.kind = 'authorise' AND p.status = 'approved' ORDER BY p.id DESC LIMIT 1
            """
            ),
            {"n": number},
        )
        .scalar()
    )
    return str(token or "")


PROVIDERS: dict[str, PaymentPort] = {"ledger": LedgerPaymentPort(), "sandbox": SandboxPaymentPort()}


class ChannelPaymentPort:
    """The adapter the order's channel names (channel.payment_provider): one worker serves every channel."""

    def _port(self, session: Session, number: str) -> PaymentPort:
        provider = (
            session.connection()
            .execute(
                text(
                    "SELECT c.payment_provider FROM sales_order o JOIN channel c ON c.id = o.channel_id"
                    " WHERE o.number = :n"
                ),
                {"n": number},
            )
            .scalar()
        )
        return PROVIDERS.get(str(provider), PROVIDERS["ledger"])

    def authorise(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Authorise through the channel's provider."""
        return self._port(session, call.order_number).authorise(session, call)

    def capture(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Capture through the channel's provider."""
        return self._port(session, call.order_number).capture(session, call)

    def void(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Void through the channel's provider."""
        return self._port(session, call.order_number).void(session, call)

    def refund(self, session: Session, call: PaymentCall) -> PaymentDone:
        """Refund through the channel's provider."""
        return self._port(session, call.order_number).refund(session, call)
