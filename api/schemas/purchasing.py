"""Request bodies of procure-to-pay: purchase orders, receipts, confirmations, cancellations, invoices."""

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field, create_model

from api.schemas.base import Body, Id, Reply, examples, record_model, reply_examples
from api.schemas.books import HistoryEvent, PostingView
from models.contracts.bounds import (
    MAX_LINES,
    Amount,
    CurrencyCode,
    EventDate,
    Percentage,
    PlanDate,
    Quantity,
    QuantityOrZero,
    Serial,
    UnitCost,
)
from models.contracts.purchasing import LineStatus, PoStatus
from models.purchasing import (
    GoodsReceipt,
    GoodsReceiptLine,
    InboundException,
    InvoiceMatch,
    PurchaseOrder,
    PurchaseOrderLine,
    SupplierInvoice,
    SupplierInvoiceLine,
)
from models.tasks import Task


class PoLineBody(Body):
    """An item to order at a location; omit price to use the supplier's contract price."""

    item_id: Id
    location_id: Id
    qty: Quantity = Field(examples=["10"])
    price: UnitCost | None = Field(default=None, examples=["4.20"])


class PoCreate(Body):
    """A requisition / draft PO; the expected date defaults to order date + supplier lead time."""

    model_config = examples(
        {
            "entity_id": 1,
            "supplier_id": 1,
            "landed_cost_pct": "3.5",
            "lines": [
                {"item_id": 1, "location_id": 1, "qty": "48"},
                {"item_id": 2, "location_id": 1, "qty": "24", "price": "9.80"},
            ],
        }
    )

    entity_id: Id
    supplier_id: Id
    currency: CurrencyCode | None = None
    order_date: EventDate | None = None
    expected_date: PlanDate | None = None
    landed_cost_pct: Percentage = Field(
        default=Decimal(0), description="estimated freight/duty as % of value"
    )
    lines: list[PoLineBody] = Field(min_length=1, max_length=MAX_LINES)


class ReceiptLineBody(Body):
    """Accepted and rejected quantity of one PO line, with lot or serial numbers when tracked."""

    line_no: Id
    qty: QuantityOrZero = Decimal(0)
    rejected_qty: QuantityOrZero = Decimal(0)
    lot: str | None = Field(default=None, max_length=80)
    serials: list[Serial] = Field(default_factory=list, max_length=10_000)


class PoReceiptBody(Body):
    """A delivery; the delivery note number makes a retried request idempotent."""

    model_config = examples(
        {
            "delivery_note": "DN-NORDTEX-88231",
            "received_on": "2026-07-14",
            "lines": [{"line_no": 1, "qty": "46", "rejected_qty": "2"}, {"line_no": 2, "qty": "24"}],
        },
        {"delivery_note": "DN-GLOWLAB-1107", "lines": [{"line_no": 1, "qty": "120", "lot": "GL-2607-A"}]},
    )

    delivery_note: str = Field(min_length=1, max_length=80)
    received_on: EventDate | None = None
    lines: list[ReceiptLineBody] = Field(min_length=1, max_length=MAX_LINES)


class ConfirmationBody(Body):
    """The supplier's confirmation: a delivery date and optionally confirmed quantities per line."""

    model_config = examples(
        {"reference": "NORDTEX-AB-5521", "confirmed_date": "2026-07-15", "lines": {"1": "48", "2": "20"}}
    )

    reference: str = Field(min_length=1, max_length=80)
    confirmed_date: PlanDate
    lines: dict[Id, QuantityOrZero] = Field(default_factory=dict, max_length=MAX_LINES)


class PoCancelBody(Body):
    """Why the PO (or its unreceived remainder) is cancelled."""

    model_config = examples({"reason": "supplier cannot deliver before the season ends"})

    reason: str = Field(min_length=1, max_length=500)


class InvoiceLineBody(Body):
    """An invoiced quantity and price; line_no is the PO line (None when the supplier cites none)."""

    line_no: Id | None
    qty: Quantity
    price: UnitCost


