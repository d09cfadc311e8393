"""Procure-to-pay tables: approval policy, purchase orders, receipts, supplier invoices and matches."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import COST, MONEY, QTY, RATE, created_at, money
from models.base import qty as quantity

PO_STAGES = (
    "draft",
    "approval",
    "issued",
    "delayed",
    "receiving",
    "matching",
    "exception",
    "awaiting_payment",
    "closed",
    "cancelled",
    "rejected",
    "needs_attention",  # a step failed for good; an admin decides (workflows.attention)
)
# Approved and not yet fully invoiced: the money is promised to the supplier but on no invoice yet (budget
# commitments, the cash forecast's committed payments). awaiting_payment is left out: every received line is
# invoiced by then, so the PO holds no un-invoiced value and its cash is the supplier invoices'.
COMMITTED_PO_STAGES = ("issued", "delayed", "receiving", "matching", "exception")


class ApprovalBand(SQLModel, table=True):
    """Amount band (entity currency) x category x entity -> sequential approval levels (JSON list)."""

    __tablename__ = "approval_band"
    __table_args__ = (
        CheckConstraint("max_amount IS NULL OR max_amount > min_amount", name="approval_band_range"),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int | None = Field(default=None, foreign_key="entity.id", index=True)
    category: str | None = Field(default=None, max_length=60)
    min_amount: Decimal = money()
    max_amount: Decimal | None = money(None)
    # [{"role": "buyer_lead"} | {"user": "dave"}, ...]; an empty list means auto-approved.
    levels: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    active: bool = True
    # The band applies to POs ordered from effective_from to effective_to (both inclusive; None = open).
    effective_from: date | None = None
    effective_to: date | None = None
    created_at: datetime | None = created_at()


class ApprovalSetting(SQLModel, table=True):
    """SLA, escalation chain and anti-splitting cap of one entity (entity NULL = the default).

    One row per entity and effective_from (None = since always); a PO uses the latest row in effect on its
    order date."""

    __tablename__ = "approval_setting"
    __table_args__ = (UniqueConstraint("entity_id", "effective_from", name="approval_setting_key"),)
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int | None = Field(default=None, foreign_key="entity.id")
    effective_from: date | None = None
    sla_hours: int = 24
    # Where an overdue task goes: {"approver": "finance_manager", "finance_manager": "cfo"}.
    escalation: dict[str, str] = Field(default_factory=dict, sa_type=JSONB)
    window_days: int = 30
    window_cap: Decimal | None = money(None)
    grace_days: int = 2
    over_receipt_pct: Decimal = quantity(Decimal("0"))


class MatchToleranceRow(SQLModel, table=True):
    """Three-way-match tolerances for a supplier or a category, of one entity or all (entity NULL).

    Most specific wins: supplier, then category, then entity; no row at all = rules.matching's default."""

    __tablename__ = "match_tolerance"
    __table_args__ = (UniqueConstraint("entity_id", "supplier_id", "category", name="match_tolerance_key"),)
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int | None = Field(default=None, foreign_key="entity.id", index=True)
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id")
    category: str | None = Field(default=None, max_length=60)
    qty_pct: Decimal = quantity(Decimal("0"))
    price_pct: Decimal = quantity(Decimal("2"))
    price_abs: Decimal = money(Decimal("1"))


class PurchaseOrder(SQLModel, table=True):
    """The PO header; rows are written by its workflow, numbers come from purchase_order_number_seq."""

    __tablename__ = "purchase_order"
    __table_args__ = (
        CheckConstraint(f"stage IN ({', '.join(repr(s) for s in PO_STAGES)})", name="purchase_order_stage"),
        Index("purchase_order_entity_stage", "entity_id", "stage"),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=40)
    workflow_id: str = Field(max_length=200)
    entity_id: int = Field(foreign_key="entity.id")
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    currency: str = Field(max_length=3)
    fx_rate: Decimal = Field(default=Decimal("1"), sa_type=RATE)
    total: Decimal = money()
    total_func: Decimal = money()
    stage: str = Field(default="draft", max_length=20)
    revision: int = 1
    requested_by: str = Field(max_length=80)
    order_date: date
    expected_date: date
    payment_terms: str = Field(max_length=20)
    landed_cost_pct: Decimal = quantity(Decimal("0"))
    parent_number: str | None = Field(default=None, max_length=40)
    pending_on: str | None = Field(default=None, max_length=80)
    issued_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    cycle_time_seconds: int | None = None
    created_at: datetime | None = created_at()


