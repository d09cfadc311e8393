"""A payment provider's payout lines of an order against what the order holds in payment clearing, and how
each line posts.

A capture line pays card money out (the order's clearing is credited); a chargeback or refund line is money
the provider keeps back from the payout because it took it from the order after paying the order out (the
order's clearing went below zero when the chargeback or refund was posted, and the withheld line debits it
back), or paid to the customer for a refund the shop owed after the card refund failed (refunds payable).
Amounts here are signed: a withheld line's gross counts negative."""

from decimal import Decimal

from rules.accounts import AccountRole
from rules.money import quantize
from rules.posting_rules import DraftLine, PostingDraft, balanced
from rules.settlement_check import LineCheck, Tolerance, check_line

R = AccountRole
# A card capture is paid out to the cent; only a currency conversion at the provider leaves a rest.
TOLERANCE = Tolerance(absolute=Decimal("0.01"))
WITHHELD = ("chargeback", "refund")


def signed(kind: str, gross: Decimal) -> Decimal:
    """A line's gross as it moves the payout: captures add, withheld chargebacks and refunds take away."""
    return -gross if kind in WITHHELD else gross


def check(reported: Decimal, held: Decimal, currency: str) -> LineCheck:
    """Post when what the payout reports for the order (its lines' signed gross) is what the order holds in
    clearing, within a cent: captures paid out (> 0), money taken back after a payout withheld (< 0), or a
    capture and its chargeback in the same payout (nothing, for an order that holds nothing)."""
    if reported > 0 or held > 0:
        return check_line(reported, held, currency, TOLERANCE)
    difference = quantize(reported, currency) - quantize(held, currency)
    if held == 0:
        return LineCheck("settle" if reported == 0 else "nothing_open", difference)
    mirrored = check_line(-reported, -held, currency, TOLERANCE)
    return LineCheck(mirrored.verdict, difference)


def payout_line(
    gross: Decimal, fees: Decimal, clears: Decimal, against: AccountRole = R.PAYMENT_CLEARING
) -> PostingDraft:
    """Gross (signed) less fees goes to bank in transit, fees to bank charges, clearing credited by what it held
    (`clears`, signed like `gross`: a withheld line debits clearing; or debits refunds payable, `against`, when
    the provider pays a refund the shop owed the customer after the card refund failed).

    `clears` differs from `gross` only by a rounding rest within tolerance or a difference a person accepted;
    that rest is a provider charge (or a credit to it) like the fees."""
    return balanced(
        (
            DraftLine(R.BANK_IN_TRANSIT, gross - fees, "payment provider payout"),
            DraftLine(R.BANK_CHARGES, fees + clears - gross, "payment provider fees"),
            DraftLine(
                against,
                -clears,
                "card captures paid out" if gross >= 0 else "withheld by the payment provider",
            ),
        )
    )
