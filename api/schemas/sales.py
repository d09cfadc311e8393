"""Request bodies of order intake, order messages and marketplace settlements."""

from typing import Literal

from pydantic import Field

from api.schemas.base import Body, Id, examples
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
            "tracking": "00340434161234567890",
            "event_id": "scan-88219",
        },
        {"kind": "short_pick", "location_id": 1, "line_no": 1, "qty": "1", "event_id": "scan-88214"},
    )

    kind: Literal["picked", "packed", "shipped", "short_pick", "damaged"]
    location_id: Id
    carrier: str | None = Field(default=None, max_length=40)
    tracking: str | None = Field(default=None, max_length=80)
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
