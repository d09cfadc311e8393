"""A marketplace payout line against the order's open receivable: settle it, or is it a difference?"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from rules.money import quantize

Verdict = Literal["settle", "short", "over", "nothing_open"]

# A marketplace rounds per line (tax, currency conversion): a few cents either way is rounding, not a dispute.
DEFAULT_ABSOLUTE = Decimal("0.05")
# A percentage of the open receivable, for large orders where the marketplace's rounding grows with them.
DEFAULT_PERCENT = Decimal("0")


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far a payout line may differ from the open receivable and still settle it."""

    absolute: Decimal = DEFAULT_ABSOLUTE
    percent: Decimal = DEFAULT_PERCENT

    def allowed(self, open_amount: Decimal, currency: str) -> Decimal:
        """The larger of the absolute and the percentage allowance, in the currency's minor unit."""
        return quantize(max(self.absolute, abs(open_amount) * self.percent / 100), currency)


@dataclass(frozen=True, slots=True)
class LineCheck:
    """The verdict and the difference (gross - open; > 0 means the marketplace paid more than is owed)."""

    verdict: Verdict
    difference: Decimal


def check_line(
    gross: Decimal, open_amount: Decimal, currency: str, tolerance: Tolerance = Tolerance()
) -> LineCheck:
    """Settle when gross is within tolerance of what is open; otherwise name the kind of difference."""
    open_q = quantize(open_amount, currency)
    difference = quantize(gross, currency) - open_q
    if open_q <= 0:
        return LineCheck("nothing_open", difference)
    if abs(difference) <= tolerance.allowed(open_q, currency):
        return LineCheck("settle", difference)
    return LineCheck("short" if difference < 0 else "over", difference)


def report_fingerprint(lines: Iterable[tuple[str, Decimal, Decimal]]) -> str:
    """The same payout whatever its reference or line order: sha256 of (external id, gross, fees) sorted."""
    canon = sorted(f"{x}|{_canonical(g)}|{_canonical(f)}" for x, g, f in lines)
    return hashlib.sha256("\n".join(canon).encode()).hexdigest()


def _canonical(value: Decimal) -> str:
    """59.5 and 59.50 are the same amount."""
    return format(value.normalize(), "f") if value else "0"
