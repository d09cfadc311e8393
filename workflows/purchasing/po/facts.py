"""What every stage of a purchase order reads: its names, patch ids and the shared facts of the document."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.contracts.inbound import InboundLine
    from models.contracts.purchasing import CancelRequest, PoLine, PurchaseOrderInput
    from models.contracts.tasks import DecisionRequest
    from workflows.from_temporal import FROM_TEMPORAL_ACTOR as FROM_TEMPORAL_ACTOR  # re-exported
    from workflows.from_temporal import FROM_TEMPORAL_REASON as FROM_TEMPORAL_REASON  # re-exported
    from workflows.purchasing.policy import func_total, po_total

WORKFLOW_TYPE = "PurchaseOrder"
APPROVAL_OPTIONS = ["approve", "reject", "request_changes"]
DELAY_OPTIONS = ["wait", "expedite", "cancel_remainder", "substitute"]
TERMINAL = ("closed", "cancelled", "rejected")
# Histories recorded before it replay as they ran: the stage was known only once its row was written.
STAGE_BEFORE_RECORD = "po-stage-known-before-recorded"
# Before it, an approver without a limit approved any amount; decisions recorded so then replay as they ran.
LIMIT_REQUIRED = "po-approver-needs-a-limit"
# Match-exception and delay tasks remind and escalate on their kind's service level (POs snapshotting one).
TASK_SLA = "po-task-service-levels"
# An entity paying by payment runs: the run pays the invoice and signals; the PO's due-date payment stands down.
PAID_BY_RUNS = "po-paid-by-payment-runs"
# A PO whose invoices runs pay checks on the due date (then daily) whether its entity still uses runs, and pays
# itself when it stopped: before, it waited for a run that would never come.
RUNS_STOPPED = "po-pays-itself-when-runs-stop"
# An invoice whose wait for its receipt ran out gets a task of its own (it reused the decided one).
DEADLINE_OWN_TASK = "po-deadline-exception-own-task"


def at(day: date) -> datetime:
    """Midnight UTC of a business date (timers fire at the start of the day)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass
class Decided:
    """A decision the main coroutine consumes (approval and revision tasks)."""

    req: DecisionRequest
    acting_for: str | None


@dataclass
class InvoiceState:
    """What the workflow tracks of one supplier invoice."""

    invoice_id: int
    kind: str
    status: str  # approved | exception | waiting | rejected | paid
    net: Decimal
    due: date | None = None
    wait_until: datetime | None = None
    received_mark: Decimal = Decimal(0)
    attempt: int = 1
    invoiced: dict[int, Decimal] = field(default_factory=dict)
    runs_check: datetime | None = None  # the next look at whether runs still pay it (a runs PO, past due)


@dataclass
class PoFacts:
    """The document every stage reads: lines and revision, dates, quantities, where it stands."""

    po: PurchaseOrderInput
    lines: dict[int, PoLine]
    expected: date
    revision: int = 1
    stage: str = "draft"
    pending_on: str | None = None
    received: dict[int, Decimal] = field(default_factory=dict)
    cancelled: dict[int, Decimal] = field(default_factory=dict)
    invoiced: dict[int, Decimal] = field(default_factory=dict)
    receivers: set[str] = field(default_factory=set)
    cancel_requested: CancelRequest | None = None
    issued: bool = False
    issuing: bool = False  # the issue activity is running (see InboundStage.issue)
    reason: str | None = None

    @classmethod
    def of(cls, po: PurchaseOrderInput) -> "PoFacts":
        """The facts of a PO as requisitioned."""
        return cls(po=po, lines={line.line_no: line for line in po.lines}, expected=po.expected_date)

    def total(self) -> Decimal:
        """The PO total in its own currency."""
        return po_total(list(self.lines.values()), self.po.currency)

    def total_func(self) -> Decimal:
        """The PO total in the entity's functional currency."""
        return func_total(self.total(), self.po.fx_rate, self.po.entity_currency)

    def remaining(self) -> dict[int, Decimal]:
        """Open quantity per line (ordered - received - cancelled)."""
        out: dict[int, Decimal] = {}
        for n, line in sorted(self.lines.items()):
            left = line.qty - self.received.get(n, Decimal(0)) - self.cancelled.get(n, Decimal(0))
            if left > 0:
                out[n] = left
        return out

    def remaining_lines(self) -> list[InboundLine]:
        """The open remainder as inbound lines (item, location, quantity)."""
        return [
            InboundLine(item_id=self.lines[n].item_id, location_id=self.lines[n].location_id, qty=q)
            for n, q in self.remaining().items()
        ]

    def fully_received(self) -> bool:
        """Nothing left to arrive (received or cancelled)."""
        return not self.remaining()

    def any_received(self) -> bool:
        """At least one unit arrived."""
        return any(self.received.values())

    def taking_goods(self) -> bool:
        """Issued (or being issued: handlers wait on the lock for it) and not finished."""
        return (self.issued or self.issuing) and self.stage not in TERMINAL
