"""Order-to-fulfill: channel prices, promotions, sales orders, allocations, shipments, payments, settlements."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import COST, MONEY, QTY, RATE, created_at, money
from models.base import qty as qty_column


class ChannelPrice(SQLModel, table=True):
    """The price of an item on a channel's price list, valid from a date (latest valid row wins)."""

    __tablename__ = "channel_price"
    __table_args__ = (UniqueConstraint("channel_id", "item_id", "valid_from", name="channel_price_key"),)
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id", index=True)
    item_id: int = Field(foreign_key="item.id")
    price: Decimal = Field(sa_type=MONEY)
    currency: str = Field(max_length=3)
    valid_from: date
    created_at: datetime | None = created_at()


class Promotion(SQLModel, table=True):
    """A promotion code giving a percentage off a line; kept on the line for margin reporting."""

    __table_args__ = (CheckConstraint("percent_off >= 0 AND percent_off <= 100", name="promotion_percent"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=40)
    channel_id: int | None = Field(default=None, foreign_key="channel.id")
    percent_off: Decimal = Field(sa_type=RATE)
    valid_from: date
    valid_to: date | None = None
    created_at: datetime | None = created_at()


class SalesOrder(SQLModel, table=True):
    """A customer order from one channel; number = channel code + external id (unique per channel)."""

    __tablename__ = "sales_order"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_id", name="sales_order_channel_external"),
        CheckConstraint(
            "payment_method IN ('card','cash','transfer','marketplace')", name="sales_order_payment"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=80)
    workflow_id: str = Field(max_length=200)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    channel_id: int = Field(foreign_key="channel.id")
    customer_id: int = Field(foreign_key="customer.id")
    external_id: str = Field(max_length=60)
    ship_to_region: str = Field(max_length=20)
    currency: str = Field(max_length=3)
    payment_method: str = Field(max_length=20)
    order_date: date
    status: str = Field(default="received", max_length=20)
    total_gross: Decimal = money()
    total_discount: Decimal = money()
    total_tax: Decimal = money()
    total_due: Decimal = money()
    settled: bool = False
    created_by: str = Field(max_length=80)
    created_at: datetime | None = created_at()


class SalesOrderLine(SQLModel, table=True):
    """One line: item, quantity, price from the price list (or an override), discount, tax, progress."""

    __tablename__ = "sales_order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no", name="sales_order_line_no"),
        CheckConstraint("qty > 0", name="sales_order_line_qty"),
    )
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    line_no: int
    item_id: int = Field(foreign_key="item.id")
    qty: Decimal = Field(sa_type=QTY)
    unit_price: Decimal = Field(sa_type=MONEY)
    gross: Decimal = Field(sa_type=MONEY)
    discount: Decimal = money()
    tax_rate: Decimal = Field(sa_type=RATE)
    tax: Decimal = money()
    promotion_code: str | None = Field(default=None, max_length=40)
    substitute_for: int | None = None
    qty_shipped: Decimal = qty_column()
    qty_cancelled: Decimal = qty_column()
    qty_backordered: Decimal = qty_column()
    promised_date: date | None = None
    status: str = Field(default="open", max_length=20)


class SalesAllocation(SQLModel, table=True):
    """Which location a line ships from; the reservation with the same key holds the stock."""

    __tablename__ = "sales_allocation"
    __table_args__ = (Index("sales_allocation_round", "order_id", "round_key"),)
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    line_no: int
    location_id: int = Field(foreign_key="location.id")
    qty: Decimal = Field(sa_type=QTY)
    round_key: str = Field(max_length=200)
    reservation_key: str = Field(unique=True, max_length=200)
    created_at: datetime | None = created_at()


