"""Contracts of order-to-fulfill: the priced order, allocation, shipment, payment, warehouse events."""

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field

from models.contracts.base import Contract

PaymentMethod = Literal["card", "cash", "transfer", "marketplace"]
# needs_attention: a step failed for good and waits for an admin (workflows.attention).
Stage = Literal[
    "received",
    "allocated",
    "backordered",
    "awaiting_payment",
    "picking",
    "shipped",
    "cancelled",
    "closed",
    "needs_attention",
]


class PricedLine(Contract):
    """An order line validated and priced by the API (prices, discount and tax are final here)."""

    line_no: int
    item_id: int
    sku: str
    qty: Decimal
    unit_price: Decimal
    gross: Decimal
    discount: Decimal
    tax_rate: Decimal
    tax: Decimal
    promotion_code: str | None = None
    substitute_for: int | None = None


class OrderInput(Contract):
    """The input of one order workflow: everything needed to persist, allocate and invoice it."""

    order_number: str
    entity_id: int
    channel_id: int
    channel_code: str
    channel_kind: Literal["web", "marketplace", "pos"]
    customer_id: int
    external_id: str
    ship_to_region: str
    currency: str
    payment_method: PaymentMethod
    order_date: date
    created_by: str
    lines: list[PricedLine]
    hold_hours: int = 24
    backorder_grace_days: int = 2
    # The payment provider's token for the card the shop collected (authorised at intake).
    payment_reference: str | None = None


class LineNeed(Contract):
    """A quantity of a line still to be sourced."""

    line_no: int
    item_id: int
    qty: Decimal


class AllocateRequest(Contract):
    """Allocate and reserve lines; `round_key` is the business key of this allocation step."""

    order_number: str
    round_key: str
    lines: list[LineNeed]
    exclude_location_ids: list[int] = Field(default_factory=list)


class Reserved(Contract):
    """Stock held for a line at a location under a reservation key."""

    line_no: int
    location_id: int
    qty: Decimal
    key: str


class AllocateResult(Contract):
    """What was reserved, and per line what is left to backorder."""

    reserved: list[Reserved]
    backordered: dict[int, Decimal]


class BackorderRequest(Contract):
    """Record a backordered quantity and find the date it can be promised."""

    order_number: str
    line_no: int
    item_id: int
    qty: Decimal
    today: date


class BackorderResult(Contract):
    """The promised date, the inbound PO it rests on (if any), and the locations to watch."""

    promised_date: date
    po_number: str | None
    location_ids: list[int]


class LineUpdate(Contract):
    """Persist a line's progress (promised date, backorder, cancelled quantity)."""

    order_number: str
    line_no: int
    promised_date: date | None = None
    qty_backordered: Decimal | None = None
    qty_cancelled: Decimal | None = None
    status: str | None = None


class StageUpdate(Contract):
    """Persist the order's stage."""

    order_number: str
    stage: Stage


class ShipLine(Contract):
    """A reserved quantity leaving stock."""

    line_no: int
    item_id: int
    qty: Decimal
    reservation_key: str


class ShipRequest(Contract):
    """Ship what is reserved at one location; `shipment_key` makes the moves and postings once-only."""

    order_number: str
    shipment_key: str
    location_id: int
    carrier: str
    tracking: str | None
    shipped_on: date
    lines: list[ShipLine]
    service: str | None = None


class ShipResult(Contract):
    """The amounts invoiced by the shipment (customer owes `due`), and its cost of goods."""

    shipment_id: int
    gross: Decimal
    discount: Decimal
    tax: Decimal
    cost: Decimal
    due: Decimal


class StockLoss(Contract):
    """Units missing (short pick) or broken (damaged) at a location, written off before re-allocating."""

    order_number: str
    key: str
    item_id: int
    location_id: int
    qty: Decimal
    reason: Literal["short_pick", "damaged"]
    posting_date: date


class SubstituteRequest(Contract):
    """Replace the open remainder of a line by another SKU at the same unit price."""

    order_number: str
    line_no: int
    new_line_no: int
    sku: str
    qty: Decimal


class PaymentCall(Contract):
    """A call on the payment port; `key` is the business key of this payment event."""

    order_number: str
    key: str
    method: str
    amount: Decimal
    currency: str
    posting_date: date
    reference: str | None = None


PaymentOutcome = Literal["approved", "declined", "failed"]


class PaymentDone(Contract):
    """What the port recorded: the provider's answer, why it said no, and when an authorisation lapses."""

    payment_id: int
    journal_entry_id: int | None = None
    status: PaymentOutcome = "approved"
    reason: str | None = None
    expires_on: date | None = None


class WarehouseEvent(Contract):
    """A warehouse scan: picked, packed, shipped (carrier, tracking), short_pick or damaged (line, qty)."""

    kind: Literal["picked", "packed", "shipped", "short_pick", "damaged"]
    location_id: int
    carrier: str | None = None
    tracking: str | None = None
    service: str | None = None
    line_no: int | None = None
    qty: Decimal | None = None
    event_id: str | None = None


class CancelRequest(Contract):
    """Cancel the order before shipment (customer or operations)."""

    actor: str
    reason: str = "customer request"


class PaymentReceived(Contract):
    """A payment authorised for an unpaid order (e.g. a bank transfer or late card payment)."""

    method: Literal["card", "transfer"]
    amount: Decimal
    reference: str | None = None


class LineStatus(Contract):
    """A line as the workflow sees it."""

    line_no: int
    sku: str
    qty: Decimal
    reserved: Decimal
    shipped: Decimal
    backordered: Decimal
    cancelled: Decimal
    promised_date: date | None = None


class OrderStatus(Contract):
    """The answer of the `status` query and of every order update."""

    order_number: str
    stage: Stage
    pending_on: str
    paid: bool
    lines: list[LineStatus]
    open_tasks: list[int] = Field(default_factory=list)


class SettlementLineIn(Contract):
    """One order in a marketplace payout report."""

    line_no: int
    external_id: str
    gross: Decimal
    fees: Decimal


class SettlementInput(Contract):
    """A marketplace payout report for one channel."""

    workflow_id: str
    channel_id: int
    channel_code: str
    entity_id: int
    reference: str
    payout_date: date
    currency: str
    created_by: str
    lines: list[SettlementLineIn]


class SettlementLineResult(Contract):
    """How a report line was matched and posted."""

    line_no: int
    external_id: str
    status: Literal["matched", "unmatched", "dismissed", "difference", "already_settled"]
    order_number: str | None = None
    journal_entry_id: int | None = None
    # For a difference: what the order still owed when the line came, and gross minus that.
    open_receivable: Decimal | None = None
    difference: Decimal | None = None


class SettlementResult(Contract):
    """The matched report."""

    settlement_id: int
    lines: list[SettlementLineResult]
    open_tasks: list[int] = Field(default_factory=list)
    # Set when the same lines were already posted under this other reference: nothing was posted.
    duplicate_of: str | None = None


class SettlementMatch(Contract):
    """Match one unmatched report line to an order (a person's decision) and post it."""

    settlement_id: int
    line_no: int
    external_id: str
    # A person accepts a short payout: the order is settled by what came, the rest stays open.
    accept_difference: bool = False
