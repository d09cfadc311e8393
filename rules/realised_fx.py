"""Realised exchange difference when a foreign-currency payable is paid at another rate than it was booked."""

from dataclasses import dataclass
from decimal import Decimal

from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.money import convert
from rules.posting_rules import DraftLine, PostingDraft, balanced

R = AccountRole


@dataclass(frozen=True, slots=True)
class RealisedFx:
    """What the payable was booked at and paid at in the functional currency; gain > 0, loss < 0."""

    booked: Decimal
    paid: Decimal
    gain: Decimal


def realised_on_payable(amount: Decimal, booked: Decimal, paid_rate: Decimal, functional: str) -> RealisedFx:
    """Paying `amount` (foreign) of a payable booked at `booked` (functional): a higher rate costs more."""
    if amount <= 0:
        raise RuleViolation("amount", f"a payment must be positive, got {amount}")
    if booked <= 0:
        raise RuleViolation("booked", f"the booked value must be positive, got {booked}")
    paid = convert(amount, paid_rate, functional)
    return RealisedFx(booked=booked, paid=paid, gain=booked - paid)


def realised_fx_posting(gain: Decimal) -> PostingDraft:
    """In the functional currency: the payable's remaining difference against the FX gain/loss account."""
    return balanced(
        (
            DraftLine(R.AP, gain, "realised FX on payment"),
            DraftLine(R.FX_GAIN_LOSS, -gain, "realised FX gain" if gain > 0 else "realised FX loss"),
        )
    )
