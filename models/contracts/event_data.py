"""The `data` of each outbound event type, version 1. Add fields with defaults only; anything else is
a new version registered next to the old one in models.contracts.events.CATALOGUE."""

from datetime import date
from decimal import Decimal

from pydantic import Field

from models.contracts.base import Contract


class EventLine(Contract):
    """A document line as events report it (ids for joins, SKU for people and other systems)."""

    line_no: int
    item_id: int | None = None
    sku: str | None = None
    qty: Decimal
    location_id: int | None = None


class PoLine(Contract):
    """A purchase order line as sent to the supplier."""

    line_no: int
    item_id: int
    qty: Decimal
    price: Decimal


class PurchaseOrderApproved(Contract):
    """purchase_order.approved: the last approval level signed the PO."""

    number: str
    revision: int = 1
    supplier_id: int
    currency: str
    total: Decimal
    approved_by: list[str] = Field(default_factory=list)


class PurchaseOrderIssued(Contract):
    """purchase_order.issued: the PO went to the supplier (the document the supplier gets)."""

    number: str
    revision: int = 1
    supplier_id: int
    currency: str
    lines: list[PoLine]


class PurchaseOrderExpedite(Contract):
    """purchase_order.expedite: we ask the supplier to deliver by an earlier date."""

    requested_date: date


class PurchaseOrderCancelled(Contract):
    """purchase_order.cancelled: the PO (or its remaining quantities) will not be delivered."""

    number: str
    reason: str | None = None


class GoodsReceived(Contract):
    """goods_receipt.posted: goods counted in at a location against a PO (stock and GRNI posted)."""

    po_number: str
    receipt_no: int
    delivery_note: str
    received_on: date
    lines: list[EventLine]


class SupplierDelayRaised(Contract):
    """supplier_delay.raised: a PO is late or the supplier moved its date."""

    po_number: str
    supplier_id: int | None = None
    expected_date: date
    new_expected_date: date | None = None
    kind: str = "late"


class SupplierInvoiceMatched(Contract):
    """supplier_invoice.matched: three-way match within tolerance; the liability is posted."""

    invoice_number: str
    po_number: str
    supplier_id: int | None = None
    currency: str
    net: Decimal
    tax: Decimal = Decimal(0)


class SupplierInvoiceException(Contract):
    """supplier_invoice.exception: the match failed; a person decides (reasons name the mismatches)."""

    invoice_number: str
    po_number: str
    supplier_id: int | None = None
    reasons: list[str]


class SupplierDebitNote(Contract):
    """supplier_invoice.debit_note: a rejected invoice is sent back to the supplier."""

    invoice_number: str
    net: Decimal
    currency: str


class ReturnDebitNote(Contract):
    """return.debit_note: returned goods go back to their supplier, who owes us their value."""

    number: str
    rma_number: str
    supplier_id: int
    supplier_code: str
    sku: str
    qty: Decimal
    serials: list[str] = Field(default_factory=list)
    value: Decimal
    currency: str
    issued_on: date


class SalesOrderReceived(Contract):
    """sales_order.received: a channel order was accepted and priced."""

    order_number: str
    channel_code: str
    external_id: str | None = None
    currency: str
    total_due: Decimal


class SalesOrderAllocated(Contract):
    """sales_order.allocated: stock reserved for (some) lines at the listed locations."""

    order_number: str
    lines: list[EventLine]


class SalesOrderBackordered(Contract):
    """sales_order.backordered: lines wait for inbound stock; the promised date is given when known."""

    order_number: str
    lines: list[EventLine]
    promised_date: date | None = None


class SalesOrderShipped(Contract):
    """sales_order.shipped: a shipment left a location; revenue and COGS are posted."""

    order_number: str
    shipment_key: str
    carrier: str
    tracking: str | None = None
    shipped_on: date
    lines: list[EventLine]


class SalesOrderCancelled(Contract):
    """sales_order.cancelled: the order (or its open remainder) is cancelled; reservations released."""

    order_number: str
    reason: str | None = None


class ReturnReceived(Contract):
    """return.received: returned goods counted in (to stock, refurbishment or quarantine)."""

    order_number: str
    return_key: str
    received_on: date
    lines: list[EventLine]


class RefundIssued(Contract):
    """refund.issued: money given back to the customer."""

    order_number: str
    refund_key: str
    amount: Decimal
    currency: str


class PeriodClosed(Contract):
    """fiscal_period.closed: an entity's month is closed; nothing more posts into it."""

    period: str
    status: str = "closed"
    closed_by: str | None = None


class PaymentRunCreated(Contract):
    """payment_run.created: a bank payment file was written for a run of supplier payments."""

    run_id: str
    currency: str
    payments: int
    total: Decimal
    execution_date: date


class TransferOrderShipped(Contract):
    """transfer_order.shipped: stock left its source location and is in transit to another of ours."""

    number: str
    from_location_id: int
    to_location_id: int
    shipped_on: date
    value: Decimal
    lines: list[EventLine]


class TransferOrderReceived(Contract):
    """transfer_order.received: a transfer arrived at its destination and is on hand there."""

    number: str
    from_location_id: int
    to_location_id: int
    received_on: date
    value: Decimal
    lines: list[EventLine]


class CycleCountPosted(Contract):
    """cycle_count.posted: counted quantities replaced book quantities; differences were adjusted."""

    number: str
    location_id: int
    counted_on: date
    shrinkage: Decimal
    lines: list[EventLine]
