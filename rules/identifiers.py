"""Standard identifiers checked with their own libraries: ISO 4217 currencies and ISO 3166 countries
(pycountry), IBAN and BIC (schwifty), GTIN/EAN barcodes and VAT numbers (python-stdnum).

Each `*_problem` function answers why a value is refused, or None; each `normalize_*` gives the stored form.
"""

import re
from collections.abc import Callable

import pycountry
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import ean
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.util import get_cc_module

# ISO 4217 codes that are no money a retailer trades in: precious metals, bond-market units, drawing
# rights, the test code XTS and "no currency" XXX, and the fund codes (indexed units, next-day dollars).
# The CFA francs (XAF, XOF), the East Caribbean dollar (XCD), the Caribbean guilder (XCG) and the
# CFP franc (XPF) are real currencies and stay.
NOT_TRADED_CURRENCIES = frozenset(
    {
        "XAD", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX",
        "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW",
    }
)  # fmt: skip
# VAT prefixes that are not the ISO country code: Greece files as EL, Northern Ireland as XI.
_VAT_PREFIX_COUNTRY = {"EL": "GR", "XI": "GB"}
_SPACES = re.compile(r"[\s.\-/]+")


def currency_problem(code: str) -> str | None:
    """Why `code` is not an active ISO 4217 currency a business pays in, or None."""
    if pycountry.currencies.get(alpha_3=code) is None:
        return f"{code!r} is not an ISO 4217 currency code"
    if code in NOT_TRADED_CURRENCIES:
        return f"{code!r} is an ISO 4217 fund, metal or test code, not a currency to trade in"
    return None


def country_problem(code: str) -> str | None:
    """Why `code` is not an ISO 3166-1 alpha-2 country code, or None."""
    if pycountry.countries.get(alpha_2=code) is None:
        return f"{code!r} is not an ISO 3166-1 alpha-2 country code"
    return None


def region_problem(code: str) -> str | None:
    """Why `code` is neither an ISO 3166-1 country ("DE") nor an ISO 3166-2 subdivision ("US-CA"), or None."""
    if "-" in code:
        if pycountry.subdivisions.get(code=code) is None:  # type: ignore[no-untyped-call]
            return f"{code!r} is not an ISO 3166-2 subdivision code"
        return None
    return country_problem(code)


def normalize_iban(iban: str) -> str:
    """The electronic format: upper case, no spaces."""
    return re.sub(r"\s+", "", iban).upper()


def iban_problem(iban: str) -> str | None:
    """Why the IBAN is invalid (country, length, structure, check digits; schwifty's registry), or None."""
    try:
        IBAN(iban)
    except SchwiftyException as exc:
        return f"not a valid IBAN: {exc}"
    return None


def is_valid_iban(iban: str) -> bool:
    """True when the IBAN passes every check."""
    return iban_problem(iban) is None


def bic_problem(bic: str) -> str | None:
    """Why the BIC is invalid (8 or 11 characters, ISO 9362 structure, a real country), or None."""
    try:
        BIC(bic.strip())
    except SchwiftyException as exc:
        return f"not a valid BIC: {exc}"
    return None


def is_valid_bic(bic: str) -> bool:
    """True for an 8- or 11-character BIC of a real country."""
    return bic_problem(bic) is None


def gtin_problem(code: str) -> str | None:
    """Why `code` is not a GTIN-8, -12 (UPC), -13 (EAN) or -14 with a correct check digit, or None."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return "a GTIN is 8, 12, 13 or 14 digits"
    try:
        ean.validate(code)
    except ValidationError:
        return "the GTIN check digit is wrong"
    return None


def normalize_vat(number: str) -> str:
    """Upper case without spaces, dots, dashes or slashes (the form VIES and invoices use)."""
    return _SPACES.sub("", number).upper()


def vat_problem(number: str) -> str | None:
    """Why `number` is not a VAT number valid for its country prefix, or None.

    EU numbers (and XI) are checked by stdnum's EU module; other countries by their own VAT module when
    stdnum has one (GB, CH, NO, ...). A country stdnum has no VAT check for is accepted by its prefix.
    """
    value = normalize_vat(number)
    prefix = value[:2]
    if len(value) < 4 or not prefix.isalpha():
        return "a VAT number starts with its 2-letter country prefix (e.g. DE136695976)"
    validate: Callable[[str], str] = eu_vat.validate
    if prefix.lower() not in eu_vat.MEMBER_STATES and prefix != "EL":
        if country_problem(_VAT_PREFIX_COUNTRY.get(prefix, prefix)) is not None:
            return f"{prefix!r} is not a country prefix"
        module = get_cc_module(prefix.lower(), "vat")
        if module is None:
            return None
        validate = module.validate
    try:
        validate(value)
    except ValidationError as exc:
        return f"not a valid {prefix} VAT number: {exc}"
    return None
