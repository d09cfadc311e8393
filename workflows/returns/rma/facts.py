"""What every stage of a return reads: its names, patch ids and the shared facts of the RMA."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.contracts.returns import RefundResult, ReturnInput, ReturnStage
    from workflows.from_temporal import FROM_TEMPORAL_ACTOR as FROM_TEMPORAL_ACTOR  # re-exported
    from workflows.from_temporal import FROM_TEMPORAL_REASON as FROM_TEMPORAL_REASON  # re-exported

WORKFLOW_TYPE = "Return"
ORDER_WORKFLOW_TYPE = "SalesOrder"
APPROVAL_OPTIONS = ["approve", "reject"]
ZERO = Decimal(0)
DONE: tuple[ReturnStage, ...] = ("closed", "rejected", "expired", "cancelled")
# Before the goods arrive (and before any refund) cancelling leaves nothing to undo but the RMA itself.
CANCELLABLE: tuple[ReturnStage, ...] = ("requested", "approval", "awaiting_goods")
# A refund the provider refused waits for sales ops' decision (before: the return closed and the task only
# informed); returns recorded before this branch still close at once when they replay.
FAILED_REFUND_DECIDED = "failed-refund-decided"
# An expired return waits for a failed refund's decision after letting go of its lock (the decision takes it).
FINISH_OUTSIDE_LOCK = "return-expiry-finishes-outside-lock"
REFUND_FAILED = "refund_failed"
FAILED_PENDING = "sales_ops: the refund failed (retry, bank transfer or write-off)"


@dataclass
class ReturnFacts:
    """The RMA every stage reads: its input, where it stands, what came back and what was refunded."""

    rma: ReturnInput
    stage: ReturnStage = "requested"
    pending_on: str = "intake"
    ready: bool = False  # recorded and routed (the sync update waits for it)
    approved_by: str | None = None
    goods_due: date | None = None
    receipt_started: bool = False
    received: dict[int, Decimal] = field(default_factory=dict)
    dispositions: dict[int, list[str]] = field(default_factory=dict)
    parts: int = 0  # parts booked so far: the next receipt numbers its parts after them
    refund: RefundResult | None = None
    refund_attempts: int = 0
    exchange_order: str | None = None

    @property
    def key(self) -> str:
        """The prefix of every idempotency key of the return."""
        return f"return:{self.rma.rma_number}"

    def awaiting(self) -> str:
        """What an approved return waits on: the customer's goods by the deadline."""
        early = " (refunded before arrival)" if self.refund else ""
        return f"goods from the customer by {self.goods_due}{early}"
