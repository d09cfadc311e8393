"""Paying a supplier invoice in parts: how much a part may be, and its share of the booked payable."""

from decimal import Decimal

from rules.errors import RuleViolation
from rules.money import minor_units, quantize


def check_part(field: str, amount: Decimal, open_amount: Decimal, currency: str, invoice: str) -> None:
    """A part payment is more than zero, in the currency's minor units, and at most what is open."""
    if amount <= 0:
        raise RuleViolation(field, f"a payment must be more than 0, got {amount}")
    if quantize(amount, currency) != amount:
        raise RuleViolation(field, f"{currency} is paid in at most {minor_units(currency)} decimal places")
    if amount > open_amount:
        raise RuleViolation(
            field, f"{amount} {currency} is more than the {open_amount} {currency} open on invoice {invoice}"
        )


def booked_share(
    booked: Decimal, gross: Decimal, paid_before: Decimal, amount: Decimal, functional: str
) -> Decimal:
    """What paying `amount` of an invoice of `gross` (with `paid_before` paid already) settles of its payable
    booked at `booked` (functional): in proportion, and the parts add up to `booked` exactly."""
    if gross <= 0:
        raise RuleViolation("gross", f"an invoice to pay must be positive, got {gross}")
    if amount <= 0 or paid_before < 0 or paid_before + amount > gross:
        raise RuleViolation("amount", f"{amount} after {paid_before} does not fit an invoice of {gross}")
    # Cumulative shares rounded, then differenced: rounding never drifts and the last part takes the rest.
    before = quantize(booked * paid_before / gross, functional)
    after = (
        booked
        if paid_before + amount == gross
        else quantize(booked * (paid_before + amount) / gross, functional)
    )
    return after - before
