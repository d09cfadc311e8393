"""Request bodies of order intake, order messages and marketplace settlements."""

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field

from api.schemas.base import Body, Id, Reply, examples, record_model, reply_examples
from models.contracts.bounds import (
    Amount,
    CurrencyCode,
    EventDate,
    PositiveAmount,
    Quantity,
    SignedAmount,
    Sku,
    UnitPrice,
)
from models.contracts.sales import LineStatus
from models.sales import MarketplaceSettlement, SalesOrder, SalesOrderLine, SettlementLine, Shipment


class OrderLineBody(Body):
    """One ordered SKU; the price comes from the channel's price list unless overridden."""

    sku: Sku = Field(examples=["APP-0001"])
    qty: Quantity = Field(examples=["2"])
    unit_price: UnitPrice | None = Field(
        default=None, description="override of the list price", examples=["19.90"]
    )
    promotion_code: str | None = Field(default=None, max_length=40, examples=["SPRING10"])
    discount: Amount | None = Field(
        default=None, description="line discount amount (wins over the promotion)"
    )


class OrderBody(Body):
    """A channel order: web shop, marketplace or store (POS)."""

    model_config = examples(
        {
            "channel": "WEB-EU",
            "external_id": "100045",
            "customer": "CUST-0001",
            "ship_to_region": "DE",
            "currency": "EUR",
            "payment_method": "card",
            "lines": [{"sku": "APP-0001", "qty": "2"}, {"sku": "BEA-0003", "qty": "1"}],
        },
        {
            "channel": "POS-BERLIN",
            "external_id": "T1-20260714-0042",
            "customer": "CUST-0002",
            "payment_method": "cash",
            "lines": [{"sku": "ACC-0005", "qty": "1"}],
        },
    )

    channel: str = Field(min_length=1, max_length=30, examples=["WEB-EU"])
    external_id: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9._:-]+$", examples=["100045"])
    customer: str = Field(min_length=1, max_length=40, description="customer code", examples=["CUST-0001"])
    ship_to_region: str | None = Field(default=None, max_length=20, examples=["DE"])
    currency: CurrencyCode | None = Field(default=None, examples=["EUR"])
    payment_method: Literal["card", "cash", "transfer", "marketplace"] | None = None
    payment_reference: str | None = Field(
        default=None, max_length=80, description="the payment provider's token of the card the shop collected"
    )
    lines: list[OrderLineBody] = Field(min_length=1, max_length=200)


class OrderCancelBody(Body):
    """Why the order is cancelled."""

    model_config = examples({"reason": "customer changed their mind"})

    reason: str = Field(default="customer request", max_length=200)


class PaymentBody(Body):
    """A payment received for an order waiting for one."""

    model_config = examples({"method": "transfer", "amount": "119.00", "reference": "SEPA-20260714-0042"})

    method: Literal["card", "transfer"]
    amount: PositiveAmount
    reference: str | None = Field(default=None, max_length=80)


class WarehouseEventBody(Body):
    """A warehouse scan for the order at one location."""

    model_config = examples(
        {"kind": "picked", "location_id": 1, "event_id": "scan-88213"},
        {
            "kind": "shipped",
            "location_id": 1,
            "carrier": "DHL",
            "tracking": "00340434161094042557",
            "service": "parcel",
            "event_id": "scan-88219",
        },
        {"kind": "short_pick", "location_id": 1, "line_no": 1, "qty": "1", "event_id": "scan-88214"},
    )

    kind: Literal["picked", "packed", "shipped", "short_pick", "damaged"]
    location_id: Id
    carrier: str | None = Field(default=None, max_length=40)
    tracking: str | None = Field(
        default=None, max_length=80, description="checked against the carrier's format and check digit"
    )
    service: str | None = Field(
        default=None, max_length=40, description="the carrier's service, e.g. express"
    )
    line_no: Id | None = None
    qty: Quantity | None = None
    event_id: str | None = Field(
        default=None, max_length=80, description="the scanner's id, so a resend counts once"
    )


class SettlementLineBody(Body):
    """One order of a marketplace payout report."""

    external_id: str = Field(min_length=1, max_length=60)
    gross: SignedAmount
    fees: SignedAmount


