"""Chargebacks: a cardholder disputed a payment and the provider took the money back.

The money leaves payment clearing (the provider holds it back) into dispute clearing. Accepting the
chargeback writes it off as a chargeback loss; contesting keeps it in dispute clearing until the provider
rules: won, the money comes back to payment clearing; lost, it is a chargeback loss."""

from decimal import Decimal
from typing import Literal

from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.money import minor_units, quantize
from rules.posting_rules import DraftLine, PostingDraft, balanced

R = AccountRole
Outcome = Literal["accept", "won", "lost"]
DISPUTE_OPTIONS = ["accept", "contest"]
RULING_OPTIONS = ["won", "lost"]


def check_amount(amount: Decimal, paid: Decimal, currency: str, order_number: str) -> None:
    """A chargeback takes back at most what the customer paid by card and was not refunded or charged back."""
    if amount <= 0:
        raise RuleViolation("amount", f"a chargeback must be more than 0, got {amount}")
    if quantize(amount, currency) != amount:
        raise RuleViolation("amount", f"{currency} has at most {minor_units(currency)} decimal places")
    if amount > paid:
        raise RuleViolation(
            "amount", f"order {order_number} has {paid} {currency} paid by card to take back, not {amount}"
        )


def chargeback_posting(amount: Decimal) -> PostingDraft:
    """The provider took the money back: payment clearing -> dispute clearing."""
    return balanced(
        (
            DraftLine(R.DISPUTE_CLEARING, amount, "chargeback in dispute"),
            DraftLine(R.PAYMENT_CLEARING, -amount, "chargeback taken back by the provider"),
        )
    )


def settle_posting(outcome: Outcome, amount: Decimal) -> PostingDraft:
    """Accepted or lost: a chargeback loss; won: the money is back with the provider (payment clearing)."""
    to = R.PAYMENT_CLEARING if outcome == "won" else R.CHARGEBACK_LOSS
    memo = "chargeback won" if outcome == "won" else "chargeback loss"
    return balanced((DraftLine(to, amount, memo), DraftLine(R.DISPUTE_CLEARING, -amount, memo)))
