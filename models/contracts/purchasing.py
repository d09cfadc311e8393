"""Contracts of the procure-to-pay workflow: its input, messages (updates), activity inputs and results."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from models.contracts.base import Contract
from models.contracts.bounds import MAX_LINES, PayloadDate, QuantityOrZero, UnitCost
from models.contracts.tasks import TaskSlaSnapshot

AllocationBasis = Literal["qty", "value", "weight"]


class LevelSnapshot(Contract):
    """One approval level: a role or a named user."""

    role: str | None = None
    user: str | None = None


class BandSnapshot(Contract):
    """An approval band as it was when the PO was created (later band changes do not touch this PO)."""

    min_amount: Decimal
    max_amount: Decimal | None
    category: str | None
    entity: str | None
    levels: list[LevelSnapshot]


class ApprovalPolicy(Contract):
    """Everything the workflow needs to route approvals, snapshotted at creation."""

    bands: list[BandSnapshot]
    sla_hours: int = 24
    escalation: dict[str, str] = Field(default_factory=dict)
    window_days: int = 30
    window_cap: Decimal | None = None
    # The supplier's scorecard when the PO was created: below the threshold adds a `score_role` level.
    supplier_score: Decimal | None = None
    score_threshold: Decimal | None = None
    score_role: str | None = None
    # Why the score could not be computed (None: it was, or the supplier has no history): adds the level.
    score_unavailable: str | None = None
    # Why the PO is over a category budget (None: within budget): adds a `budget_role` level.
    budget_over: str | None = None
    budget_role: str | None = None
    # Service levels of the PO's other tasks by kind (match_exception, supplier_delay); none: no timers.
    task_slas: dict[str, TaskSlaSnapshot] = Field(default_factory=dict)


class PoLine(Contract):
    """A validated, priced PO line (price and landed estimate per unit, in the PO currency)."""

    line_no: int
    item_id: int
    location_id: int
    category: str
    tracking: str = "none"
    weight_kg: Decimal = Decimal(0)
    qty: Decimal
    price: Decimal
    landed_unit: Decimal = Decimal(0)


class PurchaseOrderInput(Contract):
    """The full validated PO the API hands to its workflow; the workflow's first activity persists it."""

    number: str
    workflow_id: str
    entity_id: int
    entity_currency: str
    supplier_id: int
    supplier_created_by: str | None = None
    currency: str
    fx_rate: Decimal
    order_date: date
    expected_date: date
    payment_terms: str
    requested_by: str
    landed_cost_pct: Decimal = Decimal(0)
    over_receipt_pct: Decimal = Decimal(0)
    grace_days: int = 2
    lines: list[PoLine]
    policy: ApprovalPolicy
    parent_number: str | None = None
    # The entity pays suppliers by payment runs: the PO waits for a run instead of paying when an invoice is due.
    paid_by_runs: bool = False


class RevisionLine(Contract):
    """A changed quantity and/or price of an existing line (qty 0 drops the line)."""

    line_no: int
    qty: QuantityOrZero | None = None
    price: UnitCost | None = None


class RevisionPayload(Contract):
    """The payload of a `submit` decision on a revision task."""

    lines: list[RevisionLine] = Field(default_factory=list, max_length=MAX_LINES)
    expected_date: PayloadDate | None = None


class SaveRevision(Contract):
    """Persist a revised PO (lines, totals, revision number)."""

    number: str
    revision: int
    lines: list[PoLine]
    total: Decimal
    total_func: Decimal
    expected_date: date


class StageChange(Contract):
    """Move the PO row to a stage (and who it waits on) with an audit event."""

    number: str
    stage: str
    pending_on: str | None = None
    key: str
    actor: str = "system"
    reason: str | None = None


class WindowQuery(Contract):
    """How much one approver approved in the last `days` days (anti-splitting cap)."""

    username: str
    days: int
    as_of: datetime


class IssuePo(Contract):
    """Issue an approved PO: outbox document, inbound quantities, status in one transaction."""

    number: str
    revision: int
    issued_at: datetime


class ReceiptLineIn(Contract):
    """Received quantity of one PO line: accepted and rejected, with lot or serial numbers."""

    line_no: int
    qty: Decimal = Decimal(0)
    rejected_qty: Decimal = Decimal(0)
    lot: str | None = None
    serials: list[str] = Field(default_factory=list)


class ReceiptRequest(Contract):
    """A delivery reported by the warehouse (the `receive` update)."""

    delivery_note: str
    received_by: str
    received_on: date
    lines: list[ReceiptLineIn]


class ReceiptRecord(Contract):
    """What the receipt activity writes; `receipt_no` is assigned by the workflow."""

    number: str
    receipt_no: int
    request: ReceiptRequest


