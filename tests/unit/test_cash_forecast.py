"""The cash forecast's date rules and buckets, worked out by hand."""

from datetime import date
from decimal import Decimal as D

import pytest

from rules.cash_forecast import (
    CashDocument,
    bucket_bounds,
    cash_date,
    committed_payment_date,
    forecast,
    horizon_end,
    receipt_date,
    refund_date,
)
from rules.errors import RuleViolation

AS_OF = date(2031, 11, 3)


def _doc(category: str, amount: str, expected: date, currency: str = "EUR") -> CashDocument:
    return CashDocument(category, "doc", f"{category}-{expected}", currency, D(amount), expected, "")  # type: ignore[arg-type]


def test_the_horizon_is_91_days_and_weeks_run_from_as_of() -> None:
    assert horizon_end(AS_OF) == date(2032, 2, 1)
    assert bucket_bounds(date(2031, 11, 9), AS_OF, "week") == (AS_OF, date(2031, 11, 9))
    assert bucket_bounds(date(2031, 11, 10), AS_OF, "week") == (date(2031, 11, 10), date(2031, 11, 16))
    assert bucket_bounds(date(2031, 11, 10), AS_OF, "day") == (date(2031, 11, 10), date(2031, 11, 10))
    with pytest.raises(RuleViolation):
        bucket_bounds(date(2031, 11, 2), AS_OF, "week")


def test_overdue_cash_counts_on_the_first_day() -> None:
    assert cash_date(date(2031, 10, 1), AS_OF) == AS_OF
    assert cash_date(date(2031, 12, 1), AS_OF) == date(2031, 12, 1)


def test_committed_spend_is_paid_on_terms_after_the_expected_receipt_never_before_today() -> None:
    assert committed_payment_date(date(2031, 11, 5), "NET30", AS_OF) == date(2031, 12, 5)
    assert committed_payment_date(date(2031, 10, 20), "NET14", AS_OF) == date(2031, 11, 17)
    assert committed_payment_date(date(2031, 11, 5), "EOM", AS_OF) == date(2031, 11, 30)


def test_receipts_follow_the_settlement_cycle_and_refunds_the_goods() -> None:
    assert receipt_date(date(2031, 10, 25), 14) == date(2031, 11, 8)
    with pytest.raises(RuleViolation):
        receipt_date(AS_OF, -1)
    assert refund_date("inspection", date(2031, 11, 20), AS_OF) == AS_OF
    assert refund_date("awaiting_goods", date(2031, 11, 20), AS_OF) == date(2031, 11, 20)
    assert refund_date("awaiting_goods", None, AS_OF) == AS_OF


def test_buckets_total_per_category_and_run_a_cumulative_net() -> None:
    docs = [
        _doc("supplier_payments", "-595.00", date(2031, 10, 28)),
        _doc("customer_receipts", "238.00", date(2031, 11, 8)),
        _doc("supplier_payments", "-1190.00", date(2031, 11, 10)),
        _doc("committed_spend", "-250.00", date(2031, 11, 17), "USD"),
        _doc("supplier_payments", "-1.00", date(2032, 2, 2)),  # one day past the horizon
    ]
    weeks = forecast(docs, AS_OF, "week")
    assert len(weeks) == 26  # 13 weeks x 2 currencies
    eur = [b for b in weeks if b.currency == "EUR"]
    assert [b.net for b in eur[:3]] == [D("-357.00"), D("-1190.00"), D(0)]
    assert eur[1].cumulative == D("-1547.00") and eur[-1].cumulative == D("-1547.00")
    assert eur[0].totals["supplier_payments"] == D("-595.00")
    assert eur[0].totals["customer_receipts"] == D("238.00")
    usd = [b for b in weeks if b.currency == "USD"]
    assert usd[2].totals["committed_spend"] == D("-250.00")
    days = forecast(docs, AS_OF, "day")
    assert len([b for b in days if b.currency == "EUR"]) == 91
