"""One workflow per intercompany charge: post the seller's receivable and the buyer's payable together."""

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.journals import JournalActivities
    from models.contracts.journals import IntercompanyInput, IntercompanyPosted
    from workflows import retry
    from workflows import search_attributes as sa

WORKFLOW_TYPE = "IntercompanyCharge"
_ACT: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": retry.TRANSIENT,
}


def intercompany_workflow_id(seller_entity_id: int, reference: str) -> str:
    """One charge per seller and reference, ever (started with REJECT_DUPLICATE)."""
    return f"Intercompany-{seller_entity_id}-{reference}"


@workflow.defn(name=WORKFLOW_TYPE)
class IntercompanyChargeWorkflow:
    """Workflow id `Intercompany-{seller}-{reference}`: both sides post in one activity (one transaction)."""

    @workflow.run
    async def run(self, inp: IntercompanyInput) -> IntercompanyPosted:
        """The two ledger entries."""
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("intercompany_charge"),
                sa.DOCUMENT_NUMBER.value_set(inp.reference),
                sa.code_or(sa.ENTITY, str(inp.seller_entity_id)),
                sa.STAGE.value_set("posting"),
            ]
        )
        posted: IntercompanyPosted = await workflow.execute_activity_method(
            JournalActivities.post_intercompany, inp, **_ACT
        )
        workflow.upsert_search_attributes([sa.STAGE.value_set("posted")])
        workflow.set_current_details(f"Intercompany charge {inp.reference}: posted in both entities")
        return posted
