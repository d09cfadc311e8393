"""One workflow per return authorisation: approval, waiting for the goods, inspection, refund, exchange."""

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.payments import PaymentActivities
    from activities.returns import ReturnsActivities
    from activities.tasks import TaskActivities
    from models.contracts.errors import CONFLICT, FORBIDDEN, INVALID
    from models.contracts.payments import FailedRefundDecision, FailedRefundOutcome
    from models.contracts.returns import (
        CancelReturn,
        ExchangeRequest,
        GoodsReceipt,
        ReceiptRequest,
        ReceiptResult,
        RefundRequest,
        RefundResult,
        ReturnInput,
        ReturnLineStatus,
        ReturnStage,
        ReturnStatus,
        SpikeCheck,
        StageUpdate,
    )
    from models.contracts.sales import OrderInput
    from models.contracts.summaries import summary_of
    from models.contracts.tasks import (
        AuditRecord,
        DecisionRequest,
        DecisionResult,
        TaskClose,
        TaskOpened,
        TaskSpec,
    )
    from rules.errors import RuleViolation
    from rules.failed_refunds import OPTIONS as FAILED_REFUND_OPTIONS
    from rules.failed_refunds import check_decision
    from rules.returns import needs_approval
    from workflows import retry
    from workflows import search_attributes as sa
    from workflows.attention import NEEDS_ATTENTION, Attention, Subject
    from workflows.inbox import OpenTask, TaskBook, close_decided, refusal
    from workflows.returns.checks import check_receipt
    from workflows.sla import SlaWatch, wait_with_sla
    from workflows.sla import Subject as SlaSubject

WORKFLOW_TYPE = "Return"
ORDER_WORKFLOW_TYPE = "SalesOrder"
_ACT: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": retry.TRANSIENT,
}
_APPROVAL_OPTIONS = ["approve", "reject"]
_ZERO = Decimal(0)
_DONE: tuple[ReturnStage, ...] = ("closed", "rejected", "expired", "cancelled")
# Before the goods arrive (and before any refund) cancelling leaves nothing to undo but the RMA itself.
_CANCELLABLE: tuple[ReturnStage, ...] = ("requested", "approval", "awaiting_goods")
# A refund the provider refused waits for sales ops' decision (before: the return closed and the task only
# informed); returns recorded before this branch still close at once when they replay.
FAILED_REFUND_DECIDED = "failed-refund-decided"
REFUND_FAILED = "refund_failed"
_FAILED_PENDING = "sales_ops: the refund failed (retry, bank transfer or write-off)"
FROM_TEMPORAL_ACTOR = "temporal"
FROM_TEMPORAL_REASON = "cancelled from Temporal"
A = TypeVar("A")
R = TypeVar("R")


