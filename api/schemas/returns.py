"""Request bodies of returns: the return request, receipt and inspection, serials sold, policies."""

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from api.schemas.base import Body, Id, Reply, examples, record_model
from models.contracts.bounds import MAX_LINES, Amount, Code, Fraction, Quantity, QuantityOrZero, Serial, Sku
from models.contracts.returns import ReturnStatus
from models.returns import ReturnAlert

ReasonCode = Literal[
    "damaged", "defective", "wrong_item", "not_as_described", "no_longer_needed", "size_fit", "other"
]
Serials = list[Serial]


class ReturnLineBody(Body):
    """Units of one shipped order line the customer sends back."""

    line_no: int = Field(ge=1, le=10_000, description="the order line number", examples=[1])
    qty: Quantity = Field(examples=["1"])
    reason_code: ReasonCode = Field(examples=["defective"])
    serials: Serials = Field(default_factory=list, max_length=1000, description="for serial-tracked items")


class ExchangeLineBody(Body):
    """A replacement SKU for an exchange."""

    sku: Sku
    qty: Quantity


class ReturnBody(Body):
    """A return request against a shipped order."""

    model_config = examples(
        {
            "order_number": "WEB-EU-100045",
            "refund_method": "original",
            "lines": [{"line_no": 1, "qty": "1", "reason_code": "size_fit"}],
        },
        {
            "order_number": "WEB-EU-100045",
            "lines": [{"line_no": 1, "qty": "1", "reason_code": "size_fit"}],
            "exchange": [{"sku": "APP-0002", "qty": "1"}],
        },
    )

    order_number: str = Field(min_length=1, max_length=80, examples=["WEB-EU-100045"])
    lines: list[ReturnLineBody] = Field(min_length=1, max_length=200)
    refund_method: Literal["original", "store_credit"] = "original"
    exchange: list[ExchangeLineBody] = Field(default_factory=list, max_length=50)


class ReceiptPartBody(Body):
    """Received units of one return line and what inspection decided for them."""

    line_no: int = Field(ge=1, le=10_000, description="the return line number")
    qty: Quantity
    disposition: Literal["restock", "refurbish", "quarantine", "scrap", "return_to_vendor"]
    serials: Serials = Field(default_factory=list, max_length=1000)
    location_id: Id | None = Field(
        default=None,
        description="restock: sellable location (default: where it shipped from)",
    )
    supplier: Code | None = Field(default=None, description="return to vendor: supplier code")


class ReturnReceiptBody(Body):
    """The returned parcel, received and inspected."""

    model_config = examples(
        {"parts": [{"line_no": 1, "qty": "1", "disposition": "restock"}], "note": "unworn, tags on"},
        {
            "parts": [
                {
                    "line_no": 1,
                    "qty": "1",
                    "disposition": "return_to_vendor",
                    "supplier": "VOLTEDGE",
                    "serials": ["VE-SN-000731"],
                }
            ]
        },
    )

    parts: list[ReceiptPartBody] = Field(min_length=1, max_length=MAX_LINES)
    note: str | None = Field(default=None, max_length=500)


class SoldSerialsBody(Body):
    """Serial numbers scanned out with an order line."""

    model_config = examples({"order_number": "WEB-EU-100052", "line_no": 1, "serials": ["VE-SN-000731"]})

    order_number: str = Field(min_length=1, max_length=80)
    line_no: int = Field(ge=1, le=10_000)
    serials: Serials = Field(min_length=1, max_length=1000)


class ChannelPolicyBody(Body):
    """A channel's return policy (omitted fields keep their value)."""

    model_config = examples({"window_days": 30, "auto_approve_below": "50.00", "goods_deadline_days": 14})

    window_days: int | None = Field(default=None, ge=0, le=3650)
    auto_approve_below: Amount | None = None
    refund_before_arrival: bool | None = None
    goods_deadline_days: int | None = Field(default=None, ge=1, le=365)
    spike_threshold: Fraction | None = None
    spike_min_sold: QuantityOrZero | None = None
    spike_window_days: int | None = Field(default=None, ge=1, le=3650)


class CustomerPolicyBody(Body):
    """Whether a customer is refunded before the goods arrive."""

    model_config = examples({"refund_before_arrival": True})

    refund_before_arrival: bool


class ReturnCancelBody(Body):
    """Why the return is cancelled before its goods arrive."""

    model_config = examples({"reason": "the customer keeps the goods"})

    reason: str = Field(min_length=1, max_length=150)


# ---- Response models ---------------------------------------------------------------------------------------


class ReturnAnswer(ReturnStatus):
    """A return raised: its workflow and its state after intake and routing (approval, goods expected)."""

    workflow_id: str


