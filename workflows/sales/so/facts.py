"""What every stage of a sales order reads: its names, patch ids and the shared facts of the order."""

from dataclasses import dataclass
from decimal import Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.contracts.sales import LineNeed, OrderInput, Stage
    from workflows.from_temporal import FROM_TEMPORAL_ACTOR as FROM_TEMPORAL_ACTOR  # re-exported
    from workflows.from_temporal import FROM_TEMPORAL_REASON as FROM_TEMPORAL_REASON  # re-exported
    from workflows.sales.lines import LineState

WORKFLOW_TYPE = "SalesOrder"
LINE_OPTIONS = ["keep_waiting", "substitute", "cancel_line"]
ZERO = Decimal(0)
# Patch: a declined authorisation leaves the order waiting for a new payment (or the hold timer), and a
# lapsed card authorisation is renewed before shipment (new commands only on these new paths).
PAYMENT_PATHS = "payment-decline-and-expiry"
# Patch: the order's short database steps run as local activities (no activity task round trip through the
# server; the result is a marker in the next workflow task). Each is one keyed transaction, so running it
# again after a worker crash changes nothing. Steps that reach outside (payments, the carrier) stay activities,
# and so does allocation: it contends for stock rows, and its retries should show as a pending activity.
LOCAL_DB_STEPS = "order-local-db-steps"
# A line task opened again in the same allocation round (kept waiting, then overdue again) gets a key of its
# own: the round's key found the task already decided, and nobody could decide the order again.
LINE_TASK_AGAIN = "order-line-task-opened-again"


@dataclass
class OrderFacts:
    """The order every stage reads: its input and lines, whether it is paid or cancelled, where it stands."""

    order: OrderInput
    lines: dict[int, LineState]
    ready: bool = False  # intake is done (the sync update waits for it)
    paid: bool = False
    picking: bool = False
    cancelled: bool = False
    declined: str | None = None  # why the last authorisation was declined
    wake: bool = False  # a message changed what the main loop waits on
    stage: Stage = "received"
    pending_on: str = "intake"

    @classmethod
    def of(cls, order: OrderInput) -> "OrderFacts":
        """The facts of an order as it came in."""
        return cls(order=order, lines={line.line_no: LineState(line=line) for line in order.lines})

    @property
    def key(self) -> str:
        """The prefix of every idempotency key of the order."""
        return f"order:{self.order.order_number}"

    def need(self, line: LineState, qty: Decimal) -> LineNeed:
        """What one line needs from stock."""
        return LineNeed(line_no=line.line.line_no, item_id=line.line.item_id, qty=qty)

    def total_due(self) -> Decimal:
        """What the customer owes for the whole order."""
        return sum((ls.line.gross - ls.line.discount + ls.line.tax for ls in self.lines.values()), ZERO)

    def any_shipped(self) -> bool:
        """At least one unit left a warehouse."""
        return any(ls.shipped > 0 for ls in self.lines.values())

    def finished(self) -> bool:
        """Cancelled, or every line shipped or cancelled."""
        return self.cancelled or all(ls.open_qty == 0 for ls in self.lines.values())

    def derive(self, open_tasks: bool) -> tuple[Stage, str]:
        """Stage and what the order waits on, from the lines and flags."""
        lines = list(self.lines.values())
        shipped = any(ls.shipped > 0 for ls in lines)
        if self.cancelled or (self.finished() and not shipped):
            return "cancelled", self.pending_on if self.cancelled else "nothing"
        if self.finished():
            return "closed", "settlement" if self.order.payment_method == "marketplace" else "nothing"
        if open_tasks:
            return "backordered", "sales_ops"
        if not self.paid:
            return (
                "awaiting_payment",
                "payment" if self.declined is None else f"payment (declined: {self.declined})",
            )
        if any(ls.backordered > 0 for ls in lines):
            dates = sorted(str(ls.promised) for ls in lines if ls.backordered > 0)
            pos = sorted({ls.po_number for ls in lines if ls.backordered > 0 and ls.po_number})
            return "backordered", f"stock {'/'.join(pos) or 'inbound'} by {dates[0]}"
        if shipped:
            return "shipped", "warehouse"
        return ("picking" if self.picking else "allocated"), "warehouse"
