"""The supplier and delivery stage: issue, confirmations, receipts, cancellations, the supplier-delay timer
and the buyer's decision on a late delivery (wait, expedite, cancel the remainder, or a substitute PO)."""

import asyncio
from datetime import date, datetime, timedelta
from decimal import Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.purchasing import PurchasingActivities
    from activities.tasks import TaskActivities
    from models.contracts.errors import CONFLICT, INVALID
    from models.contracts.inbound import InboundLine
    from models.contracts.purchasing import (
        CancelRecord,
        CancelRequest,
        ConfirmationRecord,
        ConfirmationRequest,
        DelayRaised,
        DelayResolved,
        IssuePo,
        OutboxRecord,
        ReceiptRecord,
        ReceiptRequest,
        ReceiptResult,
        SubstituteRequest,
    )
    from models.contracts.summaries import summary_of
    from models.contracts.tasks import DecisionRequest, TaskClose
    from workflows import search_attributes as sa
    from workflows.inbox import refusal
    from workflows.purchasing import checks
    from workflows.purchasing.po.effects import Effects
    from workflows.purchasing.po.facts import (
        DELAY_OPTIONS,
        STAGE_BEFORE_RECORD,
        TERMINAL,
        WORKFLOW_TYPE,
        PoFacts,
        at,
    )

KIND = "supplier_delay"


