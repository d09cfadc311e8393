"""A payment provider's payout line against what the order holds in payment clearing, and how it posts."""

from decimal import Decimal

from rules.accounts import AccountRole
from rules.posting_rules import DraftLine, PostingDraft, balanced
from rules.settlement_check import LineCheck, Tolerance, check_line

R = AccountRole
# A card capture is paid out to the cent; only a currency conversion at the provider leaves a rest.
TOLERANCE = Tolerance(absolute=Decimal("0.01"))


def check(gross: Decimal, held: Decimal, currency: str) -> LineCheck:
    """Pay out when the reported gross is what the order holds in clearing (within a cent)."""
    return check_line(gross, held, currency, TOLERANCE)


def payout_line(gross: Decimal, fees: Decimal, clears: Decimal) -> PostingDraft:
    """Gross less fees goes to bank in transit, fees to bank charges, clearing credited by what it held.

    `clears` differs from `gross` only by a rounding rest within tolerance or a difference a person accepted;
    that rest is a provider charge (or a credit to it) like the fees."""
    return balanced(
        (
            DraftLine(R.BANK_IN_TRANSIT, gross - fees, "payment provider payout"),
            DraftLine(R.BANK_CHARGES, fees + clears - gross, "payment provider fees"),
            DraftLine(R.PAYMENT_CLEARING, -clears, "card captures paid out"),
        )
    )
