"""Payment terms: a supplier invoice dated 15 January 2025 under different terms."""

from datetime import date

import pytest

from rules.errors import RuleViolation
from rules.payment_terms import due_date

JAN_15 = date(2025, 1, 15)


def test_net_days() -> None:
    # 15 Jan + 30 days = 14 Feb.
    assert due_date(JAN_15, "NET30") == date(2025, 2, 14)
    assert due_date(JAN_15, "net 30") == date(2025, 2, 14)
    assert due_date(JAN_15, "NET0") == JAN_15
    # 31 Dec 2024 + 60 = 31 Jan (31 days) + 28 Feb (28 more = 59) + 1 -> 1 Mar 2025.
    assert due_date(date(2024, 12, 31), "NET60") == date(2025, 3, 1)


def test_end_of_month() -> None:
    assert due_date(JAN_15, "EOM") == date(2025, 1, 31)
    assert due_date(JAN_15, "EOM15") == date(2025, 2, 15)
    assert due_date(date(2024, 2, 10), "EOM") == date(2024, 2, 29)


def test_immediate() -> None:
    assert due_date(JAN_15, "IMMEDIATE") == JAN_15


@pytest.mark.parametrize("terms", ["NET", "NETX", "2/10 NET 30", "NET1000", "EOM-5", "COD", ""])
def test_unknown_terms(terms: str) -> None:
    with pytest.raises(RuleViolation) as exc:
        due_date(JAN_15, terms)
    assert exc.value.field == "payment_terms"
