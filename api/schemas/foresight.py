"""Response models of foresight: the cash forecast, the exception radar and master-data quality."""

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import Field

from api.schemas.base import Reply, record_model, reply_examples
from models.foresight import DataQualityProblem

Day = date  # a field below is called `date`


class CashDocumentView(Reply):
    """One open document's expected cash movement (inflow > 0, outflow < 0) in its own currency."""

    category: str = Field(description="supplier_payments, committed_spend, customer_receipts or refunds")
    type: str = Field(description="the document type")
    id: str = Field(description="the document's number or id")
    currency: str
    amount: Decimal
    expected: Day = Field(description="when the cash was due")
    date: Day = Field(description="when it is counted: overdue cash counts on the first day")
    overdue: bool
    basis: str = Field(description="what the date rests on (terms, payment date, settlement cycle)")


class CashBucket(Reply):
    """A day or week of one currency: totals per category, net, cumulative, and its documents."""

    currency: str
    start: date
    end: date
    supplier_payments: Decimal
    committed_spend: Decimal
    customer_receipts: Decimal
    refunds: Decimal
    net: Decimal
    cumulative: Decimal
    documents: list[CashDocumentView]


class CashCurrency(Reply):
    """One currency's 13 weeks."""

    currency: str
    totals: dict[str, Decimal] = Field(description="per category over the horizon")
    net: Decimal
    buckets: list[CashBucket]


class CashForecast(Reply):
    """A 13-week cash forecast per currency by day or week."""

    model_config = reply_examples(
        {
            "entity_id": 1,
            "entity_code": "EU01",
            "as_of": "2026-11-30",
            "horizon_end": "2027-02-28",
            "by": "week",
            "currencies": [],
        }
    )

    entity_id: int
    entity_code: str
    as_of: date
    horizon_end: date
    by: str = Field(description="day or week")
    currencies: list[CashCurrency]


class CashDrilldown(Reply):
    """The documents behind one forecast figure."""

    entity_id: int
    as_of: date
    currency: str
    start: date
    end: date
    category: str | None
    total: Decimal
    documents: list[CashDocumentView]


class CheckStarted(Reply):
    """A data-quality check started (202), or already run today (200, `started` false)."""

    workflow_id: str
    entity_code: str
    day: date
    started: bool


class ChannelSettlementView(Reply):
    """A channel's settlement cycle as stored."""

    channel: str
    settlement_days: int


class StockMinimumView(Reply):
    """An item's minimum at a location as stored."""

    item_id: int
    location_id: int
    min_qty: Decimal


class RadarRecord(Reply):
    """A record that needs attention, and since when."""

    type: str
    id: str | int
    label: str | None
    since: str = Field(description="ISO 8601 date or timestamp")
    age_days: int
    details: Any = Field(description="what the category shows about the record")


class RadarCategory(Reply):
    """One exception category: how many records, the oldest age, and the records (oldest first)."""

    category: str
    count: int
    oldest_age_days: int | None
    records: list[RadarRecord]


class Radar(Reply):
    """What needs attention now in an entity, per exception category."""

    entity_id: int
    entity_code: str
    as_of: date
    total: int
    categories: list[RadarCategory]


ProblemView = record_model(
    DataQualityProblem,
    "ProblemView",
    only=(
        "id",
        "rule",
        "record_type",
        "record_id",
        "record_label",
        "details",
        "owner_role",
        "status",
        "occurrence",
        "first_seen",
        "last_seen",
        "fixed_on",
        "task_id",
    ),
    task_status=(str | None, Field(description="the owner's task: open until the problem is fixed")),
    description=(str, Field(description="what the rule checks")),
)


class DataQualityReport(Reply):
    """An entity's master-data problems with counts per rule."""

    entity_id: int
    status: str = Field(description="open, fixed or all")
    counts: dict[str, int] = Field(description="problems per rule")
    problems: list[ProblemView]  # type: ignore[valid-type]
