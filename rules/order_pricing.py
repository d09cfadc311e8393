"""Order line amounts (gross, discount, net, tax) and the share of them each shipment invoices."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rules.errors import RuleViolation
from rules.money import quantize


@dataclass(frozen=True, slots=True)
class LineAmounts:
    """Amounts of one order line in the order currency; net = gross - discount, tax on net."""

    gross: Decimal
    discount: Decimal
    net: Decimal
    tax: Decimal


def line_amounts(
    field: str, qty: Decimal, unit_price: Decimal, discount: Decimal, tax_rate: Decimal, currency: str
) -> LineAmounts:
    """Price a line; `field` prefixes the names in errors (e.g. 'lines[2]')."""
    if qty <= 0:
        raise RuleViolation(f"{field}.qty", f"quantity must be positive, got {qty}")
    if unit_price < 0:
        raise RuleViolation(f"{field}.unit_price", f"price must not be negative, got {unit_price}")
    if discount < 0:
        raise RuleViolation(f"{field}.discount", f"discount must not be negative, got {discount}")
    gross = quantize(qty * unit_price, currency)
    disc = quantize(discount, currency)
    if disc > gross:
        raise RuleViolation(f"{field}.discount", f"discount {disc} exceeds the line amount {gross}")
    net = gross - disc
    return LineAmounts(gross=gross, discount=disc, net=net, tax=quantize(net * tax_rate, currency))


def promotion_discount(gross: Decimal, percent_off: Decimal, currency: str) -> Decimal:
    """Discount a percentage promotion gives on a line amount."""
    return quantize(gross * percent_off / Decimal(100), currency)


def shipped_share(total: Decimal, qty: Decimal, before: Decimal, now: Decimal, currency: str) -> Decimal:
    """Part of a line total invoiced by shipping `now` units after `before`; shares add up to the total."""
    if qty <= 0 or before < 0 or now < 0 or before + now > qty:
        raise RuleViolation("qty", f"cannot ship {now} after {before} of {qty}")
    # Cumulative rounding: each shipment takes round(total x shipped so far) minus what earlier ones took.
    upto = quantize(total * (before + now) / qty, currency)
    return upto - quantize(total * before / qty, currency)