class PayoutReportBody(Body):
    """A marketplace payout report."""

    model_config = examples(
        {
            "channel": "MKT-EU",
            "reference": "PAYOUT-2026-07-15",
            "payout_date": "2026-07-15",
            "lines": [{"external_id": "MK-55012", "gross": "89.90", "fees": "13.49"}],
        }
    )

    channel: str = Field(min_length=1, max_length=30)
    reference: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._:-]+$")
    payout_date: EventDate
    lines: list[SettlementLineBody] = Field(min_length=1, max_length=5000)


# ---- Response models ---------------------------------------------------------------------------------------


class OrderAnswer(Reply):
    """An order taken (201), or the same order sent again (200, `created` false): its stage and lines."""

    model_config = reply_examples(
        {
            "order_number": "WEB-100045",
            "workflow_id": "Order-WEB-100045",
            "created": True,
            "stage": "allocated",
            "pending_on": "warehouse",
            "paid": True,
            "lines": [
                {
                    "line_no": 1,
                    "sku": "APP-0001",
                    "qty": "2",
                    "reserved": "2",
                    "shipped": "0",
                    "backordered": "0",
                    "cancelled": "0",
                    "promised_date": None,
                }
            ],
            "open_tasks": [],
        }
    )

    order_number: str
    workflow_id: str
    created: bool = Field(description="false when the same order (channel + external id) came before")
    stage: str
    pending_on: str | None = Field(
        default=None, description="absent for an order already closed or cancelled"
    )
    paid: bool | None = None
    lines: list[LineStatus] = Field(default_factory=list)
    open_tasks: list[int] = Field(default_factory=list)


class OrderListItem(Reply):
    """An order header in a list."""

    number: str
    channel: str = Field(description="the channel's code")
    status: str
    total_due: Decimal
    currency: str
    order_date: date


_HEADER = (
    "id",
    "number",
    "workflow_id",
    "entity_id",
    "external_id",
    "ship_to_region",
    "currency",
    "payment_method",
    "order_date",
    "status",
    "total_gross",
    "total_discount",
    "total_tax",
    "total_due",
    "settled",
)
_LINE = (
    "line_no",
    "qty",
    "unit_price",
    "gross",
    "discount",
    "tax_rate",
    "tax",
    "promotion_code",
    "substitute_for",
    "qty_shipped",
    "qty_cancelled",
    "qty_backordered",
    "promised_date",
    "status",
)


class OrderPostingLine(Reply):
    """A journal line an order posted."""

    account: str
    role: str | None
    amount: Decimal
    currency: str
    memo: str | None


class OrderPosting(Reply):
    """A journal entry an order posted."""

    id: int
    idempotency_key: str
    posting_date: date
    memo: str | None
    lines: list[OrderPostingLine]


class OrderAllocation(Reply):
    """Which location a line ships from, and the state of its reservation."""

    line_no: int
    location_id: int
    qty: Decimal
    reservation_key: str
    status: str | None = Field(description="the reservation's status")


class OrderPayment(Reply):
    """A payment event of the order."""

    kind: str
    method: str
    amount: Decimal
    currency: str
    reference: str | None
    payment_key: str
    journal_entry_id: int | None


class OrderTask(Reply):
    """A task the order's workflow opened."""

    id: int
    kind: str
    status: str
    title: str
    candidate_role: str | None
    decision: str | None
    options: list[str]


class ShipmentLineView(Reply):
    """A quantity of an order line in a shipment, at cost."""

    line_no: int
    qty: Decimal
    cost: Decimal


OrderLineView = record_model(SalesOrderLine, "OrderLineView", only=_LINE, sku=(str, ...))
ShipmentView = record_model(Shipment, "ShipmentView", iso_text=True, lines=(list[ShipmentLineView], ...))
OrderDetail = record_model(
    SalesOrder,
    "OrderDetail",
    only=_HEADER,
    channel=(str, Field(description="the channel's code")),
    channel_kind=(str, ...),
    customer=(str, Field(description="the customer's code")),
    lines=(list[OrderLineView], ...),  # type: ignore[valid-type]
    allocations=(list[OrderAllocation], ...),
    shipments=(list[ShipmentView], ...),  # type: ignore[valid-type]
    payments=(list[OrderPayment], ...),
    postings=(list[OrderPosting], ...),
    tasks=(list[OrderTask], ...),
)
SettlementLineView = record_model(SettlementLine, "SettlementLineView", iso_text=True)
SettlementView = record_model(
    MarketplaceSettlement,
    "SettlementView",
    iso_text=True,
    lines=(list[SettlementLineView], ...),  # type: ignore[valid-type]
)