class ReturnListItem(Reply):
    """A return header in a list."""

    rma_number: str
    order_number: str
    channel: str = Field(description="the channel's code")
    stage: str
    pending_on: str | None
    value: Decimal
    refunded: Decimal
    currency: str
    requested_on: date


class ReturnRate(Reply):
    """Returned vs sold units of one SKU, channel or promotion (only the chosen key is in each line)."""

    sku: str | None = None
    channel: str | None = None
    promotion: str | None = None
    sold: Decimal
    returned: Decimal
    rate: Decimal | None = Field(description="returned / sold; null when nothing sold")


ReturnAlertView = record_model(
    ReturnAlert,
    "ReturnAlertView",
    only=("id", "sku", "window_days", "sold", "returned", "rate", "threshold", "raised_on", "rma_number"),
    channel=(str, Field(description="the channel's code")),
)


class ChannelPolicyView(Reply):
    """A channel's return policy as stored."""

    channel_id: int
    window_days: int
    auto_approve_below: Decimal
    refund_before_arrival: bool
    goods_deadline_days: int
    spike_threshold: Decimal
    spike_min_sold: Decimal
    spike_window_days: int
    updated_by: str


class CustomerPolicyView(Reply):
    """Whether a customer is trusted with refunds before the goods arrive."""

    customer: str = Field(description="the customer's code")
    refund_before_arrival: bool


class SerialsRecorded(Reply):
    """Serial numbers recorded as shipped with an order line."""

    order_number: str
    line_no: int
    serials_recorded: int = Field(description="how many serials of the line are known now")


class ReturnLineView(Reply):
    """A returned line: quantity, reason, serials and value."""

    line_no: int
    order_line_no: int
    sku: str
    qty: Decimal
    reason_code: str | None
    serials: list[str]
    net: Decimal
    tax: Decimal
    unit_cost: Decimal | None
    received_qty: Decimal


class DispositionView(Reply):
    """What became of a received part: restock, refurbish, scrap, back to the supplier."""

    part_no: int
    line_no: int
    qty: Decimal
    disposition: str
    location_id: int | None
    serial: str | None
    value: Decimal
    stock_move_id: int | None
    journal_entry_id: int | None
    supplier: str | None = Field(description="the supplier's code, for goods sent back")
    debit_note_number: str | None
    received_on: date
    received_by: str


class CreditNoteView(Reply):
    """The credit note the return issued, and its refund."""

    number: str
    net: Decimal
    tax: Decimal
    total: Decimal
    method: str
    journal_entry_id: int | None
    payment_id: int | None
    issued_on: date


class ReturnStockMove(Reply):
    """A stock move the return made."""

    id: int
    item_id: int
    location_id: int
    serial: str | None
    qty: Decimal
    unit_cost: Decimal | None
    value: Decimal
    reason: str
    posting_date: date


class ReturnPostingLine(Reply):
    """A journal line the return posted."""

    account: str
    role: str | None
    amount: Decimal
    currency: str
    memo: str | None
    partner_type: str | None
    partner_id: str | None


class ReturnPosting(Reply):
    """A journal entry the return posted."""

    id: int
    idempotency_key: str
    posting_date: date
    memo: str | None
    lines: list[ReturnPostingLine]


class ReturnDocument(Reply):
    """A message the return sent (to the warehouse, the payment provider)."""

    kind: str
    idempotency_key: str
    payload: dict[str, Any]
    created_at: str = Field(description="ISO 8601 timestamp with offset")


class ReturnTask(Reply):
    """A task the return's workflow opened."""

    id: int
    kind: str
    status: str
    title: str
    candidate_role: str | None
    requested_by: str | None
    decision: str | None
    decided_by: str | None
    options: list[str]


class ReturnDetail(Reply):
    """One return with its lines, dispositions, credit note, postings, stock moves, documents and tasks."""

    id: int
    rma_number: str
    workflow_id: str
    entity_id: int
    order_number: str
    channel: str
    customer: str
    currency: str
    refund_method: str
    stage: str
    pending_on: str | None
    requested_by: str
    requested_on: date
    goods_due: date | None
    approved_by: str | None
    value: Decimal
    refunded: Decimal
    refunded_early: bool
    credit_note_number: str | None
    exchange_order_number: str | None
    closed_reason: str | None
    lines: list[ReturnLineView]
    dispositions: list[DispositionView]
    credit_note: CreditNoteView | None
    stock_moves: list[ReturnStockMove]
    postings: list[ReturnPosting]
    documents: list[ReturnDocument]
    tasks: list[ReturnTask]
