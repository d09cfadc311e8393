"""The customer's money back: the refund (early, before the goods, where the policy trusts the customer, or
for what came back) and sales ops' decision on a refund the provider refused."""

from decimal import Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.payments import PaymentActivities
    from activities.returns import ReturnsActivities
    from models.contracts.errors import INVALID
    from models.contracts.payments import FailedRefundDecision, FailedRefundOutcome
    from models.contracts.returns import RefundRequest
    from models.contracts.tasks import DecisionRequest
    from rules.errors import RuleViolation
    from rules.failed_refunds import OPTIONS as FAILED_REFUND_OPTIONS
    from rules.failed_refunds import check_decision
    from workflows.inbox import OpenTask, refusal
    from workflows.returns.rma.effects import Effects
    from workflows.returns.rma.facts import FAILED_PENDING, FAILED_REFUND_DECIDED, REFUND_FAILED, ReturnFacts


class RefundStage:
    """The refund, and the tasks of a refund the provider refused until sales ops decide each one."""

    def __init__(self, facts: ReturnFacts, fx: Effects) -> None:
        self.facts, self.fx = facts, fx

    def failed_pending(self) -> bool:
        """A refused refund still waits for sales ops."""
        return bool(self.fx.book.of_kind(REFUND_FAILED))

    async def refund_now(self, qty: dict[int, Decimal], *, early: bool) -> None:
        """Refund the quantities (their credit note and payment); a refused one opens its task in this book."""
        facts = self.facts
        facts.pending_on = "refund"
        req = RefundRequest(
            rma_number=facts.rma.rma_number, qty=qty, posting_date=workflow.now().date(), early=early
        )
        facts.refund = await self.fx.act(ReturnsActivities.refund, req)
        waits = self.wait_for_failed_refund(facts.refund.failed_task_id)
        if not early:
            await self.fx.to("refunded", FAILED_PENDING if waits else "closing")

    def wait_for_failed_refund(self, task_id: int | None) -> bool:
        """The provider refused the refund: its task (opened by the activity) waits in this return's book."""
        if task_id is None or not workflow.patched(FAILED_REFUND_DECIDED):
            return False
        self.facts.refund_attempts += 1
        self.fx.book.add(
            OpenTask(
                task_id=task_id,
                kind=REFUND_FAILED,
                options=list(FAILED_REFUND_OPTIONS),
                candidate_role="sales_ops",
            )
        )
        return True

    def check_decision(self, req: DecisionRequest) -> None:
        """Retry, bank transfer or write-off, with the comment the rules ask for."""
        try:
            check_decision(req.decision, req.comment)
        except RuleViolation as exc:
            raise refusal(INVALID, str(exc)) from None

    async def decided(self, req: DecisionRequest) -> None:
        """Retry, bank transfer or write-off; a retry refused again opens the next task, else the return closes
        (when its goods are back)."""
        facts = self.facts
        done: FailedRefundOutcome = await self.fx.act(
            PaymentActivities.decide_failed_refund,
            FailedRefundDecision(
                rma_number=facts.rma.rma_number,
                decision=req.decision,
                attempt=facts.refund_attempts,
                actor=req.actor,
                comment=req.comment,
                posting_date=workflow.now().date(),
            ),
        )
        if done.task_id is not None:
            self.wait_for_failed_refund(done.task_id)
            return
        if facts.stage == "refunded":
            why = f"refund {done.outcome.replace('_', ' ')} ({req.decision} decided by {req.actor})"
            await self.fx.to("closed", "nothing", closed_reason=why[:200])
