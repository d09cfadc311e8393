"""The scheduled reconciliation of one entity: documents open in PostgreSQL whose workflow has ended
(terminated, failed, timed out, cancelled without compensation) are repaired or handed to an admin."""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.reconcile import ReconcileActivities
    from models.contracts.reconcile import CaseInput, ReconcileInput, ReconcileResult
    from models.contracts.summaries import summary_of
    from workflows import search_attributes as sa
    from workflows.operations.reconcile_case import ReconciliationCaseWorkflow, case_workflow_id

WORKFLOW_TYPE = "Reconciliation"
_SCAN: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=5),
    "heartbeat_timeout": timedelta(minutes=1),
    "retry_policy": RetryPolicy(
        maximum_interval=timedelta(seconds=30), non_retryable_error_types=["NotFound"]
    ),
}
_REPAIR: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30)),
}


def reconcile_workflow_id(entity_code: str, stamp: str) -> str:
    """A manual run's id (schedule runs get Temporal's fire-time suffix instead)."""
    return f"Reconcile-{entity_code}-{stamp}"


@workflow.defn(name=WORKFLOW_TYPE)
class ReconciliationWorkflow:
    """Scan, repair each finding (idempotent by business keys), start one case per unrepaired document."""

    @workflow.run
    async def run(self, inp: ReconcileInput) -> ReconcileResult:
        """Returns the counts of this run."""
        workflow.upsert_search_attributes(
            [sa.DOCUMENT_TYPE.value_set("reconciliation"), sa.ENTITY.value_set(inp.entity_code)]
        )
        scan = await workflow.execute_activity_method(ReconcileActivities.scan, inp, **_SCAN)
        repaired = cases = 0
        for finding in scan.findings:
            outcome = await workflow.execute_activity_method(ReconcileActivities.repair, finding, **_REPAIR)
            if outcome.left is None:
                repaired += 1
                continue
            if outcome.case_exists:
                continue  # one case per document: an acknowledged case is not reopened every 15 minutes
            doc = finding.document
            try:
                case = CaseInput(outcome=outcome)
                await workflow.start_child_workflow(
                    ReconciliationCaseWorkflow.run,
                    case,
                    static_summary=summary_of(case),
                    id=case_workflow_id(doc.doc_type, doc.number),
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                    # The case carries the entity's code, like every other workflow (not its id).
                    search_attributes=TypedSearchAttributes(
                        [SearchAttributePair(sa.ENTITY, inp.entity_code)]
                    ),
                )
                cases += 1
            except WorkflowAlreadyStartedError:
                pass  # a previous run started it; its task may not be visible yet
        workflow.set_current_details(
            f"{inp.entity_code}: {scan.open_documents} open documents, {len(scan.findings)} with an ended"
            f" workflow, {repaired} repaired, {cases} cases opened"
        )
        return ReconcileResult(
            entity_code=inp.entity_code,
            open_documents=scan.open_documents,
            ended_workflows=len(scan.findings),
            repaired=repaired,
            cases_opened=cases,
        )