class InvoiceBody(Body):
    """A supplier invoice for goods (lines) or landed cost (amount allocated by qty, value or weight)."""

    model_config = examples(
        {
            "po_number": "100001",
            "supplier_id": 1,
            "invoice_number": "NT-2026-0456",
            "invoice_date": "2026-07-16",
            "currency": "EUR",
            "kind": "goods",
            "lines": [{"line_no": 1, "qty": "46", "price": "12.40"}],
            "tax": "108.38",
        },
        {
            "po_number": "100001",
            "supplier_id": 1,
            "invoice_number": "NT-2026-0457",
            "invoice_date": "2026-07-18",
            "currency": "EUR",
            "kind": "landed_cost",
            "amount": "85.00",
            "basis": "weight",
        },
    )

    po_number: str = Field(min_length=1, max_length=40)
    supplier_id: Id
    invoice_number: str = Field(min_length=1, max_length=60)
    invoice_date: EventDate
    currency: CurrencyCode
    kind: Literal["goods", "landed_cost"] = "goods"
    lines: list[InvoiceLineBody] = Field(default_factory=list, max_length=MAX_LINES)
    tax: Amount = Decimal(0)
    amount: Amount = Decimal(0)
    basis: Literal["qty", "value", "weight"] = "value"


# ---- Response models: what the procure-to-pay endpoints answer --------------------------------------------


class PoCreated(Reply):
    """A PO whose workflow started: it waits for approval (201), or its start is stored (202, same names)."""

    model_config = reply_examples(
        {
            "number": "100012",
            "workflow_id": "PO-100012",
            "status": "submitted",
            "expected_date": "2026-12-07",
            "currency": "EUR",
            "over_budget": None,
        }
    )

    number: str
    workflow_id: str
    status: str = Field(description="submitted: the workflow has it (approval comes first)")
    expected_date: date
    currency: str
    over_budget: str | None = Field(
        description="why the PO is over a category budget (review level added), or null"
    )


PoListItem = record_model(
    PurchaseOrder,
    "PoListItem",
    only=(
        "number",
        "entity_id",
        "supplier_id",
        "currency",
        "total",
        "total_func",
        "stage",
        "pending_on",
        "revision",
        "requested_by",
        "order_date",
        "expected_date",
        "parent_number",
        "cycle_time_seconds",
        "created_at",
    ),
)


class LinkedPo(Reply):
    """A PO split off this one (a remainder re-ordered, a substitute)."""

    number: str
    stage: str


DocumentTask = record_model(
    Task,
    "DocumentTask",
    only=(
        "id",
        "kind",
        "title",
        "candidate_role",
        "candidate_user",
        "status",
        "decision",
        "decided_by",
        "acting_for",
        "comment",
        "escalation_level",
        "due_at",
        "created_at",
        "decided_at",
        "details",
    ),
)
ReceiptLineView = record_model(GoodsReceiptLine, "ReceiptLineView", line_no=(int, ...))
ReceiptView = record_model(GoodsReceipt, "ReceiptView", lines=(list[ReceiptLineView], ...))  # type: ignore[valid-type]
InvoiceView = record_model(
    SupplierInvoice,
    "InvoiceView",
    lines=(list[record_model(SupplierInvoiceLine, "InvoiceLineView")], ...),  # type: ignore[misc]
    matches=(list[record_model(InvoiceMatch, "InvoiceMatchView")], ...),  # type: ignore[misc]
)
PoDetail = record_model(
    PurchaseOrder,
    "PoDetail",
    lines=(list[record_model(PurchaseOrderLine, "PoLineView")], ...),  # type: ignore[misc]
    receipts=(list[ReceiptView], ...),  # type: ignore[valid-type]
    invoices=(list[InvoiceView], ...),  # type: ignore[valid-type]
    inbound_exceptions=(list[record_model(InboundException, "InboundExceptionView")], ...),  # type: ignore[misc]
    postings=(list[PostingView], ...),
    tasks=(list[DocumentTask], ...),  # type: ignore[valid-type]
    history=(list[HistoryEvent], ...),
    linked=(list[LinkedPo], ...),
)

# The PO workflow's answers as the API sends them; renamed because the sales contract has a LineStatus too
# (one name per model keeps generated clients whole).
PoLineState = create_model("PoLineState", __base__=LineStatus, __doc__="A PO line as the workflow sees it.")
PoState = create_model(
    "PoState",
    __base__=PoStatus,
    __doc__="The PO's stage, who it waits on, its lines, open tasks and invoices.",
    lines=(list[PoLineState], ...),
)
