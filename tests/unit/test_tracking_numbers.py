"""Tracking numbers per carrier: the shape each carrier prints and, where it has one, its check digit, so a
mistyped or made-up number is refused at the warehouse instead of reaching the customer."""

import pytest

from rules.tracking_numbers import normalize_carrier, normalize_tracking, tracking_problem, tracking_url


@pytest.mark.parametrize(
    ("carrier", "tracking"),
    [
        ("DHL", "00340434161094042557"),  # SSCC with its GS1 check digit
        ("dhl", "0034 0434 1610 9404 2557"),  # printed in groups
        ("DHL", "1234567891"),  # Express waybill: 123456789 mod 7 = 1
        ("DHL", "JJD000390007880001234"),
        ("UPS", "1z999aa10123456784"),
        ("Royal Mail", "AB123456785GB"),  # UPU S10 mod-11 check digit
        ("DPD", "01234567890123"),
        ("Acme Freight", "ACME-42-0001"),  # a carrier we do not know: a generic shape only
    ],
)
def test_numbers_that_fit_their_carrier(carrier: str, tracking: str) -> None:
    assert tracking_problem(carrier, tracking) is None


@pytest.mark.parametrize(
    ("carrier", "tracking", "why"),
    [
        ("DHL", "not-a-dhl-number!!", "is not a dhl tracking number"),
        ("DHL", "00340434161094042558", "wrong check digit"),
        ("DHL", "1234567890", "wrong check digit"),
        ("UPS", "1Z999AA10123456785", "wrong check digit"),
        ("UPS", "00340434161094042557", "is not a ups tracking number"),
        ("royal_mail", "AB123456789GB", "wrong check digit"),
        ("", "1234567891", "carrier is missing"),
        ("Acme Freight", "a!", "6 to 40 letters"),
    ],
)
def test_numbers_that_cannot_be_the_carriers_say_why(carrier: str, tracking: str, why: str) -> None:
    problem = tracking_problem(carrier, tracking)
    assert problem is not None and why in problem


def test_names_and_links_are_normalised() -> None:
    assert normalize_carrier(" Royal-Mail ") == "royal_mail"
    assert normalize_tracking("1z 999 aa1") == "1Z999AA1"
    assert (
        tracking_url("UPS", "1z999aa10123456784") == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    )
    assert tracking_url("gls", "ZA1B2C3D") is None
