"""IBAN and BIC checks (ISO 13616 mod-97 checksum, ISO 9362 shape): pure functions, no I/O."""

import re

# Lengths per country for the countries a European retailer pays into most; others need only the checksum.
IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FI": 18, "FR": 27, "GB": 22,
    "IE": 22, "IT": 27, "LU": 20, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "SE": 24,
}  # fmt: skip
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC_SHAPE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def normalize_iban(iban: str) -> str:
    """Upper case without spaces (the electronic format)."""
    return re.sub(r"\s+", "", iban).upper()


def iban_problem(iban: str) -> str | None:
    """Why an IBAN is invalid, or None when its shape, length and mod-97 checksum are right."""
    value = normalize_iban(iban)
    if not _IBAN_SHAPE.match(value):
        return "an IBAN is 2 letters, 2 check digits and 11 to 30 letters or digits"
    expected = IBAN_LENGTHS.get(value[:2])
    if expected is not None and len(value) != expected:
        return f"a {value[:2]} IBAN has {expected} characters, not {len(value)}"
    if mod97(value) != 1:
        return "the IBAN check digits are wrong (mod 97)"
    return None


def is_valid_iban(iban: str) -> bool:
    """True when the IBAN passes every check."""
    return iban_problem(iban) is None


def mod97(iban: str) -> int:
    """ISO 7064 MOD 97-10 of an IBAN: country and check digits moved to the end, letters as 10..35."""
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97


def check_digits(country: str, bban: str) -> str:
    """The two check digits that make `country + digits + bban` a valid IBAN."""
    return f"{98 - mod97(country + '00' + bban):02d}"


def is_valid_bic(bic: str) -> bool:
    """True for an 8- or 11-character BIC (bank, country, location, optional branch)."""
    return bool(_BIC_SHAPE.match(bic.strip().upper()))
