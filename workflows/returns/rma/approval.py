"""Approval of the RMA: automatic below the channel's value, else a task for sales ops (reminded and escalated
on its service level); once approved, the goods deadline and, where the policy trusts the customer, the
refund before the goods arrive."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.tasks import TaskActivities
    from models.contracts.errors import FORBIDDEN
    from models.contracts.tasks import DecisionRequest, TaskOpened, TaskSpec
    from rules.returns import needs_approval
    from workflows.inbox import OpenTask, refusal
    from workflows.returns.rma.effects import Effects
    from workflows.returns.rma.facts import APPROVAL_OPTIONS, WORKFLOW_TYPE, ReturnFacts
    from workflows.returns.rma.refund import RefundStage
    from workflows.sla import wait_with_sla


class ApprovalStage:
    """Who approves the return (the system or sales ops), and what an approval sets in motion."""

    def __init__(self, facts: ReturnFacts, fx: Effects, refund: RefundStage) -> None:
        self.facts, self.fx, self.refund = facts, fx, refund

    async def route(self) -> None:
        """Above the channel's auto-approval value sales ops decide; below it the system approves."""
        rma = self.facts.rma
        if needs_approval(rma.value, rma.policy.auto_approve_below):
            await self.open_approval()
        else:
            self.facts.approved_by = "system"
            await self.await_goods()

    async def wait(self) -> None:
        """Until decided; the approval task reminds and escalates on its kind's service level (task_sla)."""
        fx = self.fx
        await wait_with_sla(
            lambda: self.facts.stage not in ("requested", "approval"), fx.sla, fx.book, fx.subject, fx.act
        )

    async def open_approval(self) -> None:
        """The sales-ops task to approve or reject the return."""
        rma = self.facts.rma
        spec = TaskSpec(
            task_key=f"{self.facts.key}:approval",
            kind="return_approval",
            workflow_id=workflow.info().workflow_id,
            workflow_type=WORKFLOW_TYPE,
            subject_type="return",
            subject_id=rma.rma_number,
            entity_id=rma.entity_id,
            title=f"Approve return {rma.rma_number} of order {rma.order_number} ({rma.value} {rma.currency})",
            candidate_role="sales_ops",
            requested_by=rma.requested_by,
            options=APPROVAL_OPTIONS,
            details={
                "order_number": rma.order_number,
                "value": str(rma.value),
                "refund_method": rma.refund_method,
                "lines": [
                    {"sku": ln.sku, "qty": str(ln.qty), "reason_code": ln.reason_code} for ln in rma.lines
                ],
            },
        )
        opened: TaskOpened = await self.fx.act(TaskActivities.open_task, spec)
        self.fx.book.add(
            OpenTask(
                task_id=opened.task_id,
                kind="return_approval",
                options=APPROVAL_OPTIONS,
                candidate_role="sales_ops",
                requested_by=rma.requested_by,
            )
        )
        self.fx.sla.watch_opened(opened.task_id, "return_approval", "sales_ops", opened.sla)
        await self.fx.to("approval", "sales_ops")

    def check_decision(self, req: DecisionRequest, acting_for: str | None) -> None:
        """Segregation of duties: whoever raised the return (or is acted for) does not approve it."""
        requested_by = self.facts.rma.requested_by
        if requested_by in {req.actor, acting_for}:
            raise refusal(FORBIDDEN, f"{requested_by} raised this return and may not decide it")

    async def decided(self, req: DecisionRequest, acting_for: str | None) -> None:
        """Approved: wait for the goods; rejected: the return ends."""
        if req.decision == "approve":
            self.facts.approved_by = acting_for or req.actor
            await self.await_goods()
        else:
            reason = f"rejected by {req.actor}" + (f": {req.comment}" if req.comment else "")
            await self.fx.to("rejected", "nothing", closed_reason=reason[:200])

    async def await_goods(self) -> None:
        """Approved: set the goods deadline, refund at once where the policy trusts the customer, then wait."""
        facts = self.facts
        rma = facts.rma
        facts.goods_due = workflow.now().date() + timedelta(days=rma.policy.goods_deadline_days)
        if rma.policy.refund_before_arrival:
            await self.refund.refund_now({line.line_no: line.qty for line in rma.lines}, early=True)
        await self.fx.to(
            "awaiting_goods", facts.awaiting(), approved_by=facts.approved_by, goods_due=facts.goods_due
        )
