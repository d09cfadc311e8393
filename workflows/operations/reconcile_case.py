"""One document an admin must look at after its workflow ended: the task lives here, so it can be decided."""

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.tasks import TaskActivities
    from models.contracts.reconcile import CaseInput, case_task_key
    from models.contracts.tasks import DecisionRequest, DecisionResult, TaskClose, TaskSpec
    from workflows import search_attributes as sa
    from workflows.inbox import OpenTask, TaskBook, close_decided, decided

WORKFLOW_TYPE = "ReconciliationCase"
OPTIONS = ["acknowledge"]
_ACT: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=10)),
}


def case_workflow_id(doc_type: str, number: str) -> str:
    """One case per document, ever (started with REJECT_DUPLICATE)."""
    return f"ReconcileCase-{doc_type}-{number}"


@workflow.defn(name=WORKFLOW_TYPE)
class ReconciliationCaseWorkflow:
    """Opens the admin's `reconciliation` task and waits until it is acknowledged."""

    @workflow.init
    def __init__(self, case: CaseInput) -> None:
        self._book = TaskBook()
        self._acknowledged_by: str | None = None

    @workflow.run
    async def run(self, case: CaseInput) -> str:
        """Returns who acknowledged the case."""
        doc = case.outcome.finding.document
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("reconciliation_case"),
                sa.DOCUMENT_NUMBER.value_set(f"{doc.doc_type}:{doc.number}"),
                sa.code_or(sa.ENTITY, str(doc.entity_id)),
                sa.PENDING_ON.value_set("admin"),
            ]
        )
        workflow.set_current_details(f"{doc.doc_type} {doc.number}: waiting on an admin to acknowledge")
        spec = TaskSpec(
            task_key=case_task_key(doc.doc_type, doc.number),
            kind="reconciliation",
            workflow_id=workflow.info().workflow_id,
            workflow_type=WORKFLOW_TYPE,
            subject_type=doc.doc_type,
            subject_id=doc.number,
            entity_id=doc.entity_id,
            title=f"{doc.doc_type} {doc.number}: workflow {case.outcome.finding.workflow_status.lower()}",
            candidate_role="admin",
            options=OPTIONS,
            details={
                "found": f"PostgreSQL shows {doc.doc_type} {doc.number} as {doc.stage}, but workflow"
                f" {doc.workflow_id} is {case.outcome.finding.workflow_status}",
                "repaired": case.outcome.done,
                "not_repaired": case.outcome.left,
                "workflow_id": doc.workflow_id,
            },
        )
        opened = await workflow.execute_activity_method(TaskActivities.open_task, spec, **_ACT)
        self._book.add(
            OpenTask(task_id=opened.task_id, kind="reconciliation", options=OPTIONS, candidate_role="admin")
        )
        try:
            await workflow.wait_condition(lambda: self._acknowledged_by is not None)
        except asyncio.CancelledError:
            await workflow.execute_activity_method(
                TaskActivities.close_task, TaskClose(task_id=opened.task_id, status="cancelled"), **_ACT
            )
            raise
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._acknowledged_by or ""

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """The admin acknowledges: the task closes and the case ends."""
        await self._book.seen(req.task_id)
        task, acting_for = self._book.authorize(req)
        await close_decided(self._book, task, req, acting_for, **_ACT)
        self._acknowledged_by = req.actor
        return decided(task, req, acting_for, "acknowledged")

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        if self._book.not_yet_seen(req.task_id):
            return  # possibly a task being opened: the handler checks it once it is in the book
        self._book.authorize(req)
