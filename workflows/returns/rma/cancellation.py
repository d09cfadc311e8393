"""Cancelling the return before the goods arrive (the API) and compensating when it is cancelled from
Temporal (Web UI, CLI)."""

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.tasks import TaskActivities
    from models.contracts.errors import CONFLICT
    from models.contracts.returns import CancelReturn
    from workflows import from_temporal
    from workflows.inbox import refusal
    from workflows.returns.rma.effects import ACT, Effects
    from workflows.returns.rma.facts import (
        CANCELLABLE,
        DONE,
        FROM_TEMPORAL_ACTOR,
        FROM_TEMPORAL_REASON,
        ReturnFacts,
    )


class CancellationStage:
    """Close the tasks and end the RMA cancelled, while nothing came back and nothing was refunded."""

    def __init__(self, facts: ReturnFacts, fx: Effects) -> None:
        self.facts, self.fx = facts, fx

    def check_cancel(self) -> None:
        """Only before the goods arrive, and not once the customer was refunded before arrival."""
        facts = self.facts
        if facts.stage not in CANCELLABLE or facts.receipt_started:
            raise refusal(
                CONFLICT, f"the return is {facts.stage}; it can be cancelled only before the goods arrive"
            )
        if facts.refund is not None:
            raise refusal(
                CONFLICT,
                "the customer was refunded before arrival: wait for the goods or let the return expire",
            )

    async def cancel(self, req: CancelReturn) -> None:
        """The cancellation itself, shared by the update and a cancellation from Temporal."""
        await self.fx.close_tasks(req.actor, req.reason)
        reason = f"cancelled by {req.actor}: {req.reason}"[:200]
        await self.fx.to("cancelled", "nothing (cancelled)", closed_reason=reason)

    async def from_temporal(self, lock: asyncio.Lock) -> None:
        """Cancel the RMA where the API would; otherwise close its tasks and leave it to the reconciliation."""
        facts = self.facts
        if facts.stage in DONE:
            return  # the return had finished; only the wait for handlers was interrupted
        req = CancelReturn(actor=FROM_TEMPORAL_ACTOR, reason=FROM_TEMPORAL_REASON)
        async with lock:
            compensated = facts.stage in CANCELLABLE and not facts.receipt_started and facts.refund is None
            if compensated:
                await self.cancel(req)
            else:
                await self.fx.close_tasks(req.actor, req.reason)
            rma = facts.rma
            await workflow.execute_activity_method(
                TaskActivities.record_audit,
                from_temporal.audit(
                    facts.key,
                    "return",
                    subject_type="return",
                    subject_id=rma.rma_number,
                    entity_id=rma.entity_id,
                    stage=facts.stage,
                    compensated=compensated,
                ),
                **ACT,
            )
