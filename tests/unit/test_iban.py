"""IBAN checks a payment run relies on: mod-97 check digits, country lengths, BIC shape."""

import pytest

from rules.iban import check_digits, iban_problem, is_valid_bic, is_valid_iban, mod97, normalize_iban

VALID = [
    "DE89370400440532013000",
    "GB82 WEST 1234 5698 7654 32",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
    "CH9300762011623852957",
    "BE68539007547034",
]


@pytest.mark.parametrize("iban", VALID)
def test_published_example_ibans_are_valid(iban: str) -> None:
    assert is_valid_iban(iban)
    assert mod97(normalize_iban(iban)) == 1


def test_one_wrong_digit_or_swapped_pair_fails_the_checksum() -> None:
    assert iban_problem("DE89370400440532013001") == "the IBAN check digits are wrong (mod 97)"
    assert not is_valid_iban("DE89370400440532010300")


def test_length_and_shape_are_checked_before_the_checksum() -> None:
    assert iban_problem("DE8937040044053201300") == "a DE IBAN has 22 characters, not 21"
    assert iban_problem("D189370400440532013000") is not None
    assert iban_problem("") is not None


def test_check_digits_complete_a_bban_into_a_valid_iban() -> None:
    assert check_digits("DE", "370400440532013000") == "89"
    assert is_valid_iban("GB" + check_digits("GB", "NWBK60161331926819") + "NWBK60161331926819")


def test_bics_have_eight_or_eleven_characters() -> None:
    assert is_valid_bic("COBADEFFXXX") and is_valid_bic("deutdeff")
    assert not is_valid_bic("COBADEF") and not is_valid_bic("COBA1EFFXXX")
