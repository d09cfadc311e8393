"""The identifiers master data carries are checked by their own libraries: a buyer typing a supplier's
IBAN with one wrong digit, a VAT number of the wrong length, a barcode with a bad check digit, or the
"no currency" code XXX gets a reason, never a stored record."""

import pytest

from rules.identifiers import (
    bic_problem,
    country_problem,
    currency_problem,
    gtin_problem,
    iban_problem,
    is_valid_bic,
    is_valid_iban,
    normalize_iban,
    normalize_vat,
    region_problem,
    vat_problem,
)

VALID_IBANS = [
    "DE89370400440532013000",
    "GB82 WEST 1234 5698 7654 32",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
    "CH9300762011623852957",
    "BE68539007547034",
]


@pytest.mark.parametrize("iban", VALID_IBANS)
def test_published_example_ibans_are_valid(iban: str) -> None:
    assert is_valid_iban(iban)
    assert " " not in normalize_iban(iban) and normalize_iban(iban).isupper()


def test_a_wrong_digit_a_wrong_length_or_an_unknown_country_is_refused() -> None:
    assert "checksum" in (iban_problem("DE89370400440532013001") or "")
    assert "length" in (iban_problem("DE8937040044053201300") or "")
    assert iban_problem("XX89370400440532013000") is not None
    assert iban_problem("") is not None


def test_bics_have_eight_or_eleven_characters_of_a_real_country() -> None:
    assert is_valid_bic("COBADEFFXXX") and is_valid_bic("deutdeff")
    assert not is_valid_bic("COBADEF") and not is_valid_bic("COBA1EFFXXX")
    assert bic_problem("COBAQQFFXXX") is not None  # QQ is no country


@pytest.mark.parametrize("code", ["XXX", "XTS", "XAU", "XDR", "BOV", "CHE", "USN", "ZZZ", "XBA"])
def test_no_currency_test_code_metal_or_fund_is_a_currency_to_trade_in(code: str) -> None:
    assert currency_problem(code) is not None


@pytest.mark.parametrize("code", ["EUR", "GBP", "USD", "CHF", "JPY", "XOF", "XAF", "XCD", "XPF"])
def test_active_currencies_including_the_cfa_francs_are_accepted(code: str) -> None:
    assert currency_problem(code) is None


def test_countries_and_tax_regions_are_iso_3166() -> None:
    assert country_problem("DE") is None and country_problem("EU") is not None
    assert country_problem("UK") is not None  # the ISO code is GB
    assert region_problem("US-CA") is None and region_problem("DE") is None
    assert region_problem("US-ZZ") is not None and region_problem("ZZ") is not None


def test_gtins_of_every_length_need_their_check_digit() -> None:
    assert gtin_problem("4006381333931") is None  # EAN-13
    assert gtin_problem("036000291452") is None  # UPC-A (GTIN-12)
    assert gtin_problem("96385074") is None  # EAN-8
    assert gtin_problem("10036000291459") is None  # GTIN-14
    assert gtin_problem("4006381333932") == "the GTIN check digit is wrong"
    assert gtin_problem("400638133393") is not None  # 12 digits, not a UPC
    assert gtin_problem("40063813339311") is not None
    assert gtin_problem("4006-38133393") is not None


def test_vat_numbers_are_checked_for_their_country() -> None:
    for good in ["DE136695976", "ATU13585627", "NL004495445B01", "FR40303265045", "GB980780684",
                 "EL094259216", "CHE-116.281.710 MWST"]:  # fmt: skip
        assert vat_problem(good) is None, good
    assert vat_problem("DE123") is not None  # too short
    assert vat_problem("DE136695977") is not None  # check digit
    assert vat_problem("TAX-NORDTEX") is not None  # no country prefix
    assert vat_problem("123456789") is not None
    assert normalize_vat("de 136.695-976") == "DE136695976"
