"""Sales ops decide a refund the provider refused: retry, pay by bank transfer (a payable to the customer) or
write it off with a reason; the credit on the order's receivable moves accordingly."""

from decimal import Decimal

import pytest

from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.failed_refunds import check_decision, settle_credit

D = Decimal


def test_a_write_off_needs_a_reason_and_the_decision_is_known() -> None:
    check_decision("retry", None)
    check_decision("write_off", "customer unreachable for 6 months")
    for decision, comment, field in (("write_off", "  ", "comment"), ("cash", None, "decision")):
        with pytest.raises(RuleViolation) as refused:
            check_decision(decision, comment)
        assert refused.value.field == field


def test_the_credit_moves_to_a_payable_or_is_written_off() -> None:
    transfer = settle_credit("bank_transfer", D("35.70"))
    assert [(ln.role, ln.amount) for ln in transfer.lines] == [
        (AccountRole.AR, D("35.70")),
        (AccountRole.REFUNDS_PAYABLE, D("-35.70")),
    ]
    written = settle_credit("write_off", D("35.70"))
    assert [(ln.role, ln.amount) for ln in written.lines][1] == (AccountRole.REFUND_WRITE_OFF, D("-35.70"))
    with pytest.raises(RuleViolation):
        settle_credit("retry", D("35.70"))
    with pytest.raises(RuleViolation):
        settle_credit("write_off", D("0"))
