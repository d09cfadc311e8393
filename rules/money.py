"""Money arithmetic: per-currency rounding, conversion and exact proportional allocation."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import cache

from rules.errors import RuleViolation

# ISO 4217 exponents that differ from the default of 2.
_ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "PYG", "UGX", "XAF", "XOF", "XPF"})
_THREE_DECIMAL = frozenset({"BHD", "KWD", "OMR", "JOD", "TND", "IQD", "LYD"})

_COST_STEP = Decimal("0.000001")
_QTY_STEP = Decimal("0.0001")


def _code(currency: str) -> str:
    """Return the upper-case ISO code or refuse a malformed one."""
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise RuleViolation("currency", f"{currency!r} is not a 3-letter ISO 4217 code")
    return code


def minor_units(currency: str) -> int:
    """Number of decimals of the currency's minor unit."""
    code = _code(currency)
    if code in _ZERO_DECIMAL:
        return 0
    if code in _THREE_DECIMAL:
        return 3
    return 2


@cache  # bulk posting quantizes every line: the step of a currency never changes
def _step(currency: str) -> Decimal:
    """Smallest representable amount of the currency, e.g. 0.01."""
    return Decimal(1).scaleb(-minor_units(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round an amount to the currency's minor unit, half up."""
    return amount.quantize(_step(currency), rounding=ROUND_HALF_UP)


def quantize_cost(x: Decimal) -> Decimal:
    """Round a unit cost to 6 decimals (finer than money so extended values stay exact)."""
    return x.quantize(_COST_STEP, rounding=ROUND_HALF_UP)


def quantize_qty(x: Decimal) -> Decimal:
    """Round a quantity to 4 decimals."""
    return x.quantize(_QTY_STEP, rounding=ROUND_HALF_UP)


def convert(amount: Decimal, rate: Decimal, to_currency: str) -> Decimal:
    """Convert with a rate quoted as units of `to_currency` per unit of the source currency."""
    if rate <= 0:
        raise RuleViolation("rate", f"exchange rate must be positive, got {rate}")
    return quantize(amount * rate, to_currency)


def allocate(total: Decimal, weights: Sequence[Decimal], currency: str) -> tuple[Decimal, ...]:
    """Split `total` in proportion to `weights`; parts sum exactly to the quantized total."""
    if not weights:
        raise RuleViolation("weights", "at least one weight is needed")
    if any(w < 0 for w in weights):
        raise RuleViolation("weights", "weights must not be negative")
    if all(w == 0 for w in weights):
        weights = [Decimal(1)] * len(weights)
    step = _step(currency)
    total = quantize(total, currency)
    sign = -1 if total < 0 else 1
    # Work in whole minor units of the absolute total so the leftover is a count of cents to hand out.
    units = int(abs(total) / step)
    weight_sum = sum(weights, Decimal(0))
    exact = [units * w / weight_sum for w in weights]
    floors = [int(e.to_integral_value(rounding=ROUND_FLOOR)) for e in exact]
    leftover = units - sum(floors)
    # Largest remainder first; equal remainders go to the earlier weight so the result is deterministic.
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return tuple(quantize(sign * n * step, currency) for n in floors)
