"""Tracking numbers per carrier: the published shapes and, where a carrier prints one, its check digit (pure)."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from stdnum import ean


def normalize_carrier(carrier: str) -> str:
    """Lower case with underscores: "Royal Mail" -> "royal_mail"."""
    return re.sub(r"[\s-]+", "_", carrier.strip().lower())


def normalize_tracking(tracking: str) -> str:
    """Upper case without spaces, as carriers print it in groups."""
    return re.sub(r"\s+", "", tracking).upper()


def _gs1(number: str) -> bool:
    """An SSCC (application identifier 00 + 18 digits): GS1 mod-10 check digit over the 17 before it."""
    return number[:2] != "00" or ean.calc_check_digit(number[2:-1]) == number[-1]


def _dhl_express(number: str) -> bool:
    """A 10-digit DHL Express waybill: the last digit is the first nine mod 7."""
    return len(number) != 10 or int(number[:9]) % 7 == int(number[9])


def _ups(number: str) -> bool:
    """1Z + 15 characters + a check digit: letters count as (position in the alphabet + 2) mod 10."""
    values = [int(c) if c.isdigit() else (ord(c) - ord("A") + 2) % 10 for c in number[2:17]]
    total = sum(v * (2 if i % 2 else 1) for i, v in enumerate(values))
    return (10 - total % 10) % 10 == int(number[17])


_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def _s10(number: str) -> bool:
    """A UPU S10 postal item number (AB123456785GB): mod-11 check digit over the eight serial digits."""
    rest = 11 - sum(w * int(d) for w, d in zip(_S10_WEIGHTS, number[2:10], strict=True)) % 11
    return {10: 0, 11: 5}.get(rest, rest) == int(number[10])


@dataclass(frozen=True, slots=True)
class CarrierFormat:
    """How a carrier's tracking numbers look, a check digit if it has one, and where people follow a parcel."""

    pattern: re.Pattern[str]
    example: str
    tracking_url: str | None = None
    check: Callable[[str], bool] | None = None


def _dhl(number: str) -> bool:
    return _gs1(number) and _dhl_express(number)


# Public formats of the carriers a European retailer ships with most. A carrier missing here is accepted
# with a generic shape check (a real carrier adapter knows its own rules).
FORMATS: dict[str, CarrierFormat] = {
    "dhl": CarrierFormat(re.compile(r"^(\d{10}|\d{12}|JJD\d{18,20}|00\d{18})$"), "00340434161094042557",
                         "https://www.dhl.com/track?tracking-id={tracking}", _dhl),
    "dpd": CarrierFormat(re.compile(r"^\d{14}$"), "01234567890123",
                         "https://tracking.dpd.de/status/en_US/parcel/{tracking}"),
    "ups": CarrierFormat(re.compile(r"^1Z[0-9A-Z]{15}\d$"), "1Z999AA10123456784",
                         "https://www.ups.com/track?tracknum={tracking}", _ups),
    "fedex": CarrierFormat(re.compile(r"^(\d{12}|\d{15}|\d{20})$"), "123456789012",
                           "https://www.fedex.com/fedextrack/?trknbr={tracking}"),
    "gls": CarrierFormat(re.compile(r"^[0-9A-Z]{8,12}$"), "ZA1B2C3D"),
    "royal_mail": CarrierFormat(re.compile(r"^[A-Z]{2}\d{9}GB$"), "AB123456785GB",
                                "https://www.royalmail.com/track-your-item#/tracking-results/{tracking}", _s10),
    "evri": CarrierFormat(re.compile(r"^[0-9A-Z]{16}$"), "H00A0A0000000001"),
    "postnl": CarrierFormat(re.compile(r"^3S[0-9A-Z]{11,13}$"), "3SABCD1234567"),
}  # fmt: skip
_GENERIC = re.compile(r"^[0-9A-Z-]{6,40}$")


def tracking_problem(carrier: str, tracking: str) -> str | None:
    """Why a tracking number cannot be this carrier's, or None when it fits."""
    code, number = normalize_carrier(carrier), normalize_tracking(tracking)
    if not code:
        return "the carrier is missing"
    fmt = FORMATS.get(code)
    if fmt is None:
        return None if _GENERIC.match(number) else "a tracking number is 6 to 40 letters, digits or dashes"
    if not fmt.pattern.match(number):
        return f"{number!r} is not a {code} tracking number (e.g. {fmt.example})"
    if fmt.check is not None and not fmt.check(number):
        return f"{number!r} has a wrong check digit for {code} (mistyped?)"
    return None


def tracking_url(carrier: str, tracking: str) -> str | None:
    """Where the customer follows the parcel, if the carrier has a public page."""
    fmt = FORMATS.get(normalize_carrier(carrier))
    if fmt is None or fmt.tracking_url is None:
        return None
    return fmt.tracking_url.format(tracking=normalize_tracking(tracking))
