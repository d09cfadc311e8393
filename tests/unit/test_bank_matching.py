"""A treasurer's bank statement: an outgoing line confirms the run payment with its end-to-end reference when
the amount agrees within a cent; charges and interest are recognised by the bank's transaction code and post
against the bank by rule; anything else is left for a person."""

from decimal import Decimal

from rules.accounts import AccountRole
from rules.bank_matching import OpenPayment, Tolerance, by_rule, classify, match_payment, transit_cleared

D = Decimal
OPEN = [OpenPayment(1, "PR7-INV42", D("101.00"), "EUR"), OpenPayment(2, "PR7-INV43", D("123.50"), "USD")]


def test_a_line_matches_by_reference_and_amount_within_the_tolerance() -> None:
    assert match_payment(D("-101.00"), "EUR", "PR7-INV42", OPEN).item_id == 1
    assert match_payment(D("-100.99"), "EUR", " PR7-INV42 ", OPEN).item_id == 1  # a cent of bank rounding
    assert match_payment(D("-123.50"), "USD", "PR7-INV43", OPEN).item_id == 2


def test_what_does_not_agree_stays_unmatched_with_the_reason() -> None:
    assert match_payment(D("-100.98"), "EUR", "PR7-INV42", OPEN).reason == (
        "amount 100.98 differs from the payment's 101.00 beyond 0.01"
    )
    assert match_payment(D("-101.00"), "EUR", "PR7-INV99", OPEN).item_id is None
    assert match_payment(D("-101.00"), "EUR", None, OPEN).reason == "no end-to-end reference on the line"
    assert (
        match_payment(D("-123.50"), "EUR", "PR7-INV43", OPEN).reason
        == "currency EUR differs from the payment's USD"
    )
    assert match_payment(D("-100.95"), "EUR", "PR7-INV42", OPEN, Tolerance(D("0.05"))).item_id == 1


def test_charges_and_interest_are_recognised_by_code() -> None:
    assert classify("CHRG", D("-2.50")) == "charge"
    assert classify("NCHG", D("-2.50")) == "charge"
    assert classify("INTR", D("0.40")) == "interest"
    assert classify("NINT", D("-0.10")) == "interest"  # negative interest is interest too
    assert classify("ESCT", D("-5.00")) == "payment"
    assert classify(None, D("5.00")) == "other"


def test_postings_by_rule() -> None:
    def lines(draft: object) -> dict[AccountRole, Decimal]:
        return {line.role: line.amount for line in draft.lines}  # type: ignore[attr-defined]

    assert lines(by_rule("charge", D("-2.50"))) == {
        AccountRole.BANK: D("-2.50"),
        AccountRole.BANK_CHARGES: D("2.50"),
    }
    assert lines(by_rule("interest", D("0.40"))) == {
        AccountRole.BANK: D("0.40"),
        AccountRole.INTEREST_INCOME: D("-0.40"),
    }
    assert lines(transit_cleared(D("101.00"))) == {
        AccountRole.BANK_IN_TRANSIT: D("101.00"),
        AccountRole.BANK: D("-101.00"),
    }
