"""One workflow per return authorisation: the value stream stage by stage, and its messages (thin handlers)."""

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.returns import ReturnsActivities
    from models.contracts.returns import CancelReturn, ReceiptRequest, ReturnInput, ReturnStatus
    from models.contracts.tasks import DecisionRequest, DecisionResult
    from workflows.inbox import close_decided, decided
    from workflows.returns.rma.approval import ApprovalStage
    from workflows.returns.rma.cancellation import CancellationStage
    from workflows.returns.rma.effects import Effects
    from workflows.returns.rma.exchange import ExchangeStage
    from workflows.returns.rma.facts import (
        DONE,
        FINISH_OUTSIDE_LOCK,
        REFUND_FAILED,
        WORKFLOW_TYPE,
        ReturnFacts,
    )
    from workflows.returns.rma.goods import GoodsStage
    from workflows.returns.rma.refund import RefundStage


@workflow.defn(name=WORKFLOW_TYPE)
class ReturnWorkflow:
    """Workflow id `Return-{rma_number}`; every side effect goes through a keyed activity."""

    # Message names are public (API, recorded histories): each is named after its method, so never rename one.

    @workflow.init
    def __init__(self, rma: ReturnInput) -> None:
        self.facts = ReturnFacts(rma=rma)
        self.lock = asyncio.Lock()  # one lock: the main line and every awaiting handler take turns
        self.fx = Effects(self.facts)
        # Every stage exists before the first message arrives.
        self.refund = RefundStage(self.facts, self.fx)
        self.approval = ApprovalStage(self.facts, self.fx, self.refund)
        self.exchange = ExchangeStage(self.facts, self.fx)
        self.goods = GoodsStage(self.facts, self.fx, self.refund, self.exchange)
        self.cancellation = CancellationStage(self.facts, self.fx)

    # ----- the value stream -----

    @workflow.run
    async def run(self, rma: ReturnInput) -> ReturnStatus:
        """Record, approve (or ask sales ops), refund early where allowed, wait for the goods until the deadline."""
        try:
            return await self._carry(rma)
        except asyncio.CancelledError:
            # Cancelled from Temporal (Web UI, CLI): compensate like POST .../cancel, then end as Canceled.
            await self.cancellation.from_temporal(self.lock)
            raise

    async def _carry(self, rma: ReturnInput) -> ReturnStatus:
        """The main line: intake, approval, the goods deadline, then wait until the RMA is done."""
        facts = self.facts
        self.fx.upsert_attributes()
        persisted = await self.fx.act(ReturnsActivities.persist, rma)
        if not persisted.accepted:
            await self.fx.to("rejected", f"nothing ({persisted.reason})", closed_reason=persisted.reason)
            return await self._finish()
        async with self.lock:
            await self.approval.route()
            facts.ready = True
        await self.approval.wait()
        if facts.stage in ("rejected", "cancelled"):
            return await self._finish()
        try:
            await workflow.wait_condition(self.goods.arrived_or_cancelled, timeout=self.goods.time_left())
        except TimeoutError:
            async with self.lock:
                expired = await self.goods.expire()
                if expired and not workflow.patched(FINISH_OUTSIDE_LOCK):
                    return (
                        await self._finish()
                    )  # held the lock a failed refund's decision needs: it never came
            if expired:
                return await self._finish()
        await workflow.wait_condition(lambda: facts.stage in DONE)
        return await self._finish()

    async def _finish(self) -> ReturnStatus:
        # A failed refund is decided before the workflow ends (e.g. refunded early, then expired).
        await workflow.wait_condition(lambda: not self.refund.failed_pending())
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.fx.status()

    # ----- messages -----

    @workflow.query(name="status")
    def status(self) -> ReturnStatus:
        """Stage, what the return waits on, and each line's progress."""
        return self.fx.status()

    @workflow.update
    async def sync(self) -> ReturnStatus:
        """Wait until the RMA is recorded and routed (or a step is stuck), then return the status."""
        await workflow.wait_condition(
            lambda: (
                ((self.facts.ready or self.facts.stage in DONE) and not self.lock.locked())
                or self.fx.attention.parked
            )
        )
        return self.fx.status()

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """Sales ops approves or rejects a return above the channel's auto-approval value, or decides a refund
        the provider refused."""
        attention = self.fx.attention
        await attention.arrival(self.fx.book, req.task_id)
        if attention.owns(req.task_id):
            # Not under the lock: the stuck step may be holding it.
            return await attention.decide(req, lambda: self.facts.stage)
        async with self.lock:
            self._check_decide(req)  # again: the validator let a task being opened through unchecked
            task, acting_for = self.fx.book.authorize(req)
            await close_decided(self.fx.book, task, req, acting_for, act=self.fx.act)
            if task.kind == REFUND_FAILED:
                await self.refund.decided(req)
            else:
                await self.approval.decided(req, acting_for)
        return decided(task, req, acting_for, self.facts.stage)

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        """Refuse a wrong actor, a decided task, a bad failed-refund decision or the requester approving."""
        if self.fx.attention.screens(self.fx.book, req):
            return
        task, acting_for = self.fx.book.authorize(req)
        if task.kind == REFUND_FAILED:
            self.refund.check_decision(req)
        else:
            self.approval.check_decision(req, acting_for)

    @workflow.update
    async def receive(self, req: ReceiptRequest) -> ReturnStatus:
        """The parcel arrived and was inspected: book each part by disposition, then refund and close."""
        async with self.lock:
            await self.goods.receive(req)
        return self.fx.status()

    @receive.validator
    def _check_receive(self, req: ReceiptRequest) -> None:
        """Refuse goods unless the return awaits them, or parts the RMA does not list."""
        self.goods.check_receive(req)

    @workflow.update
    async def cancel(self, req: CancelReturn) -> ReturnStatus:
        """Cancel before the goods arrive: the RMA ends cancelled and its approval task closes."""
        async with self.lock:
            self.cancellation.check_cancel()
            await self.cancellation.cancel(req)
        return self.fx.status()

    @cancel.validator
    def _check_cancel(self, req: CancelReturn) -> None:
        """Refuse once the goods arrived or the customer was refunded before arrival."""
        self.cancellation.check_cancel()
