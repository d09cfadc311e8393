"""An AP clerk pays a supplier invoice in parts: each part is bounded by what is open, and the realised FX
of each part is measured against its proportional share of the booked payable, the shares adding up exactly."""

from decimal import Decimal

import pytest

from rules.errors import RuleViolation
from rules.partial_payments import booked_share, check_part

D = Decimal


def test_a_part_is_positive_in_minor_units_and_at_most_what_is_open() -> None:
    check_part("amounts[0].amount", D("40.40"), D("101.00"), "EUR", "INV-1")
    check_part("amounts[0].amount", D("101.00"), D("101.00"), "EUR", "INV-1")
    for amount, why in (
        (D("0"), "more than 0"),
        (D("10.005"), "decimal places"),
        (D("101.01"), "more than the"),
    ):
        with pytest.raises(RuleViolation) as refused:
            check_part("amounts[0].amount", amount, D("101.00"), "EUR", "INV-1")
        assert refused.value.field == "amounts[0].amount" and why in refused.value.reason
    with pytest.raises(RuleViolation):
        check_part("amounts[0].amount", D("1.5"), D("100"), "JPY", "INV-2")


def test_shares_of_the_booked_payable_are_proportional_and_add_up() -> None:
    # 123.50 USD booked at 111.15 EUR: 40 % then 60 %.
    first = booked_share(D("111.15"), D("123.50"), D(0), D("49.40"), "EUR")
    second = booked_share(D("111.15"), D("123.50"), D("49.40"), D("74.10"), "EUR")
    assert (first, second) == (D("44.46"), D("66.69"))
    # Three thirds of 100.00 booked at 33.33 x 3 + 0.01: the rounding lands on the last part.
    parts = [booked_share(D("100.00"), D("3.00"), D(n), D(1), "EUR") for n in range(3)]
    assert parts == [D("33.33"), D("33.34"), D("33.33")] and sum(parts) == D("100.00")
    with pytest.raises(RuleViolation):
        booked_share(D("100.00"), D("3.00"), D("2.50"), D(1), "EUR")
