"""One workflow per purchase order: the value stream stage by stage, and its messages (thin handlers)."""

import asyncio
import contextlib
from datetime import timedelta
from decimal import Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.purchasing import PurchasingActivities
    from activities.tasks import TaskActivities
    from models.contracts.payments import PaidByRun
    from models.contracts.purchasing import (
        CancelRequest,
        ConfirmationRequest,
        InvoiceRequest,
        LineStatus,
        MatchOutcome,
        OpenTaskView,
        PoStatus,
        PurchaseOrderInput,
        ReceiptRequest,
        ReceiptResult,
    )
    from models.contracts.tasks import DecisionRequest, DecisionResult
    from workflows import from_temporal
    from workflows import search_attributes as sa
    from workflows.inbox import OpenTask, close_decided, decided
    from workflows.purchasing.po import approval, inbound, invoices
    from workflows.purchasing.po.approval import ApprovalStage
    from workflows.purchasing.po.effects import Effects
    from workflows.purchasing.po.facts import (
        FROM_TEMPORAL_ACTOR,
        FROM_TEMPORAL_REASON,
        LIMIT_REQUIRED,
        TERMINAL,
        WORKFLOW_TYPE,
        PoFacts,
        at,
    )
    from workflows.purchasing.po.inbound import InboundStage
    from workflows.purchasing.po.invoices import InvoiceStage
    from workflows.purchasing.policy import po_total


