"""Replenishment: kettles sell 10 a day (sigma 4), the supplier takes 9 days (variance 2.56 days^2)."""

from decimal import Decimal as D

import pytest

from rules.errors import RuleViolation
from rules.replenishment import order_quantity, reorder_point, safety_stock, z_for_service_level


def test_z_for_service_level() -> None:
    # Standard normal quantiles: 95 % -> 1.64485.. -> 1.6449; 99 % -> 2.32635.. -> 2.3263; 50 % -> 0.
    assert z_for_service_level(D("0.95")) == D("1.6449")
    assert z_for_service_level(D("0.99")) == D("2.3263")
    assert z_for_service_level(D("0.5")) == D("0.0000")


@pytest.mark.parametrize("level", [D(0), D(1), D("1.5")])
def test_service_level_must_be_a_probability(level: D) -> None:
    with pytest.raises(RuleViolation) as exc:
        z_for_service_level(level)
    assert exc.value.field == "service_level"


def test_safety_stock_demand_noise_only() -> None:
    # 1.65 x 4 x sqrt(9) = 1.65 x 12 = 19.8
    assert safety_stock(D("1.65"), D(4), D(9)) == D("19.8000")


def test_safety_stock_with_lead_time_variance() -> None:
    # sqrt(9 x 4^2 + 10^2 x 2.56) = sqrt(144 + 256) = sqrt(400) = 20; x 1.65 = 33.
    assert safety_stock(D("1.65"), D(4), D(9), lead_time_var=D("2.56"), mean_daily=D(10)) == D("33.0000")


def test_safety_stock_refuses_negative_sigma() -> None:
    with pytest.raises(RuleViolation) as exc:
        safety_stock(D("1.65"), D(-1), D(9))
    assert exc.value.field == "sigma_daily"


def test_reorder_point() -> None:
    # 10 a day x 9 days + 33 safety = 123.
    assert reorder_point(D(10), D(9), D(33)) == D("123.0000")


def test_order_quantity_rounds_up_to_pack() -> None:
    # Target = 123 + 10 x 7 review days = 193; projected 100 -> need 93; MOQ 50; packs of 12: 8 x 12 = 96.
    assert order_quantity(D(100), D(123), D(10), D(7), D(50), D(12)) == D("96.0000")


def test_order_at_exactly_the_reorder_point() -> None:
    # projected == ROP orders: 193 - 123 = 70 -> 6 packs = 72.
    assert order_quantity(D(123), D(123), D(10), D(7), D(0), D(12)) == D("72.0000")


def test_no_order_above_reorder_point() -> None:
    assert order_quantity(D(124), D(123), D(10), D(7), D(50), D(12)) == D("0.0000")


def test_minimum_order_quantity_dominates() -> None:
    # Need 193 - 120 = 73 but MOQ is 200 -> 200 -> 17 packs of 12 = 204.
    assert order_quantity(D(120), D(123), D(10), D(7), D(200), D(12)) == D("204.0000")


def test_backorders_make_projected_negative() -> None:
    # projected -20 (backorders exceed stock): need 193 + 20 = 213 -> 18 packs = 216.
    assert order_quantity(D(-20), D(123), D(10), D(7), D(0), D(12)) == D("216.0000")


def test_pack_size_must_be_positive() -> None:
    with pytest.raises(RuleViolation) as exc:
        order_quantity(D(0), D(10), D(1), D(7), D(0), D(0))
    assert exc.value.field == "pack_size"
