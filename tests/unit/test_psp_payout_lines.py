"""Payout lines that withhold money the provider took back: signed amounts, the check, the posting."""

from decimal import Decimal

from rules.accounts import AccountRole
from rules.psp_payouts import check, payout_line, signed

D = Decimal
R = AccountRole


def test_withheld_lines_count_negative() -> None:
    assert [signed(k, D("35.70")) for k in ("capture", "chargeback", "refund")] == [
        D("35.70"),
        D("-35.70"),
        D("-35.70"),
    ]


def test_a_withheld_line_matches_what_the_order_owes_back() -> None:
    assert check(D("-35.70"), D("-35.70"), "EUR").verdict == "settle"
    assert check(D("-35.69"), D("-35.70"), "EUR").verdict == "settle"  # a cent of rounding
    assert check(D("-30.00"), D("-35.70"), "EUR").verdict != "settle"
    # Nothing owed back: withholding is a difference; a capture and its chargeback in one payout net to nothing.
    assert check(D("-35.70"), D(0), "EUR").verdict == "nothing_open"
    assert check(D(0), D(0), "EUR").verdict == "settle"
    # A capture paid out against an order that owes money back, or the other way round, is a difference.
    assert check(D("35.70"), D("-35.70"), "EUR").verdict == "nothing_open"
    assert check(D("-35.70"), D("35.70"), "EUR").verdict == "short"


def test_a_withheld_chargeback_with_its_fee_debits_clearing_and_reduces_the_payout() -> None:
    lines = {d.role: d.amount for d in payout_line(D("-35.70"), D("15.00"), D("-35.70")).lines}
    assert lines == {
        R.BANK_IN_TRANSIT: D("-50.70"),
        R.BANK_CHARGES: D("15.00"),
        R.PAYMENT_CLEARING: D("35.70"),
    }
