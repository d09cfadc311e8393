"""A minimal sign-off workflow used by the inbox tests: one task, an SLA escalation, one decision.

It exercises the foundation's task protocol (open -> decide update -> close, escalation) without
depending on a value stream."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.tasks import TaskActivities
    from models.contracts.base import Contract
    from models.contracts.errors import FORBIDDEN
    from models.contracts.tasks import (
        DecisionRequest,
        DecisionResult,
        TaskClose,
        TaskEscalation,
        TaskOpened,
        TaskSpec,
    )
    from workflows import search_attributes as sa
    from workflows.inbox import OpenTask, TaskBook, refusal

TIMEOUT = timedelta(seconds=30)
RETRY = RetryPolicy(maximum_attempts=20)


class SignOffInput(Contract):
    """What needs signing off, by whom, and who asked."""

    document: str
    entity_id: int
    requested_by: str
    role: str = "approver"
    escalate_to: str = "controller"
    sla_hours: int = 48


@workflow.defn
class SignOffWorkflow:
    """Ask a role to sign a document off; escalate when the SLA passes."""

    def __init__(self) -> None:
        self.book = TaskBook()
        self.outcome: DecisionResult | None = None
        self.requested_by = ""

    @workflow.run
    async def run(self, inp: SignOffInput) -> DecisionResult:
        self.requested_by = inp.requested_by
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("signoff"),
                sa.STAGE.value_set("approval"),
                sa.PENDING_ON.value_set(inp.role),
            ]
        )
        opened: TaskOpened = await workflow.execute_activity_method(
            TaskActivities.open_task,
            TaskSpec(
                task_key=f"signoff:{inp.document}",
                kind="signoff",
                workflow_id=workflow.info().workflow_id,
                workflow_type="SignOffWorkflow",
                subject_type="signoff",
                subject_id=inp.document,
                entity_id=inp.entity_id,
                title=f"Sign off {inp.document}",
                candidate_role=inp.role,
                requested_by=inp.requested_by,
                options=["approve", "reject"],
            ),
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )
        self.book.add(
            OpenTask(
                task_id=opened.task_id,
                kind="signoff",
                options=["approve", "reject"],
                candidate_role=inp.role,
                requested_by=inp.requested_by,
            )
        )
        try:
            await workflow.wait_condition(
                lambda: self.outcome is not None, timeout=timedelta(hours=inp.sla_hours)
            )
        except TimeoutError:
            task = self.book.tasks[opened.task_id]
            task.candidate_role, task.escalation_level = inp.escalate_to, 1
            workflow.upsert_search_attributes([sa.PENDING_ON.value_set(inp.escalate_to)])
            await workflow.execute_activity_method(
                TaskActivities.escalate_task,
                TaskEscalation(
                    task_id=opened.task_id, candidate_role=inp.escalate_to, escalation_level=1, due_at=None
                ),
                start_to_close_timeout=TIMEOUT,
                retry_policy=RETRY,
            )
            await workflow.wait_condition(lambda: self.outcome is not None)
        assert self.outcome is not None
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.outcome

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        # The validator ran authorize already; here it tells whom the actor acted for.
        _, acting_for = self.book.authorize(req)
        self.book.pop(req.task_id)
        await workflow.execute_activity_method(
            TaskActivities.close_task,
            TaskClose(
                task_id=req.task_id,
                status="decided",
                decision=req.decision,
                decided_by=req.actor,
                acting_for=acting_for,
                comment=req.comment,
            ),
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )
        stage = "approved" if req.decision == "approve" else "rejected"
        workflow.upsert_search_attributes([sa.STAGE.value_set(stage), sa.PENDING_ON.value_set("")])
        self.outcome = DecisionResult(
            task_id=req.task_id,
            decision=req.decision,
            decided_by=req.actor,
            acting_for=acting_for,
            stage=stage,
        )
        return self.outcome

    @decide.validator
    def check_decide(self, req: DecisionRequest) -> None:
        self.book.authorize(req)
        if req.actor == self.requested_by:
            raise refusal(FORBIDDEN, "the requester may not sign off their own request")