class Shipment(SQLModel, table=True):
    """Goods that left one location for the customer, with carrier, tracking and the posted value."""

    __table_args__ = (UniqueConstraint("shipment_key", name="shipment_key_unique"),)
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    shipment_key: str = Field(max_length=200)
    location_id: int = Field(foreign_key="location.id")
    carrier: str = Field(max_length=40)
    tracking: str | None = Field(default=None, max_length=80)
    shipped_on: date
    revenue_net: Decimal = money()
    discount: Decimal = money()
    tax: Decimal = money()
    cost: Decimal = money()
    journal_entry_id: int | None = Field(default=None, foreign_key="journal_entry.id")
    created_at: datetime | None = created_at()


class ShipmentLine(SQLModel, table=True):
    """A quantity of one order line in a shipment, with its cost at valuation."""

    __tablename__ = "shipment_line"
    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)
    line_no: int
    qty: Decimal = Field(sa_type=QTY)
    cost: Decimal = Field(sa_type=COST)
    stock_move_id: int | None = Field(default=None, foreign_key="stock_move_key.id")


class SalesPayment(SQLModel, table=True):
    """A payment event through the payment port: authorisation, capture, void or refund."""

    __tablename__ = "sales_payment"
    __table_args__ = (
        CheckConstraint("kind IN ('authorise','capture','void','refund')", name="sales_payment_kind"),
        CheckConstraint("status IN ('approved','declined','failed')", name="sales_payment_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    payment_key: str = Field(unique=True, max_length=200)
    kind: str = Field(max_length=20)
    method: str = Field(max_length=20)
    amount: Decimal = Field(sa_type=MONEY)
    currency: str = Field(max_length=3)
    reference: str | None = Field(default=None, max_length=80)
    journal_entry_id: int | None = Field(default=None, foreign_key="journal_entry.id")
    status: str = Field(default="approved", max_length=20)
    reason: str | None = Field(default=None, max_length=300)
    expires_on: date | None = None
    created_at: datetime | None = created_at()


class MarketplaceSettlement(SQLModel, table=True):
    """A marketplace payout report; one per channel and report reference."""

    __tablename__ = "marketplace_settlement"
    __table_args__ = (
        UniqueConstraint("channel_id", "reference", name="settlement_reference"),
        # The same lines sent again under another reference are the same payout (a duplicate report).
        UniqueConstraint("channel_id", "content_hash", name="settlement_content"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id")
    entity_id: int = Field(foreign_key="entity.id", index=True)
    reference: str = Field(max_length=80)
    payout_date: date
    currency: str = Field(max_length=3)
    created_by: str = Field(max_length=80)
    content_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime | None = created_at()


class SettlementLine(SQLModel, table=True):
    """One order of a payout report: gross collected, fees withheld, and the order it matched (if any)."""

    __tablename__ = "settlement_line"
    __table_args__ = (
        UniqueConstraint("settlement_id", "line_no", name="settlement_line_no"),
        CheckConstraint(
            "status IN ('matched','unmatched','dismissed','difference','already_settled')",
            name="settlement_line_status",
        ),
        # An order is settled by one payout line at most, whatever report it came in.
        Index(
            "settlement_line_order_once", "order_id", unique=True, postgresql_where=text("status = 'matched'")
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    settlement_id: int = Field(foreign_key="marketplace_settlement.id", index=True)
    line_no: int
    external_id: str = Field(max_length=60)
    gross: Decimal = Field(sa_type=MONEY)
    fees: Decimal = Field(sa_type=MONEY)
    order_id: int | None = Field(default=None, foreign_key="sales_order.id")
    status: str = Field(default="unmatched", max_length=20)
    journal_entry_id: int | None = Field(default=None, foreign_key="journal_entry.id")
    open_receivable: Decimal | None = Field(default=None, sa_type=MONEY)


__all__ = [
    "ChannelPrice",
    "MarketplaceSettlement",
    "Promotion",
    "SalesAllocation",
    "SalesOrder",
    "SalesOrderLine",
    "SalesPayment",
    "SettlementLine",
    "Shipment",
    "ShipmentLine",
]
