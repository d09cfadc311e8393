"""Tracking numbers the warehouse types in are checked against the carrier's format."""

import pytest

from ports.carrier import FORMATS, normalize_carrier, tracking_problem


@pytest.mark.parametrize("carrier", sorted(FORMATS))
def test_each_carriers_example_fits_its_own_format(carrier: str) -> None:
    assert tracking_problem(carrier, FORMATS[carrier].example) is None


def test_numbers_of_another_carrier_are_refused() -> None:
    assert tracking_problem("ups", "AB123456789GB") is not None
    assert tracking_problem("Royal Mail", "ab 123 456 785 gb") is None
    assert normalize_carrier(" Royal-Mail ") == "royal_mail"


def test_unknown_carriers_get_a_generic_check() -> None:
    assert tracking_problem("Local Courier", "LC-000123") is None
    assert tracking_problem("Local Courier", "x") is not None
    assert tracking_problem("", "LC-000123") == "the carrier is missing"
