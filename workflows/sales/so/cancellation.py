"""Cancelling the order before shipment (the API, the payment hold, a store that cannot fill a sale) and
compensating when it is cancelled from Temporal (Web UI, CLI)."""

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.sales import SalesActivities
    from activities.tasks import TaskActivities
    from models.contracts.errors import CONFLICT
    from models.contracts.sales import CancelRequest, LineUpdate
    from models.contracts.tasks import TaskClose
    from workflows import from_temporal
    from workflows.inbox import refusal
    from workflows.sales.so.allocation import AllocationStage
    from workflows.sales.so.effects import Effects
    from workflows.sales.so.facts import FROM_TEMPORAL_ACTOR, FROM_TEMPORAL_REASON, ZERO, OrderFacts
    from workflows.sales.so.payment import PaymentStage


class CancellationStage:
    """Release the stock, stop waiting, close the tasks, cancel what is open and void the payment."""

    def __init__(self, facts: OrderFacts, fx: Effects, stock: AllocationStage, payment: PaymentStage) -> None:
        self.facts, self.fx, self.stock, self.payment = facts, fx, stock, payment

    def check_cancel(self) -> None:
        """Goods that left a warehouse come back through a return, not a cancellation."""
        if self.facts.any_shipped():
            raise refusal(CONFLICT, "goods have shipped: cancel through a return (POST /returns)")

    async def cancel(self, req: CancelRequest, lock: asyncio.Lock) -> None:
        """The cancellation itself, shared by the update and a cancellation from Temporal."""
        async with lock:
            if not self.facts.cancelled:
                await self.cancel_all(req.reason, req.actor)

    async def cancel_all(self, reason: str, actor: str) -> None:
        """Release every hold, stop waiting, close tasks, cancel open quantities, void the payment."""
        facts, fx = self.facts, self.fx
        keys = [k for ls in facts.lines.values() for k in ls.holds]
        if keys:
            await fx.act(SalesActivities.release, keys)
        for line in facts.lines.values():
            line.holds.clear()
            line.backordered = ZERO
            await self.stock.stop_waiting(line)
            line.cancelled = line.line.qty - line.shipped
            line.task_id = None
            await fx.act(
                SalesActivities.update_line,
                LineUpdate(
                    order_number=facts.order.order_number,
                    line_no=line.line.line_no,
                    qty_backordered=ZERO,
                    qty_cancelled=line.cancelled,
                    status="cancelled",
                ),
            )
        for task_id in list(fx.book.tasks):
            fx.book.pop(task_id)
            await fx.act(
                TaskActivities.close_task,
                TaskClose(task_id=task_id, status="cancelled", decided_by=actor, comment=reason),
            )
        facts.cancelled = True
        facts.pending_on = f"nothing ({reason})"
        await self.payment.close()
        await fx.sync_stage()

    async def from_temporal(self, lock: asyncio.Lock) -> None:
        """Release, void and close tasks through the API's cancellation; the stage becomes cancelled."""
        facts = self.facts
        if facts.stage in ("closed", "cancelled"):
            return  # the order had finished; only the wait for handlers was interrupted
        shipped = facts.any_shipped()
        if facts.finished() and not facts.cancelled:
            async with lock:  # everything shipped: only the closing steps were interrupted
                await self.payment.close()
                await self.fx.sync_stage()
            return
        if shipped:
            # POST .../cancel refuses too: close the tasks, keep the stage, the reconciliation reports it.
            async with lock:
                await self._close_tasks_from_temporal()
        else:
            await self.cancel(CancelRequest(actor=FROM_TEMPORAL_ACTOR, reason=FROM_TEMPORAL_REASON), lock)
        order = facts.order
        await self.fx.act(
            TaskActivities.record_audit,
            from_temporal.audit(
                facts.key,
                "order",
                subject_type="sales_order",
                subject_id=order.order_number,
                entity_id=order.entity_id,
                stage=facts.stage,
                compensated=not shipped,
            ),
        )

    async def _close_tasks_from_temporal(self) -> None:
        """Cancel every open task in id order (the order itself keeps its stage)."""
        for task_id in sorted(self.fx.book.tasks):
            self.fx.book.pop(task_id)
            await self.fx.act(
                TaskActivities.close_task,
                TaskClose(
                    task_id=task_id,
                    status="cancelled",
                    decided_by=FROM_TEMPORAL_ACTOR,
                    comment=FROM_TEMPORAL_REASON,
                ),
            )
