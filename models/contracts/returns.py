"""Contracts of the returns value stream: the RMA, receipt and inspection, refund, exchange, status."""

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field

from models.contracts.base import Contract

# needs_attention: a step failed for good and waits for an admin (workflows.attention).
ReturnStage = Literal[
    "requested",
    "approval",
    "awaiting_goods",
    "inspection",
    "refunded",
    "closed",
    "rejected",
    "expired",
    "needs_attention",
    "cancelled",
]
RefundMethod = Literal["original", "store_credit"]
Disposition = Literal["restock", "refurbish", "quarantine", "scrap", "return_to_vendor"]


class ReturnPolicy(Contract):
    """The channel's (and customer's) return policy, fixed when the RMA is raised."""

    window_days: int = 30
    auto_approve_below: Decimal = Decimal("100")
    refund_before_arrival: bool = False
    goods_deadline_days: int = 21


class ReturnLineIn(Contract):
    """Units of one shipped order line asked back, priced (refund share) and costed (original cost)."""

    line_no: int
    order_line_no: int
    item_id: int
    sku: str
    qty: Decimal
    reason_code: str
    serials: list[str] = Field(default_factory=list)
    net: Decimal
    tax: Decimal
    unit_cost: Decimal


class ExchangeLine(Contract):
    """A replacement SKU and quantity, ordered on the same channel when the goods are back."""

    sku: str
    qty: Decimal


class ReturnInput(Contract):
    """The input of one return workflow: the validated RMA."""

    rma_number: str
    entity_id: int
    order_number: str
    order_id: int
    channel_id: int
    channel_code: str
    customer_id: int
    currency: str
    payment_method: str
    refund_method: RefundMethod
    requested_by: str
    requested_on: date
    lines: list[ReturnLineIn]
    policy: ReturnPolicy
    exchange: list[ExchangeLine] = Field(default_factory=list)

    @property
    def value(self) -> Decimal:
        """What the customer gets back if every unit returns (net + tax)."""
        return sum((line.net + line.tax for line in self.lines), Decimal(0))


class PersistResult(Contract):
    """Whether the RMA was recorded, or refused because another return took the quantity meanwhile."""

    accepted: bool
    reason: str | None = None


class StageUpdate(Contract):
    """Persist the RMA's stage and what it waits on (and, once known, approver, goods due date, end reason)."""

    rma_number: str
    stage: ReturnStage
    pending_on: str
    approved_by: str | None = None
    goods_due: date | None = None
    closed_reason: str | None = None


class ReceiptPart(Contract):
    """Received units of one RMA line and their disposition (location and supplier resolved by the API)."""

    line_no: int
    qty: Decimal
    disposition: Disposition
    serials: list[str] = Field(default_factory=list)
    location_id: int | None = None
    supplier_id: int | None = None


class ReceiptRequest(Contract):
    """The warehouse's receipt and inspection of the returned parcel (one per RMA)."""

    received_by: str
    parts: list[ReceiptPart]
    note: str | None = None


class GoodsReceipt(Contract):
    """Post a receipt: parts numbered from `first_part_no` (their keys make the postings once-only)."""

    rma_number: str
    received_on: date
    received_by: str
    first_part_no: int
    parts: list[ReceiptPart]


class ReceiptResult(Contract):
    """Units received per RMA line and the cost booked per disposition."""

    received: dict[int, Decimal]
    value_by_disposition: dict[str, Decimal]


class RefundRequest(Contract):
    """Give back the net + tax of `qty` units per RMA line; `early` when the goods are not back yet."""

    rma_number: str
    qty: dict[int, Decimal]
    posting_date: date
    early: bool = False


class RefundResult(Contract):
    """The credit note and how the money went back; `failed_task_id` when the provider refused the refund."""

    credit_note_number: str
    net: Decimal
    tax: Decimal
    total: Decimal
    method: Literal["payment", "receivable", "store_credit"]
    failed_task_id: int | None = None


class SpikeCheck(Contract):
    """Check the return rate of the RMA's SKUs on its channel after a receipt."""

    rma_number: str
    today: date


class ExchangeRequest(Contract):
    """Price the replacement order of an exchange (same channel and customer) and link it to the RMA."""

    rma_number: str
    today: date
    lines: list[ExchangeLine]


class ReturnLineStatus(Contract):
    """A return line as the workflow sees it."""

    line_no: int
    order_line_no: int
    sku: str
    qty: Decimal
    reason_code: str
    received: Decimal
    dispositions: list[str] = Field(default_factory=list)


class ReturnStatus(Contract):
    """The answer of the `status` query and of every return update."""

    rma_number: str
    order_number: str
    stage: ReturnStage
    pending_on: str
    value: Decimal
    approved_by: str | None = None
    refunded: Decimal = Decimal(0)
    credit_note_number: str | None = None
    exchange_order_number: str | None = None
    lines: list[ReturnLineStatus]
    open_tasks: list[int] = Field(default_factory=list)


class CancelReturn(Contract):
    """Cancel the RMA before its goods arrive (the customer keeps them, or nothing was sent)."""

    actor: str
    reason: str
