"""Request bodies of order intake, order messages and marketplace settlements."""

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field

from api.schemas.base import Body


class OrderLineBody(Body):
    """One ordered SKU; the price comes from the channel's price list unless overridden."""

    sku: str = Field(min_length=1, max_length=40, examples=["TEE-RED-M"])
    qty: Decimal = Field(examples=["2"])
    unit_price: Decimal | None = Field(
        default=None, description="override of the list price", examples=["19.90"]
    )
    promotion_code: str | None = Field(default=None, max_length=40, examples=["SPRING10"])
    discount: Decimal | None = Field(
        default=None, description="line discount amount (wins over the promotion)"
    )


class OrderBody(Body):
    """A channel order: web shop, marketplace or store (POS)."""

    channel: str = Field(min_length=1, max_length=30, examples=["WEB"])
    external_id: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9._:-]+$", examples=["100045"])
    customer: str = Field(min_length=1, max_length=40, description="customer code", examples=["C-1001"])
    ship_to_region: str | None = Field(default=None, max_length=20, examples=["DE"])
    currency: str | None = Field(default=None, min_length=3, max_length=3, examples=["EUR"])
    payment_method: Literal["card", "cash", "transfer", "marketplace"] | None = None
    lines: list[OrderLineBody] = Field(min_length=1, max_length=200)


class CancelBody(Body):
    """Why the order is cancelled."""

    reason: str = Field(default="customer request", max_length=200)


class PaymentBody(Body):
    """A payment received for an order waiting for one."""

    method: Literal["card", "transfer"]
    amount: Decimal
    reference: str | None = Field(default=None, max_length=80)


class WarehouseEventBody(Body):
    """A warehouse scan for the order at one location."""

    kind: Literal["picked", "packed", "shipped", "short_pick", "damaged"]
    location_id: int
    carrier: str | None = Field(default=None, max_length=40)
    tracking: str | None = Field(default=None, max_length=80)
    line_no: int | None = None
    qty: Decimal | None = None
    event_id: str | None = Field(
        default=None, max_length=80, description="the scanner's id, so a resend counts once"
    )


class SettlementLineBody(Body):
    """One order of a marketplace payout report."""

    external_id: str = Field(min_length=1, max_length=60)
    gross: Decimal
    fees: Decimal


class SettlementBody(Body):
    """A marketplace payout report."""

    channel: str = Field(min_length=1, max_length=30)
    reference: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._:-]+$")
    payout_date: date
    lines: list[SettlementLineBody] = Field(min_length=1, max_length=5000)