class PurchaseOrderLine(SQLModel, table=True):
    """One ordered item x location with its price and what happened to it so far."""

    __tablename__ = "purchase_order_line"
    __table_args__ = (
        UniqueConstraint("po_id", "line_no", name="purchase_order_line_key"),
        CheckConstraint("qty > 0", name="po_line_qty_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    po_id: int = Field(foreign_key="purchase_order.id", index=True)
    line_no: int
    item_id: int = Field(foreign_key="item.id")
    location_id: int = Field(foreign_key="location.id")
    qty: Decimal = Field(sa_type=QTY)
    price: Decimal = Field(sa_type=COST)
    landed_unit: Decimal = Field(default=Decimal("0"), sa_type=COST)
    confirmed_qty: Decimal | None = quantity(None)
    received_qty: Decimal = quantity()
    rejected_qty: Decimal = quantity()
    cancelled_qty: Decimal = quantity()
    invoiced_qty: Decimal = quantity()


class GoodsReceipt(SQLModel, table=True):
    """One delivery against a PO (several per PO); `receipt_no` is assigned by the PO's workflow."""

    __tablename__ = "goods_receipt"
    __table_args__ = (
        UniqueConstraint("po_id", "receipt_no", name="goods_receipt_key"),
        UniqueConstraint("po_id", "delivery_note", name="goods_receipt_delivery_note"),
    )
    id: int | None = Field(default=None, primary_key=True)
    po_id: int = Field(foreign_key="purchase_order.id", index=True)
    receipt_no: int
    delivery_note: str = Field(max_length=80)
    received_by: str = Field(max_length=80)
    received_on: date
    created_at: datetime | None = created_at()


class GoodsReceiptLine(SQLModel, table=True):
    """Accepted and rejected quantity of one PO line in one receipt, with its valuation."""

    __tablename__ = "goods_receipt_line"
    id: int | None = Field(default=None, primary_key=True)
    receipt_id: int = Field(foreign_key="goods_receipt.id", index=True)
    po_line_id: int = Field(foreign_key="purchase_order_line.id", index=True)
    qty: Decimal = Field(sa_type=QTY)
    rejected_qty: Decimal = quantity()
    lot: str | None = Field(default=None, max_length=80)
    serials: list[str] = Field(default_factory=list, sa_type=JSONB)
    po_value: Decimal = Field(default=Decimal("0"), sa_type=MONEY)
    landed_estimate: Decimal = Field(default=Decimal("0"), sa_type=MONEY)
    landed_actual: Decimal | None = money(None)


class SupplierInvoice(SQLModel, table=True):
    """A supplier's bill for goods or landed cost; one supplier never sends the same number twice."""

    __tablename__ = "supplier_invoice"
    __table_args__ = (
        UniqueConstraint("supplier_id", "invoice_number", name="supplier_invoice_number"),
        CheckConstraint("kind IN ('goods','landed_cost')", name="supplier_invoice_kind"),
        CheckConstraint(
            "status IN ('received','matched','exception','accepted','rejected','waiting','paid')",
            name="supplier_invoice_status",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    invoice_number: str = Field(max_length=60)
    po_id: int = Field(foreign_key="purchase_order.id", index=True)
    entity_id: int = Field(foreign_key="entity.id")
    kind: str = Field(default="goods", max_length=20)
    invoice_date: date
    currency: str = Field(max_length=3)
    net: Decimal = money()
    tax: Decimal = money()
    status: str = Field(default="received", max_length=20)
    allocation_basis: str | None = Field(default=None, max_length=10)
    due_date: date | None = None
    entered_by: str = Field(max_length=80)
    paid_on: date | None = None
    created_at: datetime | None = created_at()


class SupplierInvoiceLine(SQLModel, table=True):
    """An invoiced quantity and price of one PO line."""

    __tablename__ = "supplier_invoice_line"
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="supplier_invoice.id", index=True)
    line_no: int
    po_line_id: int | None = Field(default=None, foreign_key="purchase_order_line.id")
    qty: Decimal = Field(sa_type=QTY)
    price: Decimal = Field(sa_type=COST)


class InvoiceMatch(SQLModel, table=True):
    """The three-way-match outcome of an invoice line (one row per match attempt)."""

    __tablename__ = "invoice_match"
    __table_args__ = (UniqueConstraint("invoice_line_id", "attempt", name="invoice_match_key"),)
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="supplier_invoice.id", index=True)
    invoice_line_id: int = Field(foreign_key="supplier_invoice_line.id")
    attempt: int = 1
    status: str = Field(max_length=20)
    reasons: list[str] = Field(default_factory=list, sa_type=JSONB)
    grni_value: Decimal = money()
    invoice_value: Decimal = money()
    price_variance: Decimal = money()
    resolution: str | None = Field(default=None, max_length=30)
    created_at: datetime | None = created_at()


class InboundException(SQLModel, table=True):
    """Goods missing at the expected date (+ grace): raised by the PO's timer, resolved by the buyer."""

    __tablename__ = "inbound_exception"
    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=200)
    po_id: int = Field(foreign_key="purchase_order.id", index=True)
    kind: str = Field(default="supplier_delay", max_length=30)
    expected_date: date
    raised_on: date
    status: str = Field(default="open", max_length=20)
    resolution: str | None = Field(default=None, max_length=30)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    created_at: datetime | None = created_at()
