"""A cardholder disputes a 35.70 card payment: the provider takes it back into dispute clearing; accepted or
lost it is a chargeback loss, won it returns to payment clearing. A chargeback larger than what was paid by
card (less refunds and earlier chargebacks) is refused naming the amount."""

from decimal import Decimal

import pytest

from rules.accounts import AccountRole
from rules.chargebacks import Outcome, chargeback_posting, check_amount, settle_posting
from rules.errors import RuleViolation

D = Decimal
R = AccountRole


def test_at_most_what_was_paid_by_card() -> None:
    check_amount(D("35.70"), D("35.70"), "EUR", "SO-1")
    for amount, why in ((D("35.71"), "not 35.71"), (D("0"), "more than 0"), (D("1.001"), "decimal places")):
        with pytest.raises(RuleViolation) as refused:
            check_amount(amount, D("35.70"), "EUR", "SO-1")
        assert refused.value.field == "amount" and why in refused.value.reason


def test_postings_move_the_money_through_dispute_clearing() -> None:
    taken = chargeback_posting(D("35.70"))
    assert {(ln.role, ln.amount) for ln in taken.lines} == {
        (R.DISPUTE_CLEARING, D("35.70")),
        (R.PAYMENT_CLEARING, D("-35.70")),
    }
    outcomes: list[tuple[Outcome, AccountRole]] = [
        ("accept", R.CHARGEBACK_LOSS),
        ("lost", R.CHARGEBACK_LOSS),
        ("won", R.PAYMENT_CLEARING),
    ]
    for outcome, to in outcomes:
        settled = settle_posting(outcome, D("35.70"))
        assert {(ln.role, ln.amount) for ln in settled.lines} == {
            (to, D("35.70")),
            (R.DISPUTE_CLEARING, D("-35.70")),
        }
