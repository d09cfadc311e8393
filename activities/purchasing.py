"""Activities of procure-to-pay: each one transaction, idempotent through business keys."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from erp.db import session_scope
from models.contracts.errors import CONFLICT, INVALID
from models.contracts.purchasing import (
    CancelRecord,
    CloseRequest,
    ConfirmationRecord,
    DelayRaised,
    DelayResolved,
    InvoiceRecord,
    InvoiceRegistered,
    IssuePo,
    LandedCostRecord,
    MatchOutcome,
    MatchRequest,
    OutboxRecord,
    PaymentRequest,
    PurchaseOrderInput,
    ReceiptRecord,
    ReceiptResult,
    ResolveMatch,
    SaveRevision,
    SelfPayCheck,
    StageChange,
    SubstituteRequest,
    WindowQuery,
)
from rules.errors import RuleViolation
from services.core.errors import Conflict
from services.payments import runs as payment_runs
from services.purchasing import (
    invoice_matching,
    invoice_posting,
    invoice_registration,
    landed_cost,
    po_progress,
    receiving,
)
from services.purchasing import store as po_store
from services.purchasing.orders import Draft, DraftLine, build_input, next_number


@contextmanager
def business_errors() -> Iterator[None]:
    """A refused business rule will not pass on retry: fail the activity for good, typed for the API."""
    try:
        yield
    except Conflict as exc:
        raise ApplicationError(str(exc), type=CONFLICT, non_retryable=True) from exc
    except RuleViolation as exc:
        raise ApplicationError(str(exc), type=INVALID, non_retryable=True) from exc
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == "23505":  # a duplicate business key
            raise ApplicationError(str(exc.orig), type=CONFLICT, non_retryable=True) from exc
        raise


class PurchasingActivities:
    """Purchase order I/O on PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn(name="purchasing.persist")
    def persist(self, po: PurchaseOrderInput) -> int:
        """Write the PO and its lines (once per number)."""
        with business_errors(), session_scope(self.engine) as s:
            return po_store.persist(s, po)

    @activity.defn(name="purchasing.set_stage")
    def set_stage(self, change: StageChange) -> None:
        """Record the PO's stage and who it waits on."""
        with session_scope(self.engine) as s:
            po_store.set_stage(s, change)

    @activity.defn(name="purchasing.approved_in_window")
    def approved_in_window(self, q: WindowQuery) -> Decimal:
        """Sum an approver approved in the rolling window."""
        with session_scope(self.engine) as s:
            return po_progress.approved_in_window(s, q)

    @activity.defn(name="purchasing.save_revision")
    def save_revision(self, rev: SaveRevision) -> None:
        """Persist a revised PO."""
        with session_scope(self.engine) as s:
            po_store.save_revision(s, rev)

    @activity.defn(name="purchasing.issue")
    def issue(self, req: IssuePo) -> None:
        """Issue the PO: outbox + inbound + status."""
        with session_scope(self.engine) as s:
            po_progress.issue(s, req)

    @activity.defn(name="purchasing.outbox")
    def outbox(self, rec: OutboxRecord) -> None:
        """Write an outbound document."""
        with session_scope(self.engine) as s:
            po_progress.outbox(s, rec)

    @activity.defn(name="purchasing.confirm")
    def confirm(self, rec: ConfirmationRecord) -> None:
        """Record a supplier confirmation."""
        with session_scope(self.engine) as s:
            po_progress.confirm(s, rec)

    @activity.defn(name="purchasing.cancel_remaining")
    def cancel_remaining(self, rec: CancelRecord) -> dict[int, Decimal]:
        """Cancel the open remainder and release its inbound quantity."""
        with session_scope(self.engine) as s:
            return po_progress.cancel_remaining(s, rec)

    @activity.defn(name="purchasing.receive")
    def receive(self, rec: ReceiptRecord) -> ReceiptResult:
        """Record a goods receipt with its stock moves and postings."""
        with business_errors(), session_scope(self.engine) as s:
            return receiving.record(s, rec)

    @activity.defn(name="purchasing.register_invoice")
    def register_invoice(self, rec: InvoiceRecord) -> InvoiceRegistered:
        """Register a supplier invoice (duplicate -> non-retryable Conflict)."""
        with business_errors(), session_scope(self.engine) as s:
            return invoice_registration.register(s, rec)

    @activity.defn(name="purchasing.match")
    def match(self, req: MatchRequest) -> MatchOutcome:
        """Three-way match and, within tolerance, the invoice posting."""
        with business_errors(), session_scope(self.engine) as s:
            return invoice_matching.match(s, req)

    @activity.defn(name="purchasing.resolve_match")
    def resolve_match(self, req: ResolveMatch) -> MatchOutcome:
        """Apply the AP clerk's resolution of a match exception."""
        with business_errors(), session_scope(self.engine) as s:
            return invoice_matching.resolve(s, req)

    @activity.defn(name="purchasing.landed_cost")
    def landed_cost(self, req: LandedCostRecord) -> MatchOutcome:
        """Allocate and post a landed-cost invoice."""
        with business_errors(), session_scope(self.engine) as s:
            return landed_cost.allocate_invoice(s, req)

    @activity.defn(name="purchasing.pay")
    def pay(self, req: PaymentRequest) -> int:
        """Pay an invoice on its due date."""
        with business_errors(), session_scope(self.engine) as s:
            return invoice_posting.pay(s, req)

    @activity.defn(name="purchasing.pays_itself")
    def pays_itself(self, req: SelfPayCheck) -> bool:
        """Whether the PO pays an invoice itself now that its entity stopped using payment runs."""
        with session_scope(self.engine) as s:
            return payment_runs.pays_itself(s, po_store.head(s, req.number).entity_id, req.invoice_id)

    @activity.defn(name="purchasing.raise_delay")
    def raise_delay(self, req: DelayRaised) -> None:
        """Open the inbound exception of a late delivery."""
        with session_scope(self.engine) as s:
            po_progress.raise_delay(s, req)

    @activity.defn(name="purchasing.resolve_delay")
    def resolve_delay(self, req: DelayResolved) -> None:
        """Close the inbound exception with the buyer's decision."""
        with session_scope(self.engine) as s:
            po_progress.resolve_delay(s, req)

    @activity.defn(name="purchasing.prepare_substitute")
    def prepare_substitute(self, req: SubstituteRequest) -> PurchaseOrderInput:
        """Validate and price the remainder at another supplier, and allocate the linked PO's number."""
        with business_errors(), session_scope(self.engine) as s:
            po = po_store.head(s, req.number)
            by_no = po_store.lines_by_no(s, po.id)
            draft = Draft(
                entity_id=po.entity_id,
                supplier_id=req.supplier_id,
                requested_by=req.requested_by,
                order_date=req.order_date,
                parent_number=req.number,
                field_prefix="substitute.",
                lines=[
                    DraftLine(item_id=by_no[n].item_id, location_id=by_no[n].location_id, qty=q)
                    for n, q in sorted(req.remaining.items())
                    if q > 0
                ],
            )
            # Validate before spending a number; a retried attempt may leave a gap, never a duplicate.
            build_input(s, draft, "0")
            return build_input(s, draft, next_number(s))

    @activity.defn(name="purchasing.close")
    def close(self, req: CloseRequest) -> None:
        """End the PO with its cycle time."""
        with session_scope(self.engine) as s:
            po_progress.close(s, req)

    def all(self) -> list[Callable[..., Any]]:
        """Every activity method of this class, for the worker."""
        return [
            self.persist,
            self.set_stage,
            self.approved_in_window,
            self.save_revision,
            self.issue,
            self.outbox,
            self.confirm,
            self.cancel_remaining,
            self.receive,
            self.register_invoice,
            self.match,
            self.resolve_match,
            self.landed_cost,
            self.pay,
            self.pays_itself,
            self.raise_delay,
            self.resolve_delay,
            self.prepare_substitute,
            self.close,
        ]
