"""Returns: per-channel/customer return policy, return authorisations (RMA), dispositions, credit notes,
serial numbers sold, and return-rate alerts."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import COST, MONEY, QTY, RATE, created_at, money
from models.base import qty as qty_column


class ChannelReturnPolicy(SQLModel, table=True):
    """How a channel takes returns; a channel without a row uses the defaults written here."""

    __tablename__ = "channel_return_policy"
    __table_args__ = (
        CheckConstraint("window_days >= 0 AND goods_deadline_days > 0", name="channel_return_policy_days"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id", unique=True)
    window_days: int = 30
    auto_approve_below: Decimal = money(Decimal("100"))
    refund_before_arrival: bool = False
    goods_deadline_days: int = 21
    spike_threshold: Decimal = Field(default=Decimal("0.25"), sa_type=RATE)
    spike_min_sold: Decimal = qty_column(Decimal("4"))
    spike_window_days: int = 30
    updated_by: str = Field(max_length=80)
    created_at: datetime | None = created_at()


class CustomerReturnPolicy(SQLModel, table=True):
    """A customer trusted with a refund before the goods arrive, whatever the channel says."""

    __tablename__ = "customer_return_policy"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", unique=True)
    refund_before_arrival: bool = False
    updated_by: str = Field(max_length=80)
    created_at: datetime | None = created_at()


class ReturnAuthorisation(SQLModel, table=True):
    """One return authorisation (RMA) against a shipped order; its workflow is `Return-{rma_number}`."""

    __tablename__ = "return_authorisation"
    __table_args__ = (
        CheckConstraint("refund_method IN ('original','store_credit')", name="return_refund_method"),
    )
    id: int | None = Field(default=None, primary_key=True)
    rma_number: str = Field(unique=True, max_length=40)
    workflow_id: str = Field(max_length=200)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    channel_id: int = Field(foreign_key="channel.id")
    customer_id: int = Field(foreign_key="customer.id")
    currency: str = Field(max_length=3)
    refund_method: str = Field(max_length=20)
    stage: str = Field(default="requested", max_length=20)
    pending_on: str = Field(default="", max_length=200)
    requested_by: str = Field(max_length=80)
    requested_on: date
    goods_due: date | None = None
    approved_by: str | None = Field(default=None, max_length=80)
    value: Decimal = money()
    refunded: Decimal = money()
    refunded_early: bool = False
    credit_note_number: str | None = Field(default=None, max_length=40)
    exchange_order_number: str | None = Field(default=None, max_length=80)
    closed_reason: str | None = Field(default=None, max_length=200)
    created_at: datetime | None = created_at()


class ReturnLine(SQLModel, table=True):
    """Units of one order line asked back, with the reason, serials, refund share and original unit cost."""

    __tablename__ = "return_line"
    __table_args__ = (
        UniqueConstraint("return_id", "line_no", name="return_line_no"),
        CheckConstraint("qty > 0", name="return_line_qty"),
    )
    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="return_authorisation.id", index=True)
    line_no: int
    order_line_no: int
    item_id: int = Field(foreign_key="item.id")
    qty: Decimal = Field(sa_type=QTY)
    reason_code: str = Field(max_length=30)
    serials: list[str] = Field(default_factory=list, sa_type=JSONB)
    net: Decimal = Field(sa_type=MONEY)
    tax: Decimal = Field(sa_type=MONEY)
    unit_cost: Decimal = Field(sa_type=COST)
    received_qty: Decimal = qty_column()


class ReturnDisposition(SQLModel, table=True):
    """What inspection decided for some received units: the stock move and postings it made."""

    __tablename__ = "return_disposition"
    __table_args__ = (
        UniqueConstraint("return_id", "part_no", name="return_disposition_part"),
        CheckConstraint(
            "disposition IN ('restock','refurbish','quarantine','scrap','return_to_vendor')",
            name="return_disposition_kind",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="return_authorisation.id", index=True)
    part_no: int
    line_no: int
    qty: Decimal = Field(sa_type=QTY)
    disposition: str = Field(max_length=20)
    location_id: int | None = Field(default=None, foreign_key="location.id")
    serial: str | None = Field(default=None, max_length=80)
    value: Decimal = money()
    stock_move_id: int | None = Field(default=None, foreign_key="stock_move_key.id")
    journal_entry_id: int | None = Field(default=None, foreign_key="journal_entry.id")
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id")
    debit_note_number: str | None = Field(default=None, max_length=60)
    received_on: date
    received_by: str = Field(max_length=80)
    created_at: datetime | None = created_at()


class CreditNote(SQLModel, table=True):
    """The customer credit note of a return: net and tax credited, how, and its posting."""

    __tablename__ = "credit_note"
    __table_args__ = (
        CheckConstraint("method IN ('payment','receivable','store_credit')", name="credit_note_method"),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=40)
    return_id: int = Field(foreign_key="return_authorisation.id", unique=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    customer_id: int = Field(foreign_key="customer.id")
    currency: str = Field(max_length=3)
    net: Decimal = Field(sa_type=MONEY)
    tax: Decimal = Field(sa_type=MONEY)
    total: Decimal = Field(sa_type=MONEY)
    method: str = Field(max_length=20)
    journal_entry_id: int | None = Field(default=None, foreign_key="journal_entry.id")
    payment_id: int | None = Field(default=None, foreign_key="sales_payment.id")
    issued_on: date
    created_at: datetime | None = created_at()


class SoldSerial(SQLModel, table=True):
    """A serial number that left with an order line (scanned at dispatch), so returns can be checked."""

    __tablename__ = "sold_serial"
    __table_args__ = (UniqueConstraint("order_id", "line_no", "serial", name="sold_serial_key"),)
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    line_no: int
    item_id: int = Field(foreign_key="item.id")
    serial: str = Field(max_length=80)
    recorded_by: str = Field(max_length=80)
    created_at: datetime | None = created_at()


class ReturnAlert(SQLModel, table=True):
    """A return-rate spike of a SKU on a channel over a rolling window (one per SKU x channel x day)."""

    __tablename__ = "return_alert"
    id: int | None = Field(default=None, primary_key=True)
    alert_key: str = Field(unique=True, max_length=200)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    item_id: int = Field(foreign_key="item.id")
    sku: str = Field(max_length=40)
    channel_id: int = Field(foreign_key="channel.id")
    window_days: int
    sold: Decimal = Field(sa_type=QTY)
    returned: Decimal = Field(sa_type=QTY)
    rate: Decimal = Field(sa_type=RATE)
    threshold: Decimal = Field(sa_type=RATE)
    raised_on: date
    rma_number: str = Field(max_length=40)
    created_at: datetime | None = created_at()


__all__ = [
    "ChannelReturnPolicy",
    "CreditNote",
    "CustomerReturnPolicy",
    "ReturnAlert",
    "ReturnAuthorisation",
    "ReturnDisposition",
    "ReturnLine",
    "SoldSerial",
]