class InboundStage:
    """Issue, confirmations, receipts, the supplier-delay timer and the buyer's decision."""

    def __init__(self, facts: PoFacts, fx: Effects) -> None:
        self.facts, self.fx = facts, fx
        self.delivery_notes: set[str] = set()
        self.confirmations: set[str] = set()
        self.receipt_no = 0
        self.delay_seq = 0
        self.delay_task: int | None = None
        self.children: list[str] = []

    async def issue(self, lock: asyncio.Lock) -> None:
        """Send the approved PO to the supplier."""
        facts = self.facts
        issue = IssuePo(number=facts.po.number, revision=facts.revision, issued_at=workflow.now())
        if workflow.patched(STAGE_BEFORE_RECORD):
            # The database says "issued" before this coroutine hears back from the activity, and an update
            # arriving with the activity's result is validated first: `issuing` lets the validators accept
            # it, and the lock makes its handler wait until the issue is known here as well.
            async with lock:
                facts.issuing = True
                try:
                    await self.fx.act(PurchasingActivities.issue, issue)
                finally:
                    facts.issuing = False
                facts.issued = True
        else:
            await self.fx.act(PurchasingActivities.issue, issue)
            facts.issued = True

    # ---- the supplier-delay timer --------------------------------------------------------------

    def late_at(self) -> datetime:
        """When the goods count as late: the expected date plus the grace days."""
        return at(self.facts.expected + timedelta(days=self.facts.po.grace_days))

    def next_due(self) -> datetime | None:
        """The delay timer, while goods are open and no delay task is."""
        if not self.facts.fully_received() and self.delay_task is None:
            return self.late_at()
        return None

    async def on_due(self, now: datetime) -> None:
        """Goods late: raise the delay (once per expected date)."""
        late_at = self.late_at()
        if not self.facts.fully_received() and self.delay_task is None and now >= late_at:
            await self._raise_delay()

    async def _raise_delay(self) -> None:
        """Goods late: inbound exception, revised availability for waiters, and a buyer task."""
        facts, po = self.facts, self.facts.po
        self.delay_seq += 1
        today = workflow.now().date()
        await self.fx.act(
            PurchasingActivities.raise_delay,
            DelayRaised(number=po.number, seq=self.delay_seq, expected_date=facts.expected, raised_on=today),
        )
        await self.fx.notify("revised", None, facts.remaining_lines())
        spec = self.fx.spec(
            f"po:{po.number}:delay:{self.delay_seq}",
            KIND,
            f"PO {po.number}: goods expected {facts.expected} have not arrived",
            DELAY_OPTIONS,
            role="buyer",
            due=self.fx.sla.first_due(KIND, workflow.now()),
            details={
                "expected_date": facts.expected.isoformat(),
                "remaining": {str(k): str(v) for k, v in facts.remaining().items()},
            },
        )
        task = await self.fx.open(spec)
        self.delay_task = task.task_id

    # ---- receipts and confirmations ------------------------------------------------------------

    def check_receipt(self, req: ReceiptRequest) -> None:
        """Refuse receipts before issue, duplicates, unknown lines and over-receipts."""
        facts = self.facts
        if not facts.taking_goods():
            raise refusal(CONFLICT, f"PO {facts.po.number} is {facts.stage}: nothing can be received")
        if req.delivery_note in self.delivery_notes:
            raise refusal(CONFLICT, f"delivery_note: {req.delivery_note} was received already")
        checks.check_receipt(req, facts.lines, facts.received, facts.cancelled, facts.po.over_receipt_pct)

    async def receive(self, req: ReceiptRequest) -> ReceiptResult:
        """Goods arrived: stock in, GRNI posted, inbound reduced, waiters told."""
        facts = self.facts
        self.check_receipt(req)
        self.receipt_no += 1
        result = await self.fx.act_or_refuse(
            PurchasingActivities.receive,
            ReceiptRecord(number=facts.po.number, receipt_no=self.receipt_no, request=req),
        )
        arrived: list[InboundLine] = []
        for line_no, qty in sorted(result.accepted.items()):
            facts.received[line_no] = facts.received.get(line_no, Decimal(0)) + qty
            line = facts.lines[line_no]
            if qty > 0:
                arrived.append(InboundLine(item_id=line.item_id, location_id=line.location_id, qty=qty))
        facts.receivers.add(req.received_by)
        self.delivery_notes.add(req.delivery_note)
        if arrived:
            await self.fx.notify("arrived", None, arrived)
        if self.delay_task is not None and facts.fully_received():
            await self._drop_delay_task("arrived", req.received_by)
        await self.fx.refresh_stage()
        self.fx.wake()
        return result

    def check_confirm(self, req: ConfirmationRequest) -> None:
        """Only an issued, not fully received PO can be confirmed, once per reference."""
        facts = self.facts
        if not facts.taking_goods() or facts.fully_received():
            raise refusal(CONFLICT, f"PO {facts.po.number} is {facts.stage}: nothing open to confirm")
        if req.reference in self.confirmations:
            raise refusal(CONFLICT, f"reference: confirmation {req.reference} was recorded already")
        unknown = sorted(set(req.lines) - set(facts.lines))
        if unknown:
            raise refusal(INVALID, f"lines: the PO has no line {unknown[0]}")

    async def confirm(self, req: ConfirmationRequest) -> None:
        """The supplier confirmed dates/quantities: the expected date (and the delay timer) move."""
        facts = self.facts
        self.check_confirm(req)
        await self.fx.act(
            PurchasingActivities.confirm, ConfirmationRecord(number=facts.po.number, request=req)
        )
        self.confirmations.add(req.reference)
        facts.expected = req.confirmed_date
        await self.fx.notify("revised", req.confirmed_date, facts.remaining_lines())
        workflow.upsert_search_attributes([sa.DUE_DATE.value_set(at(facts.expected))])
        self.fx.wake()

    # ---- cancellation --------------------------------------------------------------------------

    def check_cancel(self) -> None:
        """Nothing to cancel on a finished or fully received PO."""
        facts = self.facts
        if facts.stage in TERMINAL or facts.cancel_requested is not None:
            raise refusal(CONFLICT, f"PO {facts.po.number} is {facts.stage} already")
        if facts.issued and facts.fully_received():
            raise refusal(CONFLICT, f"PO {facts.po.number} has nothing left to cancel")

    async def cancel(self, req: CancelRequest) -> None:
        """Before issue: cancel the PO. After: cancel the unreceived remainder (releasing inbound)."""
        facts = self.facts
        if not facts.issued:
            facts.cancel_requested = req
            facts.reason = req.reason
        else:
            await self._cancel_remaining(f"po:{facts.po.number}:cancel", req.actor, req.reason)
            if self.delay_task is not None:
                await self._drop_delay_task("cancelled", req.actor)
            facts.reason = req.reason
            await self.fx.refresh_stage()

    async def _cancel_remaining(self, key: str, actor: str, reason: str) -> None:
        """Cancel the open remainder of every line and tell waiters that stock is not coming."""
        facts = self.facts
        done = await self.fx.act(
            PurchasingActivities.cancel_remaining,
            CancelRecord(number=facts.po.number, key=key, actor=actor, reason=reason),
        )
        lines: list[InboundLine] = []
        for line_no, qty in sorted(done.items()):
            facts.cancelled[line_no] = facts.cancelled.get(line_no, Decimal(0)) + qty
            line = facts.lines[line_no]
            lines.append(InboundLine(item_id=line.item_id, location_id=line.location_id, qty=qty))
        if lines:
            await self.fx.notify("cancelled", None, lines)

    async def _drop_delay_task(self, resolution: str, actor: str) -> None:
        """The delay question became moot (goods arrived or the rest was cancelled)."""
        assert self.delay_task is not None
        self.fx.book.pop(self.delay_task)
        await self.fx.act(
            TaskActivities.close_task,
            TaskClose(task_id=self.delay_task, status="cancelled", comment=resolution),
        )
        await self.fx.act(
            PurchasingActivities.resolve_delay,
            DelayResolved(
                number=self.facts.po.number, seq=self.delay_seq, resolution=resolution, actor=actor
            ),
        )
        self.delay_task = None

    # ---- the buyer's decision on a late delivery -----------------------------------------------

    def check_decision(self, req: DecisionRequest) -> None:
        """A new date to wait for (optional when expediting); a substitute from another supplier."""
        today = workflow.now().date()
        if req.decision == "wait":
            checks.payload_date(req.payload, "new_date", today, required=True)
        elif req.decision == "expedite":
            checks.payload_date(req.payload, "new_date", today, required=False)
        elif req.decision == "substitute":
            supplier = checks.payload_int(req.payload, "supplier_id", None, 1, 2**31 - 1)
            if supplier == self.facts.po.supplier_id:
                raise refusal(INVALID, "payload.supplier_id: choose another supplier than this PO's")

    async def decide(self, req: DecisionRequest) -> None:
        """wait / expedite move the date (and the timer); cancel_remainder or substitute end the wait."""
        facts = self.facts
        today = workflow.now().date()
        seq, n = self.delay_seq, facts.po.number
        new_date: date | None = None
        if req.decision == "substitute":
            await self._substitute(req, today)
        elif req.decision == "cancel_remainder":
            await self._cancel_remaining(f"po:{n}:delay:{seq}:cancel", req.actor, "supplier delay")
        else:
            new_date = checks.payload_date(req.payload, "new_date", today, required=req.decision == "wait")
            new_date = new_date or today + timedelta(days=max(facts.po.grace_days, 1))
            if req.decision == "expedite":
                await self.fx.act(
                    PurchasingActivities.outbox,
                    OutboxRecord(
                        number=n,
                        key=f"po:{n}:delay:{seq}:expedite",
                        kind="purchase_order.expedite",
                        payload={"requested_date": new_date.isoformat()},
                    ),
                )
            facts.expected = new_date
            await self.fx.notify("revised", new_date, facts.remaining_lines())
        await self.fx.act(
            PurchasingActivities.resolve_delay,
            DelayResolved(number=n, seq=seq, resolution=req.decision, new_date=new_date, actor=req.actor),
        )
        self.delay_task = None

    async def _substitute(self, req: DecisionRequest, today: date) -> None:
        """The remainder is ordered from another supplier on a linked PO (its own workflow and approval)."""
        seq, n = self.delay_seq, self.facts.po.number
        supplier = checks.payload_int(req.payload, "supplier_id", None, 1, 2**31 - 1)
        child = await self.fx.act_or_refuse(
            PurchasingActivities.prepare_substitute,
            SubstituteRequest(
                number=n,
                supplier_id=supplier,
                remaining=self.facts.remaining(),
                requested_by=req.actor,
                order_date=today,
            ),
        )
        # By type name: the workflow class imports this module. The child outlives this PO.
        await workflow.start_child_workflow(
            WORKFLOW_TYPE,
            child,
            id=child.workflow_id,
            result_type=str,
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            static_summary=summary_of(child),
        )
        self.children.append(child.number)
        await self._cancel_remaining(
            f"po:{n}:delay:{seq}:substitute", req.actor, f"sourced on PO {child.number}"
        )
