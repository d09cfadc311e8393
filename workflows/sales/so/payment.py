"""The customer's money: authorise (a declined card waits for a new payment), renew a lapsed authorisation
before shipment, capture what each shipment makes due, and void what will never be captured."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.sales import SalesActivities
    from models.contracts.errors import CONFLICT, INVALID
    from models.contracts.sales import PaymentCall, PaymentDone, PaymentReceived
    from workflows.inbox import refusal
    from workflows.sales.so.effects import Effects
    from workflows.sales.so.facts import PAYMENT_PATHS, ZERO, OrderFacts


class PaymentStage:
    """What was authorised and captured, how often, until when, and with which card."""

    def __init__(self, facts: OrderFacts, fx: Effects) -> None:
        self.facts, self.fx = facts, fx
        self.authorised = ZERO
        self.captured = ZERO
        self.auth_attempts = 0
        self.auth_expires: date | None = None
        self.card_reference = facts.order.payment_reference

    def check_pay(self, payment: PaymentReceived) -> None:
        """Only an open, unpaid order takes a payment, and only in full."""
        facts = self.facts
        if facts.cancelled:
            raise refusal(CONFLICT, "the order is cancelled")
        if facts.paid:
            raise refusal(CONFLICT, "the order is paid already")
        if payment.amount < facts.total_due():
            raise refusal(INVALID, f"amount {payment.amount} is less than the {facts.total_due()} due")

    async def pay(self, payment: PaymentReceived) -> None:
        """A payment for an order waiting for one; a declined one is refused and the order still waits."""
        facts = self.facts
        await self.authorise(payment.amount, payment.method, payment.reference)
        if facts.declined is not None:
            await self.fx.sync_stage()
            raise refusal(
                INVALID, f"reference: the payment was declined ({facts.declined}); the order still waits"
            )
        facts.paid = True
        await self.fx.sync_stage()

    async def authorise(
        self, amount: Decimal, method: str, reference: str | None, renew: bool = False
    ) -> None:
        """Authorise `amount` on top of what was captured; a declined one is remembered with its reason."""
        facts = self.facts
        self.auth_attempts += 1
        # The first authorisation keeps its key (recorded histories); each later one is a new payment event.
        key = f"{facts.key}:payment:authorise"
        if self.auth_attempts > 1:
            key += f":{'reauth' if renew else 'attempt'}:{self.auth_attempts}"
        done = await self.call(SalesActivities.authorise, key, amount, reference, method)
        if done.status != "approved" and workflow.patched(PAYMENT_PATHS):
            facts.declined = done.reason or done.status
            facts.paid = False
            return
        facts.declined = None
        self.authorised = self.captured + amount
        self.auth_expires = done.expires_on
        if method == "card":
            self.card_reference = reference

    async def renew_lapsed_authorisation(self) -> None:
        """A card authorisation that lapsed before shipment is renewed for the amount not yet captured."""
        lapsed = self.auth_expires is not None and workflow.now().date() > self.auth_expires
        if not lapsed or self.facts.order.payment_method != "card" or not workflow.patched(PAYMENT_PATHS):
            return
        await self.authorise(self.authorised - self.captured, "card", self.card_reference, renew=True)

    async def capture(self, shipment_key: str, due: Decimal) -> None:
        """Capture what a shipment made due (a marketplace collects the money itself)."""
        if self.facts.order.payment_method != "marketplace":
            await self.call(SalesActivities.capture, f"{shipment_key}:capture", due, None)
            self.captured += due

    async def close(self) -> None:
        """Void whatever was authorised and will not be captured."""
        rest = self.authorised - self.captured
        if rest > 0 and self.facts.finished():
            await self.call(SalesActivities.void, f"{self.facts.key}:payment:void", rest, None)
            self.authorised = self.captured

    async def call(
        self,
        step: Callable[[SalesActivities, PaymentCall], PaymentDone],
        key: str,
        amount: Decimal,
        reference: str | None,
        method: str | None = None,
    ) -> PaymentDone:
        """One keyed call to the payment provider for this order."""
        order = self.facts.order
        call = PaymentCall(
            order_number=order.order_number,
            key=key,
            method=method or order.payment_method,
            amount=amount,
            currency=order.currency,
            posting_date=workflow.now().date(),
            reference=reference,
        )
        return await self.fx.act(step, call)
