"""A EUR retailer pays foreign-currency supplier invoices at the payment day's rate: paying more euros than
the payable was booked at is a realised loss, fewer a gain; the posting clears what is left on the payable."""

from decimal import Decimal

import pytest

from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.realised_fx import realised_fx_posting, realised_on_payable

D = Decimal


def test_a_dearer_dollar_is_a_realised_loss() -> None:
    # 123.50 USD booked at 0.90 = 111.15 EUR; paid at 0.95 = 117.325 -> 117.33 EUR (half up): loss 6.18.
    out = realised_on_payable(D("123.50"), D("111.15"), D("0.95"), "EUR")
    assert (out.booked, out.paid, out.gain) == (D("111.15"), D("117.33"), D("-6.18"))
    lines = {line.role: line.amount for line in realised_fx_posting(out.gain).lines}
    assert lines == {AccountRole.AP: D("-6.18"), AccountRole.FX_GAIN_LOSS: D("6.18")}


def test_a_cheaper_dollar_is_a_realised_gain() -> None:
    # 1,000.00 USD booked at 0.9200 = 920.00 EUR; paid at 0.9137 = 913.70 EUR: gain 6.30.
    out = realised_on_payable(D("1000.00"), D("920.00"), D("0.9137"), "EUR")
    assert out.gain == D("6.30")
    lines = {line.role: line.amount for line in realised_fx_posting(out.gain).lines}
    assert lines == {AccountRole.AP: D("6.30"), AccountRole.FX_GAIN_LOSS: D("-6.30")}


def test_a_yen_payable_rounds_to_whole_yen() -> None:
    # A JPY entity pays 250.00 EUR booked at 160.00 = 40,000 JPY, at 161.234 = 40,308.5 -> 40,309 JPY.
    assert realised_on_payable(D("250.00"), D("40000"), D("161.234"), "JPY").gain == D("-309")


def test_the_same_rate_posts_nothing_and_bad_input_is_refused() -> None:
    same = realised_on_payable(D("10.00"), D("9.00"), D("0.90"), "EUR")
    assert same.gain == 0 and realised_fx_posting(same.gain).lines == ()
    with pytest.raises(RuleViolation) as refused:
        realised_on_payable(D("0"), D("9.00"), D("0.90"), "EUR")
    assert refused.value.field == "amount"
    with pytest.raises(RuleViolation) as rate:
        realised_on_payable(D("10.00"), D("9.00"), D("0"), "EUR")
    assert rate.value.field == "rate"
