"""Aging buckets: a controller reads open items on 31 March 2026; the days overdue are counted by hand."""

from datetime import date
from decimal import Decimal

from rules.aging import LABELS, OpenAmount, age, bucket

D = Decimal
AS_OF = date(2026, 3, 31)


def test_bucket_edges() -> None:
    assert bucket(date(2026, 4, 30), AS_OF) == "current"  # not due yet
    assert bucket(AS_OF, AS_OF) == "current"  # due today is not overdue
    assert bucket(date(2026, 3, 30), AS_OF) == "d1_30"  # 1 day
    assert bucket(date(2026, 3, 1), AS_OF) == "d1_30"  # 30 days
    assert bucket(date(2026, 2, 28), AS_OF) == "d31_60"  # 31 days (28 Feb -> 31 Mar)
    assert bucket(date(2026, 1, 30), AS_OF) == "d31_60"  # 60 days: 1 + 28 + 31
    assert bucket(date(2026, 1, 29), AS_OF) == "d61_90"  # 61 days
    assert bucket(date(2025, 12, 31), AS_OF) == "d61_90"  # 90 days: 31 + 28 + 31
    assert bucket(date(2025, 12, 30), AS_OF) == "over_90"  # 91 days


def test_rows_per_entity_counterparty_and_currency() -> None:
    items = [
        OpenAmount(1, "SUP-A", "EUR", date(2026, 4, 15), D("100.00")),
        OpenAmount(1, "SUP-A", "EUR", date(2026, 3, 10), D("40.00")),  # 21 days
        OpenAmount(1, "SUP-A", "EUR", date(2026, 3, 10), D("-15.00")),  # a debit note in the same bucket
        OpenAmount(1, "SUP-A", "USD", date(2025, 11, 1), D("7.00")),  # 150 days
        OpenAmount(2, "SUP-A", "EUR", date(2026, 2, 1), D("5.00")),  # other entity, 58 days
        OpenAmount(1, "SUP-B", "EUR", date(2026, 1, 1), D("0")),  # settled: dropped
    ]
    rows = age(items, AS_OF)
    assert [(r.entity_id, r.counterparty, r.currency) for r in rows] == [
        (1, "SUP-A", "EUR"),
        (1, "SUP-A", "USD"),
        (2, "SUP-A", "EUR"),
    ]
    assert rows[0].buckets == {
        "current": D("100.00"),
        "d1_30": D("25.00"),
        "d31_60": 0,
        "d61_90": 0,
        "over_90": 0,
    }
    assert rows[0].total == D("125.00")
    assert rows[1].buckets["over_90"] == D("7.00")
    assert rows[2].buckets["d31_60"] == D("5.00")
    assert list(rows[0].buckets) == list(LABELS)


def test_a_counterparty_whose_items_net_to_zero_drops_out() -> None:
    items = [
        OpenAmount(1, "MKT", "EUR", AS_OF, D("59.50")),
        OpenAmount(1, "MKT", "EUR", AS_OF, D("-59.50")),
    ]
    assert age(items, AS_OF) == []
