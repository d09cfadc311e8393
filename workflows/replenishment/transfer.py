"""One workflow per transfer order: draft -> shipped (in transit) -> received."""

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.reconcile import ReconcileActivities
    from activities.replenishment import ReplenishmentActivities
    from models.contracts.errors import CONFLICT, INVALID
    from models.contracts.reconcile import TransferCancel
    from models.contracts.replenishment import TransferInput, TransferState, TransferStep
    from workflows import retry
    from workflows import search_attributes as sa
    from workflows.inbox import refusal

WORKFLOW_TYPE = "TransferOrder"
_ACT: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": retry.TRANSIENT,
}


@workflow.defn(name=WORKFLOW_TYPE)
class TransferOrderWorkflow:
    """Workflow id `TO-{number}`; the warehouse sends `ship` at the source and `receive` at the destination."""

    @workflow.init
    def __init__(self, inp: TransferInput) -> None:
        self._status = "draft"
        self._busy = False
        self._shipping = False  # the ship activity is running: its row may say "shipped" already

    @workflow.run
    async def run(self, inp: TransferInput) -> str:
        """Persist, then wait until the goods arrive; returns the final status."""
        try:
            return await self._carry(inp)
        except asyncio.CancelledError:
            # Cancelled from Temporal: a draft moved nothing, so it is cancelled; goods in transit stay
            # shipped for the reconciliation to hand to a person.
            await workflow.wait_condition(lambda: not self._busy)
            if self._status == "draft":
                self._status = await workflow.execute_activity_method(
                    ReconcileActivities.cancel_transfer_draft,
                    TransferCancel(number=inp.number, actor="temporal", reason="cancelled from Temporal"),
                    **_ACT,
                )
                workflow.upsert_search_attributes(
                    [sa.STAGE.value_set(self._status), sa.PENDING_ON.value_set("nothing")]
                )
            raise

    async def _carry(self, inp: TransferInput) -> str:
        """The main line: persist, then wait for the receipt."""
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("transfer_order"),
                sa.DOCUMENT_NUMBER.value_set(inp.number),
                sa.code_or(sa.ENTITY, str(inp.entity_id)),
                sa.STAGE.value_set("draft"),
                sa.PENDING_ON.value_set("warehouse"),
            ]
        )
        workflow.set_current_details(f"Transfer {inp.number}: draft, waiting on the warehouse to ship")
        await workflow.execute_activity_method(ReplenishmentActivities.persist_transfer, inp, **_ACT)
        await workflow.wait_condition(lambda: self._status == "received")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._status

    async def _step(self, method: Any, step: TransferStep) -> TransferState:
        """Run a move activity inside an update; a business refusal fails the update, not the workflow."""
        self._busy = True
        try:
            state: TransferState = await workflow.execute_activity_method(method, step, **_ACT)
        except ActivityError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                raise refusal(cause.type or INVALID, cause.message) from exc
            raise
        finally:
            self._busy = False
        self._status = state.status
        pending = "warehouse" if state.status == "shipped" else "nothing"
        sa.show_stage(state.status, pending, f"Transfer: {state.status}, waiting on {pending}")
        return state

    @workflow.update
    async def ship(self, step: TransferStep) -> TransferState:
        """The goods left the source: they are in transit now."""
        self._shipping = True
        try:
            return await self._step(ReplenishmentActivities.ship, step)
        finally:
            self._shipping = False

    @ship.validator
    def _check_ship(self, step: TransferStep) -> None:
        if self._busy or self._status != "draft":
            raise refusal(CONFLICT, f"transfer {step.number} is {self._status}, not draft")

    @workflow.update
    async def receive(self, step: TransferStep) -> TransferState:
        """The goods arrived at the destination."""
        if self._busy:
            # Accepted while the shipment was being recorded: wait for it, then check again.
            await workflow.wait_condition(lambda: not self._busy)
            self._refuse_receipt(step, shipping=False)
        return await self._step(ReplenishmentActivities.receive, step)

    @receive.validator
    def _check_receive(self, step: TransferStep) -> None:
        self._refuse_receipt(step, shipping=self._shipping)

    def _refuse_receipt(self, step: TransferStep, shipping: bool) -> None:
        """Only shipped goods arrive; a shipment still being recorded counts (the row already says so)."""
        if shipping:
            return
        if self._busy or self._status != "shipped":
            raise refusal(CONFLICT, f"transfer {step.number} is {self._status}, not shipped")

    @workflow.query
    def status(self) -> str:
        """draft, shipped or received."""
        return self._status
