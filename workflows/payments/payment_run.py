"""One workflow per entity and run date: propose the due supplier invoices, approve (SoD), pay, tell the POs."""

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from activities.payments import PaymentActivities
    from activities.tasks import TaskActivities
    from models.contracts.errors import FORBIDDEN
    from models.contracts.payments import (
        CloseRun,
        PaidByRun,
        PaymentRunInput,
        PayRun,
        RunProposal,
        RunStatus,
    )
    from models.contracts.tasks import DecisionRequest, DecisionResult, TaskClose, TaskSpec
    from workflows import retry
    from workflows import search_attributes as sa
    from workflows.inbox import OpenTask, TaskBook, close_decided, decided, refusal

WORKFLOW_TYPE = "PaymentRun"
TASK_KIND = "payment_run_approval"
APPROVER_ROLE = "controller"
OPTIONS = ["approve", "reject"]
# The PO workflow's signal: a run paid one of its invoices.
PAID_SIGNAL = "paid_by_run"
_ACT: dict[str, Any] = {"start_to_close_timeout": timedelta(seconds=30), "retry_policy": retry.TRANSIENT}


def po_workflow_id(po_number: str) -> str:
    """The PO workflow's id (see services.purchasing.orders.build_input)."""
    return f"PO-{po_number}"


@workflow.defn(name=WORKFLOW_TYPE)
class PaymentRunWorkflow:
    """proposed -> approval (not by the proposer) -> paid, or rejected; an empty run ends at once."""

    @workflow.init
    def __init__(self, run: PaymentRunInput) -> None:
        self.run_input = run
        self.book = TaskBook()
        self.stage = "proposing"
        self.proposal: RunProposal | None = None
        self.decision: DecisionRequest | None = None

    @workflow.run
    async def run(self, run: PaymentRunInput) -> str:
        """Returns the final stage: paid, rejected or empty."""
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("payment_run"),
                sa.DOCUMENT_NUMBER.value_set(run.workflow_id),
                sa.code_or(sa.ENTITY, str(run.entity_id)),
            ]
        )
        proposal = await workflow.execute_activity_method(PaymentActivities.propose, run, **_ACT)
        self.proposal = proposal
        if not proposal.payments:
            await self._close("empty", run.proposed_by)
            return "empty"
        task_id = await self._ask_approval(run, proposal)
        try:
            await workflow.wait_condition(lambda: self.decision is not None)
        except asyncio.CancelledError:
            await workflow.execute_activity_method(
                TaskActivities.close_task, TaskClose(task_id=task_id, status="cancelled"), **_ACT
            )
            raise
        decided = self.decision
        assert decided is not None
        if decided.decision != "approve":
            await self._close("rejected", decided.actor)
            return await self._end("rejected")
        self.stage = "paying"
        paid = await workflow.execute_activity_method(
            PaymentActivities.pay,
            PayRun(run_id=proposal.run_id, approved_by=decided.actor, paid_on=run.run_date),
            **_ACT,
        )
        # Only the invoices paid off: a PO whose invoice was paid in part keeps waiting for the rest (a later
        # run pays it, or the PO itself on the due date when it pays its own invoices).
        for payment in paid.paid:
            await self._tell_po(
                payment.po_number, PaidByRun(invoice_id=payment.invoice_id, run_id=paid.run_id)
            )
        return await self._end("paid")

    async def _ask_approval(self, run: PaymentRunInput, proposal: RunProposal) -> int:
        """Open the approval task (the controllers decide; not the proposer) and remember it; returns its id."""
        self.stage = "approval"
        total = {
            p.currency: str(sum(q.amount for q in proposal.payments if q.currency == p.currency))
            for p in proposal.payments
        }
        spec = TaskSpec(
            task_key=f"payrun:{proposal.run_id}:approval",
            kind=TASK_KIND,
            workflow_id=run.workflow_id,
            workflow_type=WORKFLOW_TYPE,
            subject_type="payment_run",
            subject_id=run.workflow_id,
            entity_id=run.entity_id,
            title=f"Approve payment run {run.run_date.isoformat()}: {len(proposal.payments)} invoices",
            candidate_role=APPROVER_ROLE,
            requested_by=run.proposed_by,
            options=OPTIONS,
            details={
                "run_id": proposal.run_id,
                "totals": total,
                "invoices": [p.invoice_number for p in proposal.payments],
                "left_out": proposal.left_out,
            },
        )
        opened = await workflow.execute_activity_method(TaskActivities.open_task, spec, **_ACT)
        workflow.set_current_details(
            f"Payment run {run.run_date}: {len(proposal.payments)} invoices ({total}) wait on {APPROVER_ROLE}"
        )
        self.book.add(
            OpenTask(
                task_id=opened.task_id,
                kind=TASK_KIND,
                options=OPTIONS,
                candidate_role=APPROVER_ROLE,
                requested_by=run.proposed_by,
            )
        )
        return opened.task_id

    async def _close(self, status: str, actor: str) -> None:
        assert self.proposal is not None
        await workflow.execute_activity_method(
            PaymentActivities.close, CloseRun(run_id=self.proposal.run_id, status=status, actor=actor), **_ACT
        )
        self.stage = status

    async def _end(self, stage: str) -> str:
        self.stage = stage
        await workflow.wait_condition(workflow.all_handlers_finished)
        return stage

    async def _tell_po(self, po_number: str, notice: PaidByRun) -> None:
        """The PO stops waiting for this invoice; a PO workflow already gone has nothing to stop."""
        handle = workflow.get_external_workflow_handle(po_workflow_id(po_number))
        try:
            await handle.signal(PAID_SIGNAL, notice)
        except FailureError:
            workflow.logger.info("PO %s is no longer running; its invoice is paid in the books", po_number)

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """The approver approves or rejects; the proposer may not (segregation of duties)."""
        await self.book.seen(req.task_id)
        task, acting_for = self._authorize(req)
        await close_decided(self.book, task, req, acting_for, **_ACT)
        self.decision = req
        return decided(task, req, acting_for, "approved" if req.decision == "approve" else "rejected")

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        if self.book.not_yet_seen(req.task_id):
            return  # possibly a task being opened: the handler checks it once it is in the book
        self._authorize(req)

    def _authorize(self, req: DecisionRequest) -> tuple[OpenTask, str | None]:
        task, acting_for = self.book.authorize(req)
        if self.run_input.proposed_by in (req.actor, acting_for):
            raise refusal(FORBIDDEN, f"{req.actor} proposed this payment run and may not decide it")
        return task, acting_for

    @workflow.update
    async def proposed(self) -> RunStatus:
        """Read-only: the run once its proposal is made (the API answers the start with it)."""
        await workflow.wait_condition(lambda: self.stage != "proposing")
        return self.status()

    @workflow.query
    def status(self) -> RunStatus:
        """Where the run is."""
        return RunStatus(
            run_id=self.proposal.run_id if self.proposal else None,
            stage=self.stage,
            proposed=len(self.proposal.payments) if self.proposal else 0,
            approved_by=self.decision.actor
            if self.decision and self.decision.decision == "approve"
            else None,
        )
