"""Close checks: January's stock ledger, AP subledger and trial balance before sign-off."""

from decimal import Decimal as D

import pytest

from rules.close_checks import ReconciliationDifference, reconcile, trial_balance_balanced
from rules.errors import RuleViolation


def test_stock_ledger_agrees_with_inventory_gl() -> None:
    assert reconcile("inventory", D("125430.50"), D("125430.50")) is None


def test_ap_subledger_differs_from_control() -> None:
    # Open supplier invoices total 48,200.00 but the AP account says 48,150.00: 50.00 to explain.
    diff = reconcile("ap", D("48200.00"), D("48150.00"))
    assert diff == ReconciliationDifference("ap", D("48200.00"), D("48150.00"), D("50.00"))


def test_difference_sign_and_tolerance() -> None:
    assert reconcile("ar", D("99.99"), D("100.00"), tolerance=D("0.01")) is None
    diff = reconcile("ar", D("99.98"), D("100.00"), tolerance=D("0.01"))
    assert diff is not None
    assert diff.difference == D("-0.02")


def test_negative_tolerance_refused() -> None:
    with pytest.raises(RuleViolation) as exc:
        reconcile("ar", D(0), D(0), tolerance=D("-1"))
    assert exc.value.field == "tolerance"


def test_trial_balance() -> None:
    # Inventory 423.60 + bank -492 + AP -26 + PPV 10 + tax 82 + COGS 2.40 = 0.
    rows = [
        ("1300 inventory", D("423.60")),
        ("1000 bank", D("-492.00")),
        ("2000 ap", D("-26.00")),
        ("5100 price variance", D("10.00")),
        ("1400 input tax", D("82.00")),
        ("5000 cogs", D("2.40")),
    ]
    assert trial_balance_balanced(rows) is True
    assert trial_balance_balanced([*rows, ("9999 suspense", D("0.01"))]) is False
    assert trial_balance_balanced([]) is True
