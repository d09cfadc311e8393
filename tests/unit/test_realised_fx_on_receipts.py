"""A GBP retailer sells in euros: what a customer owes is booked at the day of the sale, the money that clears
it arrives at a later day's rate. More pounds than booked is a realised gain, fewer a loss; the posting leaves
the receivable (or the card money in payment clearing) at zero pounds."""

from decimal import Decimal

import pytest

from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.realised_fx import realised_fx_posting, realised_on_receivable

D = Decimal
R = AccountRole


def test_a_dearer_euro_paid_out_later_is_a_realised_gain() -> None:
    # EUR 35.70 captured at 0.80 = 28.56 GBP; paid out at 0.82: 29.274 -> 29.27 credited: a gain of 0.71.
    out = realised_on_receivable(D("35.70"), D("35.70"), D("28.56"), D("29.27"), "GBP")
    assert (out.booked, out.paid, out.gain) == (D("28.56"), D("29.27"), D("0.71"))
    lines = {line.role: line.amount for line in realised_fx_posting(out.gain, R.PAYMENT_CLEARING).lines}
    # Clearing: 28.56 - 29.27 + 0.71 = 0.00.
    assert lines == {R.PAYMENT_CLEARING: D("0.71"), R.FX_GAIN_LOSS: D("-0.71")}


def test_a_cheaper_euro_settled_later_is_a_realised_loss() -> None:
    # EUR 72.00 owed at 0.80 = 57.60 GBP; settled at 0.78 = 56.16: a loss of 1.44, the receivable debited back.
    out = realised_on_receivable(D("72.00"), D("72.00"), D("57.60"), D("56.16"), "GBP")
    assert out.gain == D("-1.44")
    lines = {line.role: line.amount for line in realised_fx_posting(out.gain, R.AR).lines}
    assert lines == {R.AR: D("-1.44"), R.FX_GAIN_LOSS: D("1.44")}
    assert [line.memo for line in realised_fx_posting(out.gain, R.AR).lines] == [
        "realised FX on receipt",
        "realised FX loss",
    ]


def test_two_receipts_realise_their_shares_and_add_up_to_the_whole_difference() -> None:
    # EUR 100.00 owed at 0.80 = 80.00. 33.33 arrives at 0.85 (28.3305 -> 28.33) against a share of
    # 80.00 x 33.33 / 100.00 = 26.664 -> 26.66: gain 1.67. What is left: EUR 66.67 carried at
    # 80.00 - 28.33 + 1.67 = 53.34, received at 0.85 (56.6695 -> 56.67): gain 3.33. 1.67 + 3.33 = 5.00 =
    # 100.00 x (0.85 - 0.80), and the receivable ends at 53.34 - 56.67 + 3.33 = 0.00.
    first = realised_on_receivable(D("33.33"), D("100.00"), D("80.00"), D("28.33"), "GBP")
    assert (first.booked, first.gain) == (D("26.66"), D("1.67"))
    rest = realised_on_receivable(D("66.67"), D("66.67"), D("53.34"), D("56.67"), "GBP")
    assert (rest.booked, rest.gain) == (D("53.34"), D("3.33"))


def test_a_cent_more_than_held_realises_only_on_what_was_held() -> None:
    # EUR 35.70 held at 28.56; the customer sent 35.71, credited at 0.80 = 28.568 -> 28.57. The share of the
    # credit for the 35.70 held is 28.57 x 35.70 / 35.71 = 28.562 -> 28.56: no difference; the extra cent
    # stays on the account at the day's rate.
    out = realised_on_receivable(D("35.71"), D("35.70"), D("28.56"), D("28.57"), "GBP")
    assert (out.booked, out.paid, out.gain) == (D("28.56"), D("28.56"), D(0))
    assert realised_fx_posting(out.gain, R.AR).lines == ()


def test_a_yen_entity_rounds_to_whole_yen() -> None:
    # USD 250.00 owed at 160 = 40,000 JPY, received at 158.5 = 39,625 JPY: a loss of 375 JPY.
    assert realised_on_receivable(D("250.00"), D("250.00"), D("40000"), D("39625"), "JPY").gain == D("-375")
    # Half of it first: a share of 20,000 against 125.00 x 158.5 = 19,812.5 -> 19,813 credited: -187.
    assert realised_on_receivable(D("125.00"), D("250.00"), D("40000"), D("19813"), "JPY").gain == D("-187")


def test_nothing_cleared_or_nothing_held_is_refused() -> None:
    with pytest.raises(RuleViolation) as cleared:
        realised_on_receivable(D("0"), D("35.70"), D("28.56"), D("0"), "GBP")
    assert cleared.value.field == "cleared"
    with pytest.raises(RuleViolation) as held:
        realised_on_receivable(D("35.70"), D("0"), D("0"), D("28.56"), "GBP")
    assert held.value.field == "held"
