"""The exchange: a replacement order priced and started as its own order-to-fulfil workflow."""

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.returns import ReturnsActivities
    from models.contracts.returns import ExchangeRequest
    from models.contracts.sales import OrderInput
    from models.contracts.summaries import summary_of
    from workflows.returns.rma.effects import Effects
    from workflows.returns.rma.facts import ORDER_WORKFLOW_TYPE, ReturnFacts


class ExchangeStage:
    """Starts the replacement order once the goods are back (it outlives the return)."""

    def __init__(self, facts: ReturnFacts, fx: Effects) -> None:
        self.facts, self.fx = facts, fx

    def wanted(self) -> bool:
        """The customer asked for an exchange and no replacement order was started yet."""
        return bool(self.facts.rma.exchange) and self.facts.exchange_order is None

    async def start(self) -> None:
        """Price and start the replacement order as its own order-to-fulfill workflow (it outlives this one)."""
        facts = self.facts
        req = ExchangeRequest(
            rma_number=facts.rma.rma_number, today=workflow.now().date(), lines=facts.rma.exchange
        )
        try:
            order: OrderInput = await self.fx.act(ReturnsActivities.replacement_order, req)
        except ActivityError as exc:
            cause = exc.cause
            note = cause.message if isinstance(cause, ApplicationError) else str(exc)
            workflow.logger.warning("exchange of %s not started: %s", facts.rma.rma_number, note)
            return
        await workflow.start_child_workflow(
            ORDER_WORKFLOW_TYPE,
            order,
            id=f"Order-{order.order_number}",
            parent_close_policy=ParentClosePolicy.ABANDON,
            static_summary=summary_of(order),
        )
        facts.exchange_order = order.order_number
