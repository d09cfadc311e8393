"""Money: a shop in Europe buys in USD, pays freight in EUR and sells in JPY and KWD markets."""

from decimal import Decimal as D

import pytest

from rules.errors import RuleViolation
from rules.money import allocate, convert, minor_units, quantize, quantize_cost, quantize_qty


def test_minor_units_per_currency() -> None:
    assert minor_units("JPY") == 0
    assert minor_units("KRW") == 0
    assert minor_units("BHD") == 3
    assert minor_units("KWD") == 3
    assert minor_units("EUR") == 2
    assert minor_units("usd") == 2  # codes are case-insensitive


def test_malformed_currency_names_the_field() -> None:
    with pytest.raises(RuleViolation) as exc:
        minor_units("EURO")
    assert exc.value.field == "currency"


def test_quantize_rounds_half_up_not_bankers() -> None:
    # 2.345 -> 2.35 (banker's rounding would give 2.34); halves round away from zero on both sides.
    assert quantize(D("2.345"), "EUR") == D("2.35")
    assert quantize(D("-2.345"), "EUR") == D("-2.35")
    assert quantize(D("1234.5"), "JPY") == D("1235")
    assert quantize(D("1.2345"), "KWD") == D("1.235")
    assert str(quantize(D("7"), "EUR")) == "7.00"


def test_cost_and_quantity_precision() -> None:
    assert quantize_cost(D("3.3333335")) == D("3.333334")
    assert quantize_qty(D("1.00005")) == D("1.0001")


def test_convert_quantizes_to_target_currency() -> None:
    # 100.00 USD at 0.9235 EUR/USD = 92.35 EUR; at 149.567 JPY/USD = 14956.7 -> 14957 JPY.
    assert convert(D("100.00"), D("0.9235"), "EUR") == D("92.35")
    assert convert(D("100.00"), D("149.567"), "JPY") == D("14957")


def test_convert_refuses_non_positive_rate() -> None:
    with pytest.raises(RuleViolation) as exc:
        convert(D("1"), D("0"), "EUR")
    assert exc.value.field == "rate"


def test_freight_split_over_three_equal_lines_keeps_every_cent() -> None:
    # 100.00 / 3 = 33.333...: floors 33.33 x 3 = 99.99, the leftover cent goes to the first line.
    parts = allocate(D("100.00"), [D(1), D(1), D(1)], "EUR")
    assert parts == (D("33.34"), D("33.33"), D("33.33"))
    assert sum(parts) == D("100.00")


def test_largest_remainder_gets_the_leftover() -> None:
    # 10.00 by 1:2:3 = 1.666.., 3.333.., 5.00 -> floors 1.66, 3.33, 5.00 = 9.99; .0067 beats .0033.
    assert allocate(D("10.00"), [D(1), D(2), D(3)], "EUR") == (D("1.67"), D("3.33"), D("5.00"))


def test_negative_total_mirrors_positive_split() -> None:
    assert allocate(D("-10.00"), [D(1), D(1), D(1)], "EUR") == (D("-3.34"), D("-3.33"), D("-3.33"))


def test_zero_decimal_currency_splits_whole_yen() -> None:
    assert allocate(D("1000"), [D(1), D(1), D(1)], "JPY") == (D("334"), D("333"), D("333"))


def test_all_zero_weights_split_equally() -> None:
    # Lines with no value (free samples) still share the freight: 0.10 -> 0.04, 0.03, 0.03.
    assert allocate(D("0.10"), [D(0), D(0), D(0)], "EUR") == (D("0.04"), D("0.03"), D("0.03"))


def test_allocate_refuses_bad_weights() -> None:
    with pytest.raises(RuleViolation) as exc:
        allocate(D("10"), [D(1), D(-1)], "EUR")
    assert exc.value.field == "weights"
    with pytest.raises(RuleViolation) as exc:
        allocate(D("10"), [], "EUR")
    assert exc.value.field == "weights"
