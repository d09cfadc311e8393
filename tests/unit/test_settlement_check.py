"""Settlement tolerance: a payout line of an order with 59.50 open, checked with the default and wider rules."""

from decimal import Decimal

from rules.settlement_check import Tolerance, check_line, report_fingerprint

D = Decimal


def test_exact_and_rounding_settle() -> None:
    assert check_line(D("59.50"), D("59.50"), "EUR").verdict == "settle"
    # 5 cents either way is rounding under the default rule.
    assert check_line(D("59.55"), D("59.50"), "EUR").verdict == "settle"
    assert check_line(D("59.55"), D("59.50"), "EUR").difference == D("0.05")
    assert check_line(D("59.45"), D("59.50"), "EUR").verdict == "settle"


def test_beyond_tolerance_is_short_or_over() -> None:
    over = check_line(D("69.50"), D("59.50"), "EUR")
    assert (over.verdict, over.difference) == ("over", D("10.00"))
    short = check_line(D("59.44"), D("59.50"), "EUR")
    assert (short.verdict, short.difference) == ("short", D("-0.06"))


def test_nothing_open_is_never_settled() -> None:
    # The order was settled already (or refunded): any payout is a difference, however small.
    assert check_line(D("59.50"), D("0"), "EUR").verdict == "nothing_open"
    assert check_line(D("0.01"), D("-59.50"), "EUR").verdict == "nothing_open"


def test_percentage_rule_for_large_orders() -> None:
    # 1 % of 2000.00 = 20.00 beats the 0.05 absolute allowance.
    wide = Tolerance(absolute=D("0.05"), percent=D("1"))
    assert wide.allowed(D("2000.00"), "EUR") == D("20.00")
    assert check_line(D("1985.00"), D("2000.00"), "EUR", wide).verdict == "settle"
    assert check_line(D("1979.99"), D("2000.00"), "EUR", wide).verdict == "short"
    # Zero-decimal currency: the allowance is whole yen.
    assert Tolerance(absolute=D("1"), percent=D("0")).allowed(D("5000"), "JPY") == D("1")


def test_the_same_payout_has_one_fingerprint() -> None:
    lines = [("MK-1", D("59.50"), D("7.14")), ("MK-2", D("20"), D("2.00"))]
    same = [("MK-2", D("20.00"), D("2")), ("MK-1", D("59.5"), D("7.140"))]
    assert report_fingerprint(lines) == report_fingerprint(same)
    assert report_fingerprint(lines) != report_fingerprint([("MK-1", D("59.50"), D("7.14"))])
    assert report_fingerprint(lines) != report_fingerprint([("MK-1", D("59.51"), D("7.14")), lines[1]])