@workflow.defn(name=WORKFLOW_TYPE)
class ReturnWorkflow:
    """Workflow id `Return-{rma_number}`; every side effect goes through a keyed activity."""

    @workflow.init
    def __init__(self, rma: ReturnInput) -> None:
        self._rma = rma
        self._tasks = TaskBook()
        self._sla = SlaWatch({})
        self._subject = SlaSubject("return", rma.rma_number, rma.entity_id)
        self._lock = asyncio.Lock()
        self._stage: ReturnStage = "requested"
        self._pending_on = "intake"
        self._ready = False
        self._approved_by: str | None = None
        self._goods_due: date | None = None
        self._receipt_started = False
        self._received: dict[int, Decimal] = {}
        self._dispositions: dict[int, list[str]] = {}
        self._parts = 0
        self._refund: RefundResult | None = None
        self._refund_attempts = 0
        self._exchange_order: str | None = None
        self._attention = Attention(
            Subject(
                workflow_type=WORKFLOW_TYPE,
                subject_type="return",
                subject_id=rma.rma_number,
                entity_id=rma.entity_id,
                label=f"Return {rma.rma_number}",
                key=f"return:{rma.rma_number}",
            ),
            self._show_attention,
        )

    # ----- the main flow -----

    @workflow.run
    async def run(self, rma: ReturnInput) -> ReturnStatus:
        """Record, approve (or ask sales ops), refund early where allowed, wait for the goods until the deadline."""
        try:
            return await self._carry(rma)
        except asyncio.CancelledError:
            # Cancelled from Temporal (Web UI, CLI): compensate like POST .../cancel, then end as Canceled.
            await self._cancelled_from_temporal()
            raise

    async def _carry(self, rma: ReturnInput) -> ReturnStatus:
        """The main line: intake, approval, the goods deadline, then wait until the RMA is done."""
        self._upsert_attributes()
        persisted = await self._act(ReturnsActivities.persist, rma)
        if not persisted.accepted:
            await self._to("rejected", f"nothing ({persisted.reason})", closed_reason=persisted.reason)
            return await self._finish()
        async with self._lock:
            if needs_approval(rma.value, rma.policy.auto_approve_below):
                await self._open_approval()
            else:
                self._approved_by = "system"
                await self._await_goods()
            self._ready = True
        # The approval task reminds and escalates on its kind's service level (task_sla) meanwhile.
        await wait_with_sla(
            lambda: self._stage not in ("requested", "approval"),
            self._sla,
            self._tasks,
            self._subject,
            self._act,
        )
        if self._stage in ("rejected", "cancelled"):
            return await self._finish()
        assert self._goods_due is not None
        due = self._goods_due
        deadline = datetime.combine(due, time(23, 59, 59), tzinfo=UTC)
        try:
            await workflow.wait_condition(
                lambda: self._receipt_started or self._stage == "cancelled",
                timeout=max(deadline - workflow.now(), timedelta(seconds=1)),
            )
        except TimeoutError:
            async with self._lock:
                if not self._receipt_started and self._stage != "cancelled":
                    reason = f"no goods by {due}" + (" (refunded before arrival)" if self._refund else "")
                    await self._to("expired", f"nothing ({reason})", closed_reason=reason)
                    return await self._finish()
        await workflow.wait_condition(lambda: self._stage in _DONE)
        return await self._finish()

    async def _finish(self) -> ReturnStatus:
        # A failed refund is decided before the workflow ends (e.g. refunded early, then expired).
        await workflow.wait_condition(lambda: not self._tasks.of_kind(REFUND_FAILED))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._status()

    # ----- messages -----

    @workflow.query
    def status(self) -> ReturnStatus:
        """Stage, what the return waits on, and each line's progress."""
        return self._status()

    @workflow.update
    async def sync(self) -> ReturnStatus:
        """Wait until the RMA is recorded and routed (or a step is stuck), then return the status."""
        await workflow.wait_condition(
            lambda: (
                ((self._ready or self._stage in _DONE) and not self._lock.locked()) or self._attention.parked
            )
        )
        return self._status()

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """Sales ops approves or rejects a return above the channel's auto-approval value, or decides a refund
        the provider refused."""
        if self._attention.opening:
            await workflow.wait_condition(lambda: self._attention.opening == 0)
        if self._attention.owns(req.task_id):
            # Not under the lock: the stuck step may be holding it.
            return await self._attention.decide(req, lambda: self._stage)
        async with self._lock:
            task, acting_for = self._tasks.authorize(req)
            await close_decided(self._tasks, task, req, acting_for, act=self._act)
            if task.kind == REFUND_FAILED:
                await self._failed_refund_decided(req)
            elif req.decision == "approve":
                self._approved_by = acting_for or req.actor
                await self._await_goods()
            else:
                reason = f"rejected by {req.actor}" + (f": {req.comment}" if req.comment else "")
                await self._to("rejected", "nothing", closed_reason=reason[:200])
        return DecisionResult(
            task_id=task.task_id,
            decision=req.decision,
            decided_by=req.actor,
            acting_for=acting_for,
            stage=self._stage,
        )

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        if self._attention.owns(req.task_id):
            self._attention.authorize(req)
            return
        if self._attention.opening and req.task_id not in self._tasks.tasks:
            return  # possibly the needs-attention task being opened: the handler checks it
        task, acting_for = self._tasks.authorize(req)
        if task.kind == REFUND_FAILED:
            try:
                check_decision(req.decision, req.comment)
            except RuleViolation as exc:
                raise refusal(INVALID, str(exc)) from None
            return
        # Segregation of duties: whoever raised the return (or is acted for) does not approve it.
        if self._rma.requested_by in {req.actor, acting_for}:
            raise refusal(FORBIDDEN, f"{self._rma.requested_by} raised this return and may not decide it")

    @workflow.update
    async def receive(self, req: ReceiptRequest) -> ReturnStatus:
        """The parcel arrived and was inspected: book each part by disposition, then refund and close."""
        async with self._lock:
            self._receipt_started = True
            await self._to("inspection", "goods booking")
            result = await self._book(req)
            await self._after_receipt(result)
        return self._status()

    @receive.validator
    def _check_receive(self, req: ReceiptRequest) -> None:
        if self._receipt_started or self._stage != "awaiting_goods":
            raise refusal(CONFLICT, f"the return is {self._stage}; it takes goods only while awaiting them")
        problem = check_receipt(self._rma, req)
        if problem is not None:
            raise problem

    @workflow.update
    async def cancel(self, req: CancelReturn) -> ReturnStatus:
        """Cancel before the goods arrive: the RMA ends cancelled and its approval task closes."""
        async with self._lock:
            self._check_cancel(req)
            await self._cancel(req)
        return self._status()

    @cancel.validator
    def _check_cancel(self, req: CancelReturn) -> None:
        if self._stage not in _CANCELLABLE or self._receipt_started:
            raise refusal(
                CONFLICT, f"the return is {self._stage}; it can be cancelled only before the goods arrive"
            )
        if self._refund is not None:
            raise refusal(
                CONFLICT,
                "the customer was refunded before arrival: wait for the goods or let the return expire",
            )

    async def _cancel(self, req: CancelReturn) -> None:
        """The cancellation itself, shared by the update and a cancellation from Temporal."""
        await self._close_tasks(req.actor, req.reason)
        reason = f"cancelled by {req.actor}: {req.reason}"[:200]
        await self._to("cancelled", "nothing (cancelled)", closed_reason=reason)

    async def _close_tasks(self, actor: str, reason: str) -> None:
        for task_id in sorted(self._tasks.tasks):
            self._tasks.pop(task_id)
            await workflow.execute_activity_method(
                TaskActivities.close_task,
                TaskClose(task_id=task_id, status="cancelled", decided_by=actor, comment=reason),
                **_ACT,
            )

    async def _cancelled_from_temporal(self) -> None:
        """Cancel the RMA where the API would; otherwise close its tasks and leave it to the reconciliation."""
        if self._stage in _DONE:
            return  # the return had finished; only the wait for handlers was interrupted
        req = CancelReturn(actor=FROM_TEMPORAL_ACTOR, reason=FROM_TEMPORAL_REASON)
        async with self._lock:
            compensated = self._stage in _CANCELLABLE and not self._receipt_started and self._refund is None
            if compensated:
                await self._cancel(req)
            else:
                await self._close_tasks(req.actor, req.reason)
            await workflow.execute_activity_method(
                TaskActivities.record_audit,
                AuditRecord(
                    idempotency_key=f"{self._key}:cancelled_from_temporal",
                    actor=FROM_TEMPORAL_ACTOR,
                    action="return.cancelled_from_temporal",
                    subject_type="return",
                    subject_id=self._rma.rma_number,
                    entity_id=self._rma.entity_id,
                    after={"reason": FROM_TEMPORAL_REASON, "stage": self._stage, "compensated": compensated},
                ),
                **_ACT,
            )

    # ----- steps -----

    async def _await_goods(self) -> None:
        """Approved: set the goods deadline, refund at once where the policy trusts the customer, then wait."""
        rma = self._rma
        self._goods_due = workflow.now().date() + timedelta(days=rma.policy.goods_deadline_days)
        if rma.policy.refund_before_arrival:
            await self._refund_now({line.line_no: line.qty for line in rma.lines}, early=True)
        await self._to(
            "awaiting_goods", self._awaiting(), approved_by=self._approved_by, goods_due=self._goods_due
        )

    async def _open_approval(self) -> None:
        rma = self._rma
        spec = TaskSpec(
            task_key=f"{self._key}:approval",
            kind="return_approval",
            workflow_id=workflow.info().workflow_id,
            workflow_type=WORKFLOW_TYPE,
            subject_type="return",
            subject_id=rma.rma_number,
            entity_id=rma.entity_id,
            title=f"Approve return {rma.rma_number} of order {rma.order_number} ({rma.value} {rma.currency})",
            candidate_role="sales_ops",
            requested_by=rma.requested_by,
            options=_APPROVAL_OPTIONS,
            details={
                "order_number": rma.order_number,
                "value": str(rma.value),
                "refund_method": rma.refund_method,
                "lines": [
                    {"sku": ln.sku, "qty": str(ln.qty), "reason_code": ln.reason_code} for ln in rma.lines
                ],
            },
        )
        opened: TaskOpened = await self._act(TaskActivities.open_task, spec)
        self._tasks.add(
            OpenTask(
                task_id=opened.task_id,
                kind="return_approval",
                options=_APPROVAL_OPTIONS,
                candidate_role="sales_ops",
                requested_by=rma.requested_by,
            )
        )
        self._sla.watch_opened(opened.task_id, "return_approval", "sales_ops", opened.sla)
        await self._to("approval", "sales_ops")

    async def _book(self, req: ReceiptRequest) -> ReceiptResult:
        """Post the parts (numbered across the RMA so every key is stable on retries)."""
        receipt = GoodsReceipt(
            rma_number=self._rma.rma_number,
            received_on=workflow.now().date(),
            received_by=req.received_by,
            first_part_no=self._parts + 1,
            parts=req.parts,
        )
        self._parts += len(req.parts)
        result = await self._act(ReturnsActivities.receive, receipt)
        for line_no, qty in result.received.items():
            self._received[line_no] = self._received.get(line_no, _ZERO) + qty
        for part in req.parts:
            self._dispositions.setdefault(part.line_no, []).append(f"{part.qty} {part.disposition}")
        return result

    async def _after_receipt(self, result: ReceiptResult) -> None:
        """Spike check, the exchange's replacement order, the refund of what came back, then close."""
        rma = self._rma
        await self._act(
            ReturnsActivities.check_spike, SpikeCheck(rma_number=rma.rma_number, today=workflow.now().date())
        )
        if rma.exchange and self._exchange_order is None:
            await self._start_exchange()
        if self._refund is None and any(q > 0 for q in self._received.values()):
            await self._refund_now(dict(self._received), early=False)
        if self._tasks.of_kind(REFUND_FAILED):
            if self._stage != "refunded":  # refunded early, and that refund failed
                await self._to("refunded", _FAILED_PENDING)
            return  # closes once sales ops decide the failed refund
        reason = "refunded" if self._refund else "nothing received to refund"
        await self._to("closed", "nothing", closed_reason=reason)

    async def _refund_now(self, qty: dict[int, Decimal], *, early: bool) -> None:
        self._pending_on = "refund"
        req = RefundRequest(
            rma_number=self._rma.rma_number, qty=qty, posting_date=workflow.now().date(), early=early
        )
        self._refund = await self._act(ReturnsActivities.refund, req)
        waits = self._wait_for_failed_refund(self._refund.failed_task_id)
        if not early:
            await self._to("refunded", _FAILED_PENDING if waits else "closing")

    def _wait_for_failed_refund(self, task_id: int | None) -> bool:
        """The provider refused the refund: its task (opened by the activity) waits in this return's book."""
        if task_id is None or not workflow.patched(FAILED_REFUND_DECIDED):
            return False
        self._refund_attempts += 1
        self._tasks.add(
            OpenTask(
                task_id=task_id,
                kind=REFUND_FAILED,
                options=list(FAILED_REFUND_OPTIONS),
                candidate_role="sales_ops",
            )
        )
        return True

    async def _failed_refund_decided(self, req: DecisionRequest) -> None:
        """Retry, bank transfer or write-off; a retry refused again opens the next task, else the return closes
        (when its goods are back)."""
        done: FailedRefundOutcome = await self._act(
            PaymentActivities.decide_failed_refund,
            FailedRefundDecision(
                rma_number=self._rma.rma_number,
                decision=req.decision,
                attempt=self._refund_attempts,
                actor=req.actor,
                comment=req.comment,
                posting_date=workflow.now().date(),
            ),
        )
        if done.task_id is not None:
            self._wait_for_failed_refund(done.task_id)
            return
        if self._stage == "refunded":
            why = f"refund {done.outcome.replace('_', ' ')} ({req.decision} decided by {req.actor})"
            await self._to("closed", "nothing", closed_reason=why[:200])

    async def _start_exchange(self) -> None:
        """Price and start the replacement order as its own order-to-fulfill workflow (it outlives this one)."""
        req = ExchangeRequest(
            rma_number=self._rma.rma_number, today=workflow.now().date(), lines=self._rma.exchange
        )
        try:
            order: OrderInput = await self._act(ReturnsActivities.replacement_order, req)
        except ActivityError as exc:
            cause = exc.cause
            note = cause.message if isinstance(cause, ApplicationError) else str(exc)
            workflow.logger.warning("exchange of %s not started: %s", self._rma.rma_number, note)
            return
        await workflow.start_child_workflow(
            ORDER_WORKFLOW_TYPE,
            order,
            id=f"Order-{order.order_number}",
            parent_close_policy=ParentClosePolicy.ABANDON,
            static_summary=summary_of(order),
        )
        self._exchange_order = order.order_number

    async def _to(self, stage: ReturnStage, pending: str, **extra: Any) -> None:
        """Move to a stage: search attributes, details, and the row GET /returns reads."""
        self._stage, self._pending_on = stage, pending
        if self._attention.parked:
            # The facts (approver, due date, reason) are recorded now; the stage when the stuck step moves.
            stage, pending = NEEDS_ATTENTION, "admin"
        else:
            self._upsert_attributes()
        await self._act(
            ReturnsActivities.set_stage,
            StageUpdate(rma_number=self._rma.rma_number, stage=stage, pending_on=pending, **extra),
        )

    async def _show_attention(self, stuck: str | None) -> None:
        """A step is stuck (why) or moves again (None): ErpStage, details and the return row show it."""
        self._upsert_attributes(stuck)
        stage: ReturnStage = NEEDS_ATTENTION if stuck else self._stage
        pending = "admin" if stuck else self._pending_on
        await workflow.execute_activity_method(
            ReturnsActivities.set_stage,
            StageUpdate(rma_number=self._rma.rma_number, stage=stage, pending_on=pending),
            start_to_close_timeout=_ACT["start_to_close_timeout"],
            retry_policy=retry.UNTIL_DONE,
        )

    async def _act(self, fn: Callable[[Any, A], R], arg: A) -> R:
        """Run an activity (bounded transient retries); a step failing for good parks the return on an admin task."""

        async def call() -> R:
            result: R = await workflow.execute_activity_method(fn, arg, **_ACT)
            return result

        return await self._attention.guarded(getattr(fn, "__qualname__", "activity"), call)

    # ----- derived state -----

    @property
    def _key(self) -> str:
        return f"return:{self._rma.rma_number}"

    def _awaiting(self) -> str:
        early = " (refunded before arrival)" if self._refund else ""
        return f"goods from the customer by {self._goods_due}{early}"

    def _upsert_attributes(self, stuck: str | None = None) -> None:
        rma = self._rma
        stage, pending = (NEEDS_ATTENTION, "admin") if stuck else (self._stage, self._pending_on)
        attrs: list[SearchAttributeUpdate[Any]] = [
            sa.DOCUMENT_TYPE.value_set("return"),
            sa.DOCUMENT_NUMBER.value_set(rma.rma_number),
            sa.code_or(sa.ENTITY, str(rma.entity_id)),
            sa.CHANNEL.value_set(rma.channel_code),
            sa.STAGE.value_set(stage),
            sa.PENDING_ON.value_set(pending[:100]),
            sa.AMOUNT.value_set(float(rma.value)),
        ]
        if self._goods_due is not None:
            attrs.append(sa.DUE_DATE.value_set(datetime.combine(self._goods_due, time(0), tzinfo=UTC)))
        workflow.upsert_search_attributes(attrs)
        lines = ", ".join(
            f"{ln.sku} {self._received.get(ln.line_no, _ZERO)}/{ln.qty} back ({ln.reason_code})"
            for ln in rma.lines
        )
        refund = f" Refund {self._refund.total} ({self._refund.method})." if self._refund else ""
        workflow.set_current_details(
            f"Return {rma.rma_number} of order {rma.order_number} ({rma.channel_code}): {stage}, "
            f"waiting on {pending}. Lines: {lines}.{refund}" + (f" {stuck}" if stuck else "")
        )

    def _status(self) -> ReturnStatus:
        rma = self._rma
        return ReturnStatus(
            rma_number=rma.rma_number,
            order_number=rma.order_number,
            stage=NEEDS_ATTENTION if self._attention.parked else self._stage,
            pending_on="admin" if self._attention.parked else self._pending_on,
            value=rma.value,
            approved_by=self._approved_by,
            refunded=self._refund.total if self._refund else _ZERO,
            credit_note_number=self._refund.credit_note_number if self._refund else None,
            exchange_order_number=self._exchange_order,
            lines=[
                ReturnLineStatus(
                    line_no=ln.line_no,
                    order_line_no=ln.order_line_no,
                    sku=ln.sku,
                    qty=ln.qty,
                    reason_code=ln.reason_code,
                    received=self._received.get(ln.line_no, _ZERO),
                    dispositions=self._dispositions.get(ln.line_no, []),
                )
                for ln in rma.lines
            ],
            open_tasks=sorted([*self._tasks.tasks, *self._attention.book.tasks]),
        )
