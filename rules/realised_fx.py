"""Realised exchange difference when a foreign-currency payable is paid, or a receivable (or the money held
for it in payment clearing) is received, at another rate than it was booked."""

from dataclasses import dataclass
from decimal import Decimal

from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.money import convert, quantize
from rules.posting_rules import DraftLine, PostingDraft, balanced

R = AccountRole


@dataclass(frozen=True, slots=True)
class RealisedFx:
    """What the payable (receivable) was booked at and paid (received) at in the functional currency; gain > 0,
    loss < 0."""

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


def realised_on_receivable(
    cleared: Decimal, held: Decimal, held_func: Decimal, received_func: Decimal, functional: str
) -> RealisedFx:
    """Money clearing `cleared` (foreign) of the `held` (foreign) an order's receivable or clearing carried at
    `held_func` (functional), credited there at `received_func` (functional, at the receipt day's rate): its
    proportional share of the carrying value was booked; receiving more functional money than booked is a gain.
    Clearing all that is held settles the whole carrying value, so the account ends at zero in the functional
    currency; clearing more (a receipt within tolerance) realises only on what was held: the excess stays on
    the account at the receipt's rate."""
    if cleared <= 0:
        raise RuleViolation("cleared", f"a receipt must clear a positive amount, got {cleared}")
    if held <= 0:
        raise RuleViolation("held", f"nothing is held to clear, got {held}")
    booked = held_func if cleared >= held else quantize(held_func * cleared / held, functional)
    received = received_func if cleared <= held else quantize(received_func * held / cleared, functional)
    return RealisedFx(booked=booked, paid=received, gain=received - booked)


def realised_fx_posting(gain: Decimal, role: AccountRole = R.AP) -> PostingDraft:
    """In the functional currency: the difference left on the payable, receivable or clearing account (`role`)
    against the FX gain/loss account."""
    return balanced(
        (
            DraftLine(role, gain, "realised FX on payment" if role == R.AP else "realised FX on receipt"),
            DraftLine(R.FX_GAIN_LOSS, -gain, "realised FX gain" if gain > 0 else "realised FX loss"),
        )
    )