class ReceiptResult(Contract):
    """The receipt as recorded."""

    number: str
    receipt_no: int
    accepted: dict[int, Decimal]
    value: Decimal


class ConfirmationRequest(Contract):
    """The supplier's order confirmation: a date and optionally confirmed quantities per line."""

    confirmed_date: date
    reference: str
    lines: dict[int, Decimal] = Field(default_factory=dict)
    actor: str


class CancelRequest(Contract):
    """Cancel what is not yet received."""

    actor: str
    reason: str


class InvoiceLineIn(Contract):
    """An invoiced quantity and price of a PO line (line_no None: the supplier cited no PO line)."""

    line_no: int | None
    qty: Decimal
    price: Decimal


class InvoiceRequest(Contract):
    """A supplier invoice for goods or for landed cost (freight, duty) of this PO."""

    invoice_number: str
    invoice_date: date
    currency: str
    kind: Literal["goods", "landed_cost"] = "goods"
    lines: list[InvoiceLineIn] = Field(default_factory=list)
    tax: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)
    basis: AllocationBasis = "value"
    entered_by: str


class InvoiceRecord(Contract):
    """Register an invoice of a PO (idempotent by supplier + invoice number)."""

    number: str
    request: InvoiceRequest


class InvoiceRegistered(Contract):
    """The invoice row id and its net amount."""

    invoice_id: int
    net: Decimal


class MatchRequest(Contract):
    """Run (or re-run) the three-way match of an invoice."""

    number: str
    invoice_id: int
    attempt: int
    posting_date: date


class MatchOutcome(Contract):
    """Match status, reasons per line, and the journal entry when it posted."""

    invoice_id: int
    status: Literal["matched", "exception"]
    reasons: list[str]
    invoiced: dict[int, Decimal]
    net: Decimal
    due_date: date
    journal_entry_id: int | None = None


class ResolveMatch(Contract):
    """The AP clerk's resolution of a match exception."""

    number: str
    invoice_id: int
    resolution: Literal["accept", "reject", "wait_for_receipt"]
    actor: str
    posting_date: date


class LandedCostRecord(Contract):
    """Allocate and post a landed-cost invoice against the PO's receipts."""

    number: str
    invoice_id: int
    posting_date: date


class PaymentRequest(Contract):
    """Pay an approved invoice on its due date."""

    number: str
    invoice_id: int
    paid_on: date


class SelfPayCheck(Contract):
    """May a PO whose invoices payment runs pay now pay this one itself (the entity stopped using runs)?"""

    number: str
    invoice_id: int


class DelayRaised(Contract):
    """Raise the inbound exception of a missed expected date."""

    number: str
    seq: int
    expected_date: date
    raised_on: date


class DelayResolved(Contract):
    """Close the inbound exception with the buyer's decision."""

    number: str
    seq: int
    resolution: str
    new_date: date | None = None
    actor: str


class SubstituteRequest(Contract):
    """Build a linked PO for the remaining quantity from another supplier."""

    number: str
    supplier_id: int
    remaining: dict[int, Decimal]
    requested_by: str
    order_date: date


class CloseRequest(Contract):
    """Close (or cancel) the PO row and record its cycle time."""

    number: str
    stage: Literal["closed", "cancelled", "rejected"]
    closed_at: datetime
    cycle_time_seconds: int
    reason: str | None = None


class OpenTaskView(Contract):
    """An open task as the status query shows it."""

    task_id: int
    kind: str
    candidate_role: str | None
    candidate_user: str | None
    revision: int | None


class LineStatus(Contract):
    """Progress of one PO line."""

    line_no: int
    qty: Decimal
    received: Decimal
    cancelled: Decimal
    invoiced: Decimal


class PoStatus(Contract):
    """The `status` query: stage, who it waits on, dates, lines and open tasks."""

    number: str
    stage: str
    revision: int
    pending_on: str | None
    expected_date: date
    total: Decimal
    lines: list[LineStatus]
    open_tasks: list[OpenTaskView]
    invoices: dict[int, str]
    child_numbers: list[str]


class ConfirmationRecord(Contract):
    """Persist a supplier confirmation of a PO."""

    number: str
    request: ConfirmationRequest


class CancelRecord(Contract):
    """Cancel the unreceived remainder of every line, once per key."""

    number: str
    key: str
    actor: str
    reason: str


class OutboxRecord(Contract):
    """An outbound document about a PO (e.g. an expedite request to the supplier)."""

    number: str
    key: str
    kind: str
    payload: dict[str, str] = Field(default_factory=dict)
