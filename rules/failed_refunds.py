"""A refund the payment provider refused: what the person deciding may do, and what each choice posts."""

from decimal import Decimal
from typing import Literal

from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.posting_rules import DraftLine, PostingDraft, balanced

R = AccountRole
Decision = Literal["retry", "bank_transfer", "write_off"]
# Retry the refund through the provider; pay it by bank transfer (a payable to the customer until paid);
# or write off what the customer is owed (with a reason, e.g. the customer cannot be reached).
OPTIONS: tuple[Decision, ...] = ("retry", "bank_transfer", "write_off")


def check_decision(decision: str, comment: str | None) -> None:
    """A write-off says why; every decision is one of OPTIONS."""
    if decision not in OPTIONS:
        raise RuleViolation("decision", f"decision must be one of {list(OPTIONS)}, not {decision!r}")
    if decision == "write_off" and not (comment or "").strip():
        raise RuleViolation("comment", "a write-off needs a reason")


def settle_credit(decision: Decision, amount: Decimal) -> PostingDraft:
    """The credit note left on the order's receivable moves to a payable to the customer (bank transfer) or is
    written off; a retry posts through the payment port instead."""
    if decision == "retry":
        raise RuleViolation(
            "decision", "a retry refunds through the payment provider, it posts no settlement"
        )
    if amount <= 0:
        raise RuleViolation("amount", f"a refund to settle must be positive, got {amount}")
    to = R.REFUNDS_PAYABLE if decision == "bank_transfer" else R.REFUND_WRITE_OFF
    memo = "refund by bank transfer" if decision == "bank_transfer" else "refund written off"
    return balanced((DraftLine(R.AR, amount, memo), DraftLine(to, -amount, memo)))


def paid_by_transfer(amount: Decimal) -> PostingDraft:
    """The bank shows the transfer to the customer going out: the payable to the customer moves to the bank."""
    if amount <= 0:
        raise RuleViolation("amount", f"a refund paid by transfer must be positive, got {amount}")
    memo = "refund paid by bank transfer"
    return balanced((DraftLine(R.REFUNDS_PAYABLE, amount, memo), DraftLine(R.BANK, -amount, memo)))