@workflow.defn(name=WORKFLOW_TYPE)
class PurchaseOrderWorkflow:
    """Requisition -> approval -> issued -> received -> invoiced/matched -> paid -> closed."""

    # Message names are public (API, CLI, payment runs, recorded histories): an update is named after its
    # method (`name=` on an async update would lose its typed result for callers), so never rename one.

    @workflow.init
    def __init__(self, po: PurchaseOrderInput) -> None:
        self.facts = PoFacts.of(po)
        self.lock = asyncio.Lock()  # one lock: the main loop and every awaiting handler take turns
        self.fx = Effects(self.facts, self._refresh_stage)
        # Every stage exists before the first message arrives.
        self.approval = ApprovalStage(self.facts, self.fx)
        self.inbound = InboundStage(self.facts, self.fx)
        self.invoices = InvoiceStage(self.facts, self.fx)

    # ---- the value stream ----------------------------------------------------------------------

    @workflow.run
    async def run(self, po: PurchaseOrderInput) -> str:
        """Carry the PO to closed, cancelled or rejected; returns the final stage."""
        try:
            return await self._carry(po)
        except asyncio.CancelledError:
            # Cancelled from Temporal (Web UI, CLI): compensate like POST .../cancel, then end as Canceled.
            await self._cancelled_from_temporal()
            raise

    async def _carry(self, po: PurchaseOrderInput) -> str:
        """Persist, approve, issue, then receive, invoice and pay until the PO is complete."""
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("purchase_order"),
                sa.DOCUMENT_NUMBER.value_set(po.number),
                sa.code_or(sa.ENTITY, str(po.entity_id)),
                sa.code_or(sa.SUPPLIER, str(po.supplier_id)),
                sa.AMOUNT.value_set(float(self.facts.total_func())),
                sa.DUE_DATE.value_set(at(self.facts.expected)),
            ]
        )
        await self.fx.act(PurchasingActivities.persist, po)
        outcome = await self.approval.run()  # approved | rejected | cancelled
        if outcome != "approved":
            return await self.fx.finish(outcome)
        await self.inbound.issue(self.lock)
        await self._refresh_stage()
        await self._fulfil()
        return await self.fx.finish("closed" if self.facts.any_received() else "cancelled")

    async def _fulfil(self) -> None:
        """One loop, one timer: messages change state; the delay, payment and wait deadlines fire here."""
        while not self._complete():
            timeout = self._next_deadline()
            self.fx.dirty = False
            if timeout is None or timeout > timedelta(0):
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(lambda: self.fx.dirty, timeout=timeout)
            async with self.lock:
                now = workflow.now()
                await self.inbound.on_due(now)  # the supplier delay first
                await self.invoices.on_due(now)  # then per invoice by id: pay, or the wait deadline
                await self.fx.apply_sla_dues(now)
                await self.invoices.rematch_waiting()
                await self._refresh_stage()

    def _complete(self) -> bool:
        """Received (or cancelled), every received unit invoiced, every invoice paid or rejected."""
        facts = self.facts
        if facts.stage in TERMINAL:
            return True
        if not facts.fully_received():
            return False
        if not facts.any_received():
            return True  # everything was cancelled before any receipt
        zero = Decimal(0)
        invoiced_ok = all(facts.invoiced.get(n, zero) >= facts.received.get(n, zero) for n in facts.lines)
        return invoiced_ok and self.invoices.settled() and not self.fx.book.tasks

    def _next_deadline(self) -> timedelta | None:
        """Time until the earliest timer: late delivery, a payment due, a wait deadline, a task's SLA."""
        late = self.inbound.next_due()
        moments = ([] if late is None else [late]) + self.invoices.moments()
        sla_moment = self.fx.sla.next_moment(self.fx.book.tasks)
        if sla_moment is not None:
            moments.append(sla_moment)
        if not moments:
            return None
        return max(min(moments) - workflow.now(), timedelta(0))

    async def _refresh_stage(self) -> None:
        """Derive the stage after issue from what has happened so far."""
        facts, fx = self.facts, self.fx
        if facts.stage in TERMINAL:
            return
        if self.invoices.exception_tasks:
            stage, pending = "exception", fx.holder(invoices.KIND, "ap_clerk")
        elif self.inbound.delay_task is not None:
            stage, pending = "delayed", fx.holder(inbound.KIND, "buyer")
        elif not facts.fully_received():
            stage, pending = ("receiving" if facts.any_received() else "issued"), "supplier"
        elif (
            any(facts.invoiced.get(n, Decimal(0)) < q for n, q in facts.received.items())
            or self.invoices.any_waiting()
        ):
            stage, pending = "matching", "supplier"
        else:
            stage, pending = "awaiting_payment", "payment_run"
        await fx.set_stage(stage, pending)
        dues = self.invoices.dues()
        workflow.upsert_search_attributes([sa.DUE_DATE.value_set(at(min(dues) if dues else facts.expected))])

    # ---- decisions on the PO's tasks -----------------------------------------------------------

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """A person's decision on one of this PO's tasks."""
        fx = self.fx
        await workflow.wait_condition(lambda: fx.opening == 0 and fx.attention.opening == 0)
        if fx.attention.owns(req.task_id):
            # Not under the lock: the stuck step may be holding it.
            return await fx.attention.decide(req, lambda: self.facts.stage)
        async with self.lock:
            task, acting_for = fx.book.authorize(req)
            approving = task.kind == "po_approval" and req.decision == "approve"
            strict = workflow.patched(LIMIT_REQUIRED) if approving else True
            self._check_decision(task, req, acting_for, limit_required=strict)
            if approving and self.facts.po.policy.window_cap is not None:
                await self.approval.check_window(task, req, acting_for, limit_required=strict)
            if task.kind == inbound.KIND:
                await self.inbound.decide(req)
            elif task.kind == invoices.KIND:
                await self.invoices.decide(task, req)
            await close_decided(fx.book, task, req, acting_for, act=fx.act)
            if task.kind in approval.KINDS:
                self.approval.hand_over(task, req, acting_for)
            else:
                await self._refresh_stage()
            fx.wake()
            return decided(task, req, acting_for, self.facts.stage)

    @decide.validator
    def _validate_decide(self, req: DecisionRequest) -> None:
        """Refuse a wrong actor, a stale revision, a decided task or a broken rule before history."""
        fx = self.fx
        if fx.attention.owns(req.task_id):
            fx.attention.authorize(req)
            return
        if req.task_id not in fx.book.tasks and (fx.opening or fx.attention.opening):
            return  # possibly the task being opened: the handler checks once it is in the book
        task, acting_for = fx.book.authorize(req)
        self._check_decision(task, req, acting_for)

    def _check_decision(
        self, task: OpenTask, req: DecisionRequest, acting_for: str | None, *, limit_required: bool = True
    ) -> None:
        """The rules of the stage that owns the task: approval, supplier delay or match exception."""
        if task.kind in approval.KINDS:
            self.approval.check(task, req, acting_for, limit_required=limit_required)
        elif task.kind == inbound.KIND:
            self.inbound.check_decision(req)
        elif task.kind == invoices.KIND:
            self.invoices.check_decision(task, req, acting_for)

    # ---- goods, invoices, confirmations, payments ----------------------------------------------

    @workflow.update
    async def receive(self, req: ReceiptRequest) -> ReceiptResult:
        """Goods arrived: stock in, GRNI posted, inbound reduced, waiters told."""
        async with self.lock:
            return await self.inbound.receive(req)  # checks again under the lock

    @receive.validator
    def _validate_receive(self, req: ReceiptRequest) -> None:
        """Refuse receipts before issue, duplicates, unknown lines and over-receipts."""
        self.inbound.check_receipt(req)

    @workflow.update
    async def submit_invoice(self, req: InvoiceRequest) -> MatchOutcome:
        """A supplier invoice: goods invoices are matched, landed-cost invoices allocated."""
        async with self.lock:
            return await self.invoices.submit(req)

    @submit_invoice.validator
    def _validate_invoice(self, req: InvoiceRequest) -> None:
        """Refuse duplicates, invoices before issue and currency mismatches."""
        self.invoices.check(req)

    @workflow.update
    async def confirm(self, req: ConfirmationRequest) -> PoStatus:
        """The supplier confirmed dates/quantities: the expected date (and the delay timer) move."""
        async with self.lock:
            await self.inbound.confirm(req)
            return self.status()

    @confirm.validator
    def _validate_confirm(self, req: ConfirmationRequest) -> None:
        """Only an issued, not fully received PO can be confirmed."""
        self.inbound.check_confirm(req)

    @workflow.signal(name="paid_by_run")
    def paid_by_run(self, notice: PaidByRun) -> None:
        """A payment run paid an invoice of this PO (sent once per payment; a repeat changes nothing)."""
        self.invoices.payments.paid_by_run(self.invoices.invoices, notice)

    # ---- cancellation --------------------------------------------------------------------------

    @workflow.update
    async def cancel(self, req: CancelRequest) -> PoStatus:
        """Before issue: cancel the PO. After: cancel the unreceived remainder (releasing inbound)."""
        async with self.lock:
            self.inbound.check_cancel()
            await self.inbound.cancel(req)
            self.fx.wake()
            return self.status()

    @cancel.validator
    def _validate_cancel(self, req: CancelRequest) -> None:
        """Nothing to cancel on a finished or fully received PO."""
        self.inbound.check_cancel()

    async def _cancelled_from_temporal(self) -> None:
        """Run the API's cancellation for the current stage, close every task, persist "cancelled"."""
        facts = self.facts
        if facts.stage in TERMINAL:
            return  # the PO had finished; only the wait for handlers was interrupted
        req = CancelRequest(actor=FROM_TEMPORAL_ACTOR, reason=FROM_TEMPORAL_REASON)
        async with self.lock:
            # Where POST .../cancel would refuse (everything received) there is nothing to compensate:
            # close the tasks, keep the stage, and let the reconciliation report the PO to an admin.
            cancellable = not (facts.issued and facts.fully_received())
            if cancellable and facts.cancel_requested is None:  # a pending API cancel keeps its reason
                await self.inbound.cancel(req)
            po = facts.po
            await self.fx.act(
                TaskActivities.record_audit,
                from_temporal.audit(
                    f"po:{po.number}",
                    "po",
                    subject_type="purchase_order",
                    subject_id=po.number,
                    entity_id=po.entity_id,
                    issued=facts.issued,
                    compensated=cancellable,
                ),
            )
            if not cancellable:
                await self.fx.close_tasks()
                return
        await self.fx.finish("cancelled")

    # ---- what the PO shows ---------------------------------------------------------------------

    @workflow.query(name="status")
    def status(self) -> PoStatus:
        """Where the PO is and who it waits on."""
        facts, fx = self.facts, self.fx
        return PoStatus(
            number=facts.po.number,
            stage=fx.attention.stage(facts.stage),
            revision=facts.revision,
            pending_on="admin" if fx.attention.parked else facts.pending_on,
            expected_date=facts.expected,
            total=po_total(list(facts.lines.values()), facts.po.currency),
            lines=[
                LineStatus(
                    line_no=n,
                    qty=line.qty,
                    received=facts.received.get(n, Decimal(0)),
                    cancelled=facts.cancelled.get(n, Decimal(0)),
                    invoiced=facts.invoiced.get(n, Decimal(0)),
                )
                for n, line in sorted(facts.lines.items())
            ],
            open_tasks=[
                OpenTaskView(
                    task_id=t.task_id,
                    kind=t.kind,
                    candidate_role=t.candidate_role,
                    candidate_user=t.candidate_user,
                    revision=t.revision,
                )
                for t in [*fx.book.tasks.values(), *fx.attention.book.tasks.values()]
            ],
            invoices={i: inv.status for i, inv in self.invoices.invoices.items()},
            child_numbers=list(self.inbound.children),
        )
