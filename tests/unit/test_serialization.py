"""Rule data types cross Temporal boundaries: they must round-trip through the pydantic converter."""

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter

from rules.accounts import AccountRole
from rules.allocation import Allocation, LocationStock, Pick
from rules.approval import ApprovalBand, ApprovalLevel, Approver, Document
from rules.close_checks import ReconciliationDifference
from rules.matching import MatchResult
from rules.posting_rules import sale_shipped
from rules.valuation import AverageCost, FifoIssue, FifoLayer, LayerConsumption

SAMPLES: list[Any] = [
    sale_shipped(D("400"), D("40"), D("72"), D("168"), "EUR", receivable_role=AccountRole.AR),
    AverageCost(D("5"), D("30.00")),
    FifoIssue(
        (LayerConsumption("r1", D(10), D("5.00"), D("50.00")),),
        D("50.00"),
        (FifoLayer("r2", D(5), D("7"), None),),
    ),
    ApprovalBand(D(0), None, "electronics", None, (ApprovalLevel("cfo", None), ApprovalLevel(None, "dave"))),
    Approver("erin", frozenset({"finance_manager"}), D("20000"), D("0"), "dave"),
    Document("alice", D("12000"), frozenset({"bob"}), None),
    MatchResult("PL-1", "exception", ("qty_over_received",), D("1.00"), D("2.00"), D("1.00")),
    Allocation((Pick("store", D(5)),), D(0)),
    LocationStock("store", D(5), D(0), 1, D(0), None),
    ReconciliationDifference("ap", D("1"), D("2"), D("-1")),
]


@pytest.mark.parametrize("value", SAMPLES, ids=lambda v: type(v).__name__)
def test_round_trip(value: Any) -> None:
    converter = pydantic_data_converter.payload_converter
    payloads = converter.to_payloads([value])
    (back,) = converter.from_payloads(payloads, [type(value)])
    assert back == value
    assert type(back) is type(value)


def test_dates_are_plain_iso() -> None:
    # Period bounds travel as ISO dates.
    payloads = pydantic_data_converter.payload_converter.to_payloads([(date(2025, 1, 1), date(2025, 1, 31))])
    assert payloads[0].data == b'["2025-01-01","2025-01-31"]'
