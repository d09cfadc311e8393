"""Request bodies of returns: the return request, receipt and inspection, serials sold, policies."""

from typing import Literal

from pydantic import Field

from api.schemas.base import Body, Id, examples
from models.contracts.bounds import MAX_LINES, Amount, Code, Fraction, Quantity, QuantityOrZero, Serial, Sku

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
